"""Services: each call one audited transaction; permissions checked; stale edits refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from marac_prep.core.audit import verify_chain
from marac_prep.core.chronology import edit_entry, entries_for_case, entry_history, withdraw_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.errors import ConflictError, PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent, ChronologyEntry
from marac_prep.core.returns import return_progress, returns_for_case, set_return


def _audit_count(session) -> int:
    return len(session.exec(select(AuditEvent)).all())


def test_adding_an_entry_is_audited_and_marks_the_return(ws, session):
    case = ws.case(ws.meeting())
    before = _audit_count(session)
    entry = ws.entry(case, "HSG", summary="Tenancy warning issued after noise complaint.")
    assert _audit_count(session) == before + 1
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.object_id, event.case_id) == ("entry.create", entry.id, case.id)
    housing = next(r for r in returns_for_case(session, case.id) if r.agency.short_code == "HSG")
    assert housing.status == "returned"


def test_agency_rep_cannot_edit_another_agencys_entry_and_nothing_changes(ws, session):
    case = ws.case()
    entry = ws.entry(case, "POL", summary="Original police summary.")
    housing_rep = ws.user("agency_rep", "HSG")
    before = _audit_count(session)
    with pytest.raises(PermissionDenied, match="only for their own agency"):
        edit_entry(session, actor=housing_rep, entry_id=entry.id, expected_version=entry.version, summary="Tampered")
    session.expire_all()
    assert session.get(ChronologyEntry, entry.id).summary == "Original police summary."
    assert _audit_count(session) == before


def test_agency_rep_edits_own_agency_entry(ws, session):
    case = ws.case()
    rep = ws.user("agency_rep", "HSG")
    entry = ws.entry(case, "HSG", actor=rep)
    edited = edit_entry(session, actor=rep, entry_id=entry.id, expected_version=1, summary="Clarified.")
    assert (edited.summary, edited.version) == ("Clarified.", 2)
    assert [v.version for v in entry_history(session, entry.id)] == [1]


def test_viewer_cannot_add_entries(ws):
    case = ws.case()
    viewer = ws.user("viewer")
    with pytest.raises(PermissionDenied):
        ws.entry(case, "POL", actor=viewer)


def test_stale_edit_is_refused_and_first_edit_kept(ws, session):
    case = ws.case()
    entry = ws.entry(case)
    edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=1, summary="First edit.")
    with pytest.raises(ConflictError, match="Someone else changed this entry"):
        edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=1, summary="Second edit.")
    session.expire_all()
    assert session.get(ChronologyEntry, entry.id).summary == "First edit."


def test_withdrawn_entry_is_kept_with_reason_but_leaves_the_chronology(ws, session):
    case = ws.case()
    entry = ws.entry(case)
    withdraw_entry(
        session, actor=ws.coordinator, entry_id=entry.id, expected_version=1, reason="Recorded against the wrong case."
    )
    assert entries_for_case(session, case.id) == []
    kept = entries_for_case(session, case.id, include_withdrawn=True)
    assert kept[0].withdrawn_reason == "Recorded against the wrong case."


def test_validation_errors_are_readable_and_leave_nothing(ws, session):
    case = ws.case()
    before = _audit_count(session)
    with pytest.raises(ValidationError, match="brief summary"):
        ws.entry(case, summary="  ")
    with pytest.raises(ValidationError, match="in the future"):
        ws.entry(case, on=date.today() + timedelta(days=3))
    with pytest.raises(ValidationError, match="not a Dash risk indicator"):
        ws.entry(case, risk_indicators=["bananas"])
    with pytest.raises(ValidationError, match="reason it is withheld"):
        ws.entry(case, shareable=False)
    assert _audit_count(session) == before
    assert entries_for_case(session, case.id) == []


def test_chronology_sorts_by_date_then_sequence(ws, session):
    case = ws.case()
    day = date(2026, 3, 14)
    ws.entry(case, on=day, sequence=2, summary="second that day")
    ws.entry(case, on=PartialDate(date(2026, 3, 1), "month"), summary="sometime in March")
    ws.entry(case, on=day, sequence=1, summary="first that day")
    assert [e.summary for e in entries_for_case(session, case.id)] == [
        "sometime in March",
        "first that day",
        "second that day",
    ]


def test_nothing_known_is_an_answer_and_counts_in_progress(ws, session):
    case = ws.case(children=1)
    rows = returns_for_case(session, case.id)
    assert {r.agency.short_code for r in rows if r.expected} >= {"CSC", "EDU", "POL"}
    assert return_progress(rows) == (0, 10)
    set_return(
        session,
        actor=ws.coordinator,
        case_id=case.id,
        agency_id=ws.agency["EDU"].id,
        status="nothing known",
        representative="Head of year",
    )
    rows = returns_for_case(session, case.id)
    assert return_progress(rows) == (1, 10)
    assert next(r for r in rows if r.agency.short_code == "EDU").status == "nothing_known"


def test_returns_without_children_expect_eight_agencies(ws, session):
    case = ws.case(children=0)
    assert return_progress(returns_for_case(session, case.id)) == (0, 8)


def test_audit_chain_verifies(ws, session):
    case = ws.case()
    ws.entry(case)
    check = verify_chain(session)
    assert check.ok and check.count == _audit_count(session)
