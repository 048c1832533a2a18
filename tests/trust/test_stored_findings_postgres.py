"""On a shared PostgreSQL server every login reads the stored gap findings, and only coordinators
write them: a login that could write a row could plant findings, or hide one, in any case
(decision 0099). The others analyse what is not stored, without storing it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from marac_prep.analysis import stored
from marac_prep.analysis.gaps import analyse_case
from marac_prep.analysis.reading import attach_signals
from marac_prep.core.casefile import load_meeting_files
from tests.trust.test_identity_postgres import _changed, _refused, server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres


def _meeting_id(db):
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT meeting_id FROM marac_case WHERE meeting_id IS NOT NULL")).scalar()


def _rows(db):
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM case_findings")).scalar()


def test_others_analyse_without_storing_and_coordinators_store(server, monkeypatch):  # noqa: F811
    coordinator = server.open_as("coordinator")
    try:
        meeting_id = _meeting_id(coordinator)
        with coordinator.read_session() as session:
            _meeting, files = load_meeting_files(session, meeting_id)
            attach_signals(session, files)
            expected = {f.case.id: analyse_case(f) for f in files}
    finally:
        coordinator.close()
    assert expected[server.ids["case"]], "the case has findings to store"
    for role in ("idva", "agency_rep", "viewer"):
        db = server.open_as(role)
        try:
            with db.read_session() as session:
                assert stored.meeting_findings(session, meeting_id) == expected, role
            assert _rows(db) == 0, role
            assert "permission denied" in _refused(
                db, "INSERT INTO case_findings (case_id, input_key, findings, stored_at) "
                    "VALUES (:c, 'k', '[]', now())", c=server.ids["case"]), role
        finally:
            db.close()
    coordinator = server.open_as("coordinator")
    try:
        with coordinator.read_session() as session:
            assert stored.meeting_findings(session, meeting_id) == expected
        assert _rows(coordinator) == 1
    finally:
        coordinator.close()

    def no_analysis(case_file, day):
        raise AssertionError("analysed again: the stored findings were not read")

    monkeypatch.setattr(stored, "analyse_now", no_analysis)
    for role in ("idva", "agency_rep", "viewer"):
        db = server.open_as(role)
        try:
            with db.read_session() as session:
                assert stored.meeting_findings(session, meeting_id) == expected, role
            for statement in ("UPDATE case_findings SET findings = '[]'", "DELETE FROM case_findings"):
                assert "permission denied" in _refused(db, statement), (role, statement)
        finally:
            db.close()
    coordinator = server.open_as("coordinator")
    try:
        assert _changed(coordinator, "DELETE FROM case_findings") == 1
    finally:
        coordinator.close()
