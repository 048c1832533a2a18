"""The Marac list's optional diversity columns: read against the lists, refused with a reason, bounded."""

from __future__ import annotations

from datetime import date

from marac_prep.core.cases import case_by_reference, people_of
from marac_prep.interchange.importer import import_file
from marac_prep.interchange.plan import MAX_CELL_CHARS
from tests.interchange.helpers import write_csv, write_xlsx

HEADER = ["Case reference", "Referral date", "Referring agency", "Victim name", "Victim DOB", "Victim gender",
          "Victim ethnic group", "Victim disability", "Victim LGBT+", "Perpetrator name", "Perpetrator DOB",
          "Perpetrator gender", "Perpetrator ethnicity", "Perpetrator disability", "Perpetrator LGBT+"]


def _row(reference: str, *diversity: str, perpetrator: str = "Rhys JONES") -> list[str]:
    victim, rest = list(diversity[:4]), list(diversity[4:])
    return [reference, "03/11/2026", "Police", "Seren HUGHES", "04/05/2008", *victim, perpetrator, "01/02/1990",
            *rest]


def test_diversity_columns_are_stored_as_the_list_names_them(ws, session, tmp_path):
    meeting = ws.meeting()
    path = write_csv(tmp_path / "list.csv", [
        HEADER,
        _row("MAR-D-1", "F", "pakistani", "Learning", "yes", "male", "White British", "none", "no"),
        _row("MAR-D-2", "", "Not recorded", "unknown", "", "", "", "", ""),
    ])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.imported, result.rejected) == (2, 0), result.reasons
    victim, perpetrator = people_of(session, case_by_reference(session, "MAR-D-1").id)[:2]
    assert (victim.gender, victim.ethnicity, victim.disability, victim.lgbt) == (
        "Female", "Asian or Asian British", "Learning disability", True)
    assert (perpetrator.gender, perpetrator.ethnicity, perpetrator.disability, perpetrator.lgbt) == (
        "Male", "White British", "No disability", False)
    victim, perpetrator = people_of(session, case_by_reference(session, "MAR-D-2").id)[:2]
    # Not recorded is stored as nothing, never as a guess.
    assert (victim.gender, victim.ethnicity, victim.disability, victim.lgbt) == ("", "", "", None)
    assert (perpetrator.gender, perpetrator.lgbt, perpetrator.date_of_birth) == ("", None, date(1990, 2, 1))


def test_values_not_on_the_lists_reject_the_row_with_the_list(ws, session, tmp_path):
    meeting = ws.meeting()
    path = write_xlsx(tmp_path / "list.xlsx", [
        HEADER,
        _row("MAR-D-3", "Female", "Martian", "", "", "", "", "", ""),
        _row("MAR-D-4", "Female", "", "", "sometimes", "", "", "", ""),
        _row("MAR-D-5", "", "", "", "", "Male", "", "", "", perpetrator=""),
        _row("MAR-D-6", "x" * (MAX_CELL_CHARS + 1), "", "", "", "", "", "", ""),
        _row("MAR-D-7", "Female\u202e", "", "", "", "", "", "", ""),
        _row("MAR-D-8", "Female", "Black British", "Deaf", "N", "M", "", "", ""),
    ])
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=path)
    assert (result.imported, result.rejected) == (1, 5)
    reasons = [r for _, r in result.reasons]
    assert '"Martian" is not on the victim\'s ethnicity list' in reasons[0] and "Asian or Asian British" in reasons[0]
    assert "not a yes or no answer for the victim's LGBT+ column" in reasons[1]
    assert "without a name" in reasons[2]
    assert f"at most {MAX_CELL_CHARS:,} are accepted" in reasons[3]
    assert "victim's gender" in reasons[4]
    victim = people_of(session, case_by_reference(session, "MAR-D-8").id)[0]
    assert (victim.ethnicity, victim.disability, victim.lgbt) == (
        "Black, Black British, Caribbean or African", "Sensory impairment", False)
