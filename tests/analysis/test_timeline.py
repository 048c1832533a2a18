"""The timeline data: agencies as lanes, silent ones empty, marks kinded for drawing."""

from __future__ import annotations

from datetime import date

from marac_prep.analysis.timeline import build_timeline
from marac_prep.core.dates import PartialDate
from tests.analysis.builders import CaseBuilder, well_served_case


def test_lanes_follow_returns_and_silent_agencies_are_empty():
    b = CaseBuilder()
    b.ret("MH", "chased", requested=date(2026, 2, 1), chased=date(2026, 2, 8), chase_count=1)
    b.ret("PROB", "nothing_known")
    b.entry("POL", date(2025, 5, 1), "incident")
    b.entry("POL", date(2025, 6, 1), "incident", indicators=("strangulation",))
    b.entry("POL", date(2025, 7, 1), "referral_made", to="ODAS")
    b.entry("ODAS", date(2025, 7, 3), "referral_received")
    b.entry("HSG", PartialDate(date(2025, 8, 1), "month", approximate=True), "contact")
    timeline = build_timeline(b.build())
    lanes = {lane.agency: lane for lane in timeline.lanes}
    assert lanes["Mental Health"].silent and lanes["Mental Health"].marks == ()
    assert not lanes["Probation"].silent and lanes["Probation"].status == "nothing_known"
    assert [m.kind for m in lanes["Police"].marks] == ["incident", "high_risk", "referral"]
    assert lanes["Police"].marks[1].label == "Incident: Strangling, choking or suffocating"
    assert lanes["Other domestic abuse service"].expected is False
    housing = lanes["Housing"].marks[0]
    assert housing.precision == "month" and housing.approximate and housing.last_day == date(2025, 8, 31)
    assert timeline.start == date(2025, 5, 1) and timeline.end == date(2026, 3, 1)


def test_lanes_are_in_agency_order_and_cover_every_expected_agency():
    cf = well_served_case().build()
    timeline = build_timeline(cf)
    expected = [r.agency.name for r in cf.returns]
    assert [lane.agency for lane in timeline.lanes] == expected
    assert not any(lane.silent for lane in timeline.lanes)


def test_case_without_entries_still_has_a_span():
    timeline = build_timeline(CaseBuilder().build())
    assert timeline.start < timeline.end == date(2026, 3, 1)
    assert all(lane.silent is False for lane in timeline.lanes)


# --- every field of a mark and a lane (found by mutation testing) ----------------------------------


def test_marks_and_lanes_carry_every_field_and_leave_nothing_known_out():
    from marac_prep.analysis.timeline import Lane, Mark

    b = CaseBuilder()
    b.ret("PROB", "nothing_known")
    b.entry("PROB", date(2026, 1, 5), "nothing_known")
    b.entry("POL", date(2026, 1, 6), "contact", indicators=("strangulation", "threats_to_kill"))
    b.entry("ODAS", date(2026, 1, 7), "contact")
    b.entry("ODAS", date(2026, 1, 8), "nothing_known")
    case_file = b.build()
    ids = {(e.agency_id, e.event_date): e.id for e in case_file.entries}
    assert all(ids.values())  # real ids: a mark must carry its entry's own
    lanes = {lane.agency: lane for lane in build_timeline(case_file).lanes}

    [police] = lanes["Police"].marks
    assert police == Mark(
        entry_id=next(i for (_, day), i in ids.items() if day == date(2026, 1, 6)),
        day=date(2026, 1, 6), precision="day", approximate=False, kind="high_risk",
        label="Contact: Strangling, choking or suffocating, Threats to kill", last_day=date(2026, 1, 6),
    )
    assert lanes["Police"].expected is True and lanes["Police"].silent is False
    assert lanes["Probation"] == Lane(agency="Probation", expected=lanes["Probation"].expected, silent=False,
                                      status="nothing_known", marks=())
    odas_id = next(i for (_, day), i in ids.items() if day == date(2026, 1, 7))
    assert lanes["Other domestic abuse service"] == Lane(
        agency="Other domestic abuse service", expected=False, silent=False, status="not_requested",
        marks=(Mark(entry_id=odas_id, day=date(2026, 1, 7), precision="day", approximate=False, kind="other",
                    label="Contact", last_day=date(2026, 1, 7)),),
    )


def test_a_case_whose_only_day_is_its_referral_still_spans_a_day():
    b = CaseBuilder(referral=date(2026, 3, 1))
    b.entry("POL", date(2026, 3, 1), "incident")
    timeline = build_timeline(b.build())
    assert (timeline.start, timeline.end) == (date(2026, 3, 1), date(2026, 3, 2))
