"""The save path's fewer statements keep what they promised (decision 0101)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date
from typing import Any

from sqlalchemy import event

from marac_prep.core.chronology import add_entry, edit_entry, withdraw_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import Database
from marac_prep.core.models import AgencyReturn, ChronologyEntry
from marac_prep.core.returns import set_return


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_a_versioned_row_is_written_once_and_only_with_its_version_check(db: Database, ws):
    """The autoflush before the conditional UPDATE used to write the return a first time, without
    the version check; every UPDATE of it must now carry `version = :read`."""
    case = ws.case()
    police = ws.agency["POL"].id
    rep = ws.user("agency_rep", "POL")
    set_return(ws.session, actor=rep, case_id=case.id, agency_id=police, status="requested")
    ws.session.commit()
    with db.session() as session, _statements(db) as seen:
        saved = set_return(session, actor=rep, case_id=case.id, agency_id=police, status="returned",
                           note="Two incidents found.", expected_version=1)
    updates = [s for s in seen if s.startswith("UPDATE agency_return")]
    assert len(updates) == 1
    assert "agency_return.version =" in updates[0]
    with db.read_session() as session:
        stored = session.get(AgencyReturn, saved.id)
        assert stored is not None
        assert (stored.status, stored.note, stored.version) == ("returned", "Two incidents found.", 2)
    assert (saved.status, saved.note, saved.version) == ("returned", "Two incidents found.", 2)


def test_an_edited_or_withdrawn_entry_says_what_is_stored_without_being_read_again(db: Database, ws):
    case = ws.case()
    rep = ws.user("agency_rep", "POL")
    entry = add_entry(ws.session, actor=rep, case_id=case.id, agency_id=ws.agency["POL"].id,
                      date=PartialDate(date(2026, 3, 2)), event_type="incident", summary="Police attended.")
    ws.session.commit()
    for change in ("edit", "withdraw"):
        with db.session() as session:
            if change == "edit":
                returned = edit_entry(session, actor=rep, entry_id=entry.id, expected_version=1,
                                      detail="Neighbour called; fictional.", risk_level="high")
            else:
                returned = withdraw_entry(session, actor=rep, entry_id=entry.id, expected_version=2,
                                          reason="Entered on the wrong case.")
        with db.read_session() as session:
            stored = session.get(ChronologyEntry, entry.id)
            assert stored is not None
            expected = stored.model_dump()
        got = returned.model_dump()
        for key in ("created_at", "updated_at", "withdrawn_at"):  # the same instant, in any zone
            if expected[key] is not None:
                assert got[key] is not None
                assert _utc(got[key]) == _utc(expected[key]), key
            del got[key], expected[key]
        assert got == expected, change


def _utc(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
