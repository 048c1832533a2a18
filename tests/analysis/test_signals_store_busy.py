"""Two desks on one SQLite file: storing the text reader's signals may find the file changed
under its read snapshot; that only means the text is read again next time, never a failed
analysis (found by the live-update tests of issue 19)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from marac_prep.analysis.reading import attach_signals
from marac_prep.core.casefile import load_case_file
from marac_prep.core.db import open_database
from marac_prep.core.meetings import create_meeting
from tests.factories import Workspace


def test_a_busy_file_leaves_the_signals_unstored_not_the_analysis_failed(sqlite_db):
    with sqlite_db.session() as session:
        ws = Workspace(session)
        case = ws.case(ws.meeting())
        ws.entry(case, "POL", on=date(2026, 1, 3), summary="He threatened to kill her, a fictional call.")
        session.commit()
    other = open_database(sqlite_db.location)
    try:
        with sqlite_db.read_session() as session:
            case_file = load_case_file(session, case.id or 0, with_history=False)  # the read snapshot starts
            with other.session() as writer:  # another desk commits meanwhile
                create_meeting(writer, actor=ws.coordinator, meeting_date=date(2027, 3, 4), area="Westfield")
            attach_signals(session, [case_file])
            stored = session.execute(text("SELECT count(*) FROM entry_signals")).scalar()
        assert case_file.signals  # the analysis has what the text says
        assert stored == 0  # not stored this time: read again next time
    finally:
        other.close()


def test_a_busy_file_leaves_the_loaded_case_file_readable_after_the_session(sqlite_db):
    """The refused store rolls back only its savepoint: the case file's records are not expired, so
    they are still readable once the session is closed (the case view and `gaps` read them then)."""
    with sqlite_db.session() as session:
        ws = Workspace(session)
        case = ws.case(ws.meeting())
        ws.entry(case, "POL", on=date(2026, 1, 3), summary="He threatened to kill her, a fictional call.")
        session.commit()
    other = open_database(sqlite_db.location)
    try:
        with sqlite_db.read_session() as session:
            case_file = load_case_file(session, case.id or 0, with_history=False)
            with other.session() as writer:
                create_meeting(writer, actor=ws.coordinator, meeting_date=date(2027, 3, 4), area="Westfield")
            attach_signals(session, [case_file])
        assert case_file.case.reference == case.reference
        assert [p.name for p in case_file.people] == ["Alys PRITCHARD", "Gethin MORRIS"]
    finally:
        other.close()
