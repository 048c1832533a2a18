"""The meeting page's gap matrix is read with a few small queries; it must show exactly what the
rows built from the full case files show."""

from __future__ import annotations

from datetime import date

from marac_prep.core.casefile import load_meeting_files
from marac_prep.core.chronology import withdraw_entry
from marac_prep.core.returns import set_return
from marac_prep.ui.gap_matrix import GapMatrixRow, load_matrix_rows
from tests.factories import demo_file


def test_matrix_rows_match_the_rows_from_full_case_files(session, ws):
    meeting = ws.meeting()
    plain = ws.case(meeting)
    with_children = ws.case(meeting, children=2)  # children make more agencies expected
    ws.entry(plain, "POL")
    kept = ws.entry(with_children, "HSG", summary="Tenancy visit.")
    withdrawn = ws.entry(with_children, "MH", summary="Entered on the wrong case.")
    withdraw_entry(session, actor=ws.coordinator, entry_id=withdrawn.id, expected_version=withdrawn.version,
                   reason="Wrong case")
    set_return(session, actor=ws.coordinator, case_id=plain.id, agency_id=ws.agency["PROB"].id,
               status="nothing_known", on=date.today())
    ws.meeting(days_ahead=30)  # another meeting, with no cases
    session.commit()
    _meeting, files = load_meeting_files(session, meeting.id)
    expected = [GapMatrixRow.from_case_file(f) for f in files]
    rows = load_matrix_rows(session, meeting.id)
    assert rows == expected
    # The withdrawn entry does not answer for its agency; the kept one does.
    second = next(r for r in rows if r.case_id == with_children.id)
    assert kept.agency_id in second.agencies_with_entries
    assert ws.agency["MH"].id not in second.agencies_with_entries


def test_matrix_rows_match_on_a_demo_workspace(tmp_path):
    from marac_prep.core.db import open_database
    from marac_prep.core.meetings import list_meetings

    db = open_database(str(demo_file(tmp_path / "demo.sqlite", cases=30, entries_per_case=4)))
    try:
        with db.read_session() as session:
            meetings = list_meetings(session)
            assert meetings
            for meeting in meetings:
                _meeting, files = load_meeting_files(session, meeting.id)
                assert load_matrix_rows(session, meeting.id) == [GapMatrixRow.from_case_file(f) for f in files]
    finally:
        db.close()
