"""The analysis reads entries' loaded values directly; an expired entry is read through the ORM."""

from __future__ import annotations

from datetime import date

from marac_prep.analysis.gaps import analyse_case
from marac_prep.core.casefile import load_case_file


def test_expired_entries_give_the_same_findings(ws, session):
    case = ws.case(ws.meeting())
    ws.entry(case, "POL", on=date(2026, 3, 2), summary="Threatened to kill her.", risk_indicators=["threats_to_kill"])
    ws.entry(case, "HLTH", on=date(2026, 4, 1), event_type="referral_considered_not_made", summary="Not referred.")
    case_file = load_case_file(session, case.id)
    before = analyse_case(case_file)
    for entry in case_file.entries:
        session.expire(entry)
    assert analyse_case(case_file) == before
    assert {f.kind for f in before} >= {"referral_considered_not_made", "single_agency_risk"}
