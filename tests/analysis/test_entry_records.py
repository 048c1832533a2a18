"""Case files hold plain entry records, so the analysis never goes back to the database."""

from __future__ import annotations

from datetime import date

from marac_prep.analysis.gaps import analyse_case
from marac_prep.core.casefile import EntryRecord, load_case_file
from marac_prep.core.chronology import entries_for_case


def test_case_file_entries_are_plain_records_equal_to_the_current_entries(ws, session):
    case = ws.case(ws.meeting())
    ws.entry(case, "POL", on=date(2026, 3, 2), summary="Threatened to kill her.", risk_indicators=["threats_to_kill"])
    ws.entry(case, "HLTH", on=date(2026, 4, 1), event_type="referral_considered_not_made", summary="Not referred.")
    case_file = load_case_file(session, case.id)
    assert all(type(e) is EntryRecord for e in case_file.entries)
    current = entries_for_case(session, case.id)

    def values(entry):
        return [tuple(v) if isinstance(v, list) else v for v in (getattr(entry, n) for n in EntryRecord._fields)]

    assert [values(e) for e in case_file.entries] == [values(e) for e in current]
    before = analyse_case(case_file)
    session.expunge_all()  # the records need no session: the analysis reads only what was loaded
    assert analyse_case(case_file) == before
    assert {f.kind for f in before} >= {"referral_considered_not_made", "single_agency_risk"}
