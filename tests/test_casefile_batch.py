"""`load_meeting_files` reads a whole meeting at once; it must give exactly what `load_case_file` gives."""

from __future__ import annotations

from datetime import date, timedelta

from marac_prep.core.casefile import CaseFile, load_case_file, load_meeting_files
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.chronology import withdraw_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.returns import set_return
from marac_prep.core.risk import record_risk_assessment
from marac_prep.demo import build_demo


def _shape(cf: CaseFile) -> dict[str, object]:
    return {
        "case": cf.case.id,
        "people": [p.id for p in cf.people],
        "addresses": [a.id for a in cf.addresses],
        "entries": [e.id for e in cf.entries],
        "returns": [(r.agency.id, r.record.id if r.record else None, r.expected, r.status) for r in cf.returns],
        "assessments": [a.id for a in cf.assessments],
        "agencies": sorted(cf.agencies),
        "earlier": sorted((c.id, sorted(p.id for p in people)) for c, people in cf.earlier_cases),
    }


def test_meeting_files_match_case_files(ws, session):
    meeting = ws.meeting()
    # An earlier referral of the same victim (same name, other date of birth) and one of a
    # different victim born the same day: both are history candidates.
    earlier_meeting = ws.meeting(days_ahead=-200)
    ws.case(earlier_meeting, referral_days_ago=220)
    ws.case(earlier_meeting, referral_days_ago=210, victim="Zofia NOWAK", victim_dob=date(1990, 4, 3))
    first = ws.case(meeting, children=2)
    second = ws.case(meeting, victim="Rūta KAZLAUSKAS", victim_dob=date(1985, 1, 1))
    third = ws.case(meeting, victim="Elif YILDIZ", victim_dob=date(1979, 6, 30), referral_days_ago=3)
    for day in (40, 12, 12, 70):
        ws.entry(first, "POL", on=date.today() - timedelta(days=day))
    ws.entry(first, "HSG", on=PartialDate(date.today().replace(day=1) - timedelta(days=90), "month"))
    gone = ws.entry(second, "IDVA", event_type="disclosure", summary="Disclosed controlling behaviour.")
    ws.entry(second, "HLTH", event_type="ae_attendance", summary="Wrist injury.", event_time="21:40")
    withdraw_entry(session, actor=ws.coordinator, entry_id=gone.id, expected_version=gone.version,
                   reason="Entered on the wrong case.")
    set_return(session, actor=ws.coordinator, case_id=first.id, agency_id=ws.agency["VOL"].id, status="returned")
    set_return(session, actor=ws.coordinator, case_id=third.id, agency_id=ws.agency["MH"].id, status="nothing_known")
    record_risk_assessment(session, actor=ws.coordinator, case_id=first.id, agency_id=ws.agency["IDVA"].id,
                           assessed_on=date.today() - timedelta(days=5), answers={})
    record_risk_assessment(session, actor=ws.coordinator, case_id=first.id, agency_id=ws.agency["POL"].id,
                           assessed_on=date.today() - timedelta(days=50), answers={})

    _meeting, batched = load_meeting_files(session, meeting.id)
    one_by_one = [load_case_file(session, c.id) for c in (first, second, third)]

    assert [cf.case.id for cf in batched] == [c.id for c in cases_for_meeting(session, meeting.id)]
    by_id = {cf.case.id: cf for cf in batched}
    for expected in one_by_one:
        assert _shape(by_id[expected.case.id]) == _shape(expected)
    # The fixtures really exercised what the comparison covers.
    assert by_id[first.id].earlier_cases and len(by_id[first.id].assessments) == 2
    assert len(by_id[second.id].entries) == 1


def test_meeting_files_match_on_a_demo_workspace(ws, session):
    build_demo(session, actor=ws.coordinator, cases=30, entries_per_case=12, seed=5)
    meetings = sorted({cf_id for cf_id in (c.meeting_id for c in _cases(session)) if cf_id is not None})
    for meeting_id in meetings:
        _meeting, batched = load_meeting_files(session, meeting_id)
        assert [_shape(cf) for cf in batched] == [_shape(load_case_file(session, cf.case.id)) for cf in batched]
    assert load_meeting_files(session, meetings[0])[1]


def test_meeting_without_cases(ws, session):
    meeting = ws.meeting(days_ahead=30)
    assert load_meeting_files(session, meeting.id)[1] == []


def _cases(session):
    from sqlmodel import select

    from marac_prep.core.models import Case

    return session.exec(select(Case)).all()
