"""Each gap rule must fire on its pattern and stay quiet otherwise; a well-served case raises no gaps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marac_prep.analysis.gaps import KINDS, GapFinding, GapSettings, analyse_case, analyse_meeting
from marac_prep.core.dates import PartialDate
from tests.analysis.builders import AGENCIES, CaseBuilder, person, well_served_case

D = date(2025, 6, 10)


def kinds(findings: list[GapFinding]) -> list[str]:
    return [f.kind for f in findings]


def of(kind: str, b: CaseBuilder, settings: GapSettings | None = None) -> list[GapFinding]:
    return [f for f in analyse_case(b.build(), settings) if f.kind == kind]


# --- the control case ---------------------------------------------------------------------------


def test_well_served_case_raises_no_gaps_only_nothing_known_notes():
    findings = analyse_case(well_served_case().build())
    assert {f.severity for f in findings} == {"info"}
    assert kinds(findings) == ["homicide_markers"] + ["nothing_known"] * 4
    assert {f.agency for f in findings} == {None, "Mental Health", "Probation", "Substance Misuse", "Adult Social Care"}


def test_findings_are_most_severe_first_and_use_known_kinds():
    b = well_served_case()
    b.ret("MH", None)
    b.entry("HSG", D, "referral_considered_not_made", summary="Marac referral considered; not made.")
    b.entry("HSG", D + timedelta(days=1), "contact", summary="She declined to engage.")
    findings = analyse_case(b.build())
    order = {"high": 0, "medium": 1, "info": 2}
    assert [order[f.severity] for f in findings] == sorted(order[f.severity] for f in findings)
    assert set(kinds(findings)) <= set(KINDS)
    assert all(f.case_reference == "MAR-T-0001" and f.why for f in findings)


# --- agency_silent ------------------------------------------------------------------------------


def test_silent_agency_says_it_was_requested_and_chased():
    b = well_served_case()
    b.ret("MH", "chased", requested=date(2026, 2, 20), chased=date(2026, 2, 25), chase_count=2)
    [found] = of("agency_silent", b)
    assert found.agency == "Mental Health" and found.severity == "high"
    assert "requested on 20 Feb 2026" in found.message and "chased 2 times" in found.message


def test_not_requested_silence_is_reported_as_such():
    b = well_served_case()
    b.ret("ASC", None)
    [found] = of("agency_silent", b)
    assert found.agency == "Adult Social Care" and "not yet requested" in found.message


def test_requested_but_not_chased_silence_is_high_and_says_when_it_was_asked():
    # Found by mutation testing: the "requested" status had no test of its own.
    b = well_served_case()
    b.ret("MH", "requested", requested=date(2026, 2, 20))
    [found] = of("agency_silent", b)
    assert (found.agency, found.severity) == ("Mental Health", "high")
    assert found.message == (
        "Mental Health has returned nothing – no entries and no 'nothing known'; requested on 20 Feb 2026, "
        "not yet chased."
    )


def test_nothing_known_is_info_not_silence():
    b = well_served_case()
    findings = analyse_case(b.build())
    assert "agency_silent" not in kinds(findings)
    assert any(f.kind == "nothing_known" and f.agency == "Probation" for f in findings)


def test_agency_with_entries_but_no_return_status_is_not_silent():
    b = well_served_case()
    b.ret("MH", "requested", requested=date(2026, 2, 20))
    b.entry("MH", date(2025, 9, 1), "contact", summary="Alys seen by the community mental health team.")
    assert of("agency_silent", b) == []


def test_childrens_agencies_are_expected_only_when_there_are_children():
    b = CaseBuilder(children=0)
    assert [r.agency.short_code for r in b.build().returns if r.agency.short_code in ("CSC", "EDU")] == []
    with_children = CaseBuilder(children=1)
    with_children.ret("CSC", "requested", requested=date(2026, 2, 20))
    assert [f.agency for f in of("agency_silent", with_children)] == ["Children's Social Care"]


def test_declined_is_its_own_finding_as_serious_as_silence():
    b = well_served_case()
    b.ret("SMS", "declined")
    [found] = of("agency_declined", b)
    assert "declined" in found.message and found.severity == "high" and found.agency == "Substance Misuse"
    assert of("agency_silent", b) == []


# --- referral_not_received ----------------------------------------------------------------------


def test_referral_with_no_reply_fires_and_names_both_agencies():
    b = CaseBuilder()
    ref = b.entry("POL", D, "referral_made", to="HSG")
    [found] = of("referral_not_received", b)
    assert found.agency == "Housing" and found.entry_ids == (ref,) and found.severity == "high"
    assert "Police referred to Housing on 10 Jun 2025" in found.message


@pytest.mark.parametrize(("offset", "fires"), [(-1, True), (0, False), (1, False), (14, False), (15, True)])
def test_referral_window_boundaries(offset, fires):
    b = CaseBuilder()
    b.entry("POL", D, "referral_made", to="HSG")
    b.entry("HSG", D + timedelta(days=offset), "referral_received")
    assert bool(of("referral_not_received", b)) is fires


@given(st.integers(min_value=-60, max_value=60), st.integers(min_value=1, max_value=30))
def test_referral_window_property(offset, window):
    b = CaseBuilder()
    b.entry("IDVA", D, "referral_made", to="MH")
    b.entry("MH", D + timedelta(days=offset), "contact")
    fires = bool(of("referral_not_received", b, GapSettings(referral_window_days=window)))
    assert fires is not (0 <= offset <= window)


def test_referrals_to_one_agency_are_one_finding_of_that_case_naming_its_return():
    # Found by mutation testing: the group's case id and the return status in its sentence.
    b = CaseBuilder(case_id=7)
    first = b.entry("POL", D, "referral_made", to="HSG")
    second = b.entry("POL", D + timedelta(days=30), "referral_made", to="HSG")
    [found] = of("referral_not_received", b)
    assert (found.case_id, found.agency, found.entry_ids, found.severity) == (7, "Housing", (first, second), "high")
    assert found.message == (
        "2 referrals to Housing have no entry of its own after them (its return: returned with information): "
        "Police on 10 Jun 2025 and Police on 10 Jul 2025."
    )
    assert [i.message for i in found.instances] == [
        "Police referred to Housing on 10 Jun 2025; Housing has no entry within 14 days after it; "
        "its return: returned with information.",
        "Police referred to Housing on 10 Jul 2025; Housing has no entry within 14 days after it; "
        "its return: returned with information.",
    ]


def test_a_nothing_known_reply_is_not_receipt():
    b = CaseBuilder()
    b.entry("POL", D, "referral_made", to="HSG")
    b.entry("HSG", D + timedelta(days=3), "nothing_known", summary="")
    assert len(of("referral_not_received", b)) == 1


def test_month_precision_reply_that_may_fall_in_the_window_counts():
    b = CaseBuilder()
    b.entry("POL", date(2025, 6, 28), "referral_made", to="HSG")
    b.entry("HSG", PartialDate(date(2025, 7, 1), "month"), "referral_received")
    assert of("referral_not_received", b) == []
    late = CaseBuilder()
    late.entry("POL", date(2025, 6, 1), "referral_made", to="HSG")
    late.entry("HSG", PartialDate(date(2025, 7, 1), "month"), "referral_received")
    assert len(of("referral_not_received", late)) == 1


def test_referral_whose_window_is_still_open_is_not_reported_yet():
    b = CaseBuilder()
    b.entry("POL", D, "referral_made", to="HSG")
    assert of("referral_not_received", b, GapSettings(as_of=D + timedelta(days=14))) == []
    assert len(of("referral_not_received", b, GapSettings(as_of=D + timedelta(days=15)))) == 1


def test_referral_without_a_target_or_to_itself_is_ignored():
    b = CaseBuilder()
    b.entry("POL", D, "referral_made")
    b.entry("POL", D, "referral_made", to="POL")
    assert of("referral_not_received", b) == []


# --- referral_considered_not_made ---------------------------------------------------------------


def test_every_referral_considered_not_made_is_high():
    b = CaseBuilder()
    first = b.entry("HLTH", D, "referral_considered_not_made", to="IDVA")
    second = b.entry("HSG", D + timedelta(days=40), "referral_considered_not_made")
    found = of("referral_considered_not_made", b)
    assert [f.entry_ids for f in found] == [(first,), (second,)]
    assert all(f.severity == "high" for f in found)
    assert "Health considered a referral to Idva service" in found[0].message


def test_no_considered_referral_no_finding():
    b = CaseBuilder()
    b.entry("HLTH", D, "referral_made", to="IDVA")
    b.entry("IDVA", D, "referral_received")
    assert of("referral_considered_not_made", b) == []


# --- assessed_without_known_risk ----------------------------------------------------------------


def test_low_assessment_after_others_held_high_risk_fires_naming_what_and_who():
    b = CaseBuilder()
    pol = b.entry("POL", D, "incident", indicators=("strangulation",))
    idva = b.entry("IDVA", D + timedelta(days=3), "disclosure", indicators=("threats_to_kill", "stalking"))
    hsg = b.entry("HSG", D + timedelta(days=10), "risk_assessment", level="standard")
    [found] = of("assessed_without_known_risk", b)
    assert found.agency == "Housing" and found.severity == "high"
    assert set(found.entry_ids) == {pol, idva, hsg}
    assert "strangling, choking or suffocating (Police)" in found.message
    assert "threats to kill (Idva service)" in found.message


@pytest.mark.parametrize("level", ["high", None])
def test_high_or_unrated_assessment_does_not_fire(level):
    b = CaseBuilder()
    b.entry("POL", D, "incident", indicators=("strangulation",))
    b.entry("HSG", D + timedelta(days=10), "risk_assessment", level=level)
    assert of("assessed_without_known_risk", b) == []


def test_indicators_learned_after_the_assessment_or_by_the_same_agency_do_not_fire():
    b = CaseBuilder()
    b.entry("HSG", D, "incident", indicators=("strangulation",))
    b.entry("HSG", D + timedelta(days=1), "risk_assessment", level="medium")
    b.entry("POL", D + timedelta(days=2), "incident", indicators=("weapons",))
    assert of("assessed_without_known_risk", b) == []


def test_same_day_sequence_decides_what_was_already_held():
    before = CaseBuilder()
    before.entry("POL", D, "incident", indicators=("strangulation",), sequence=1)
    before.entry("HSG", D, "risk_assessment", level="standard", sequence=2)
    assert len(of("assessed_without_known_risk", before)) == 1
    after = CaseBuilder()
    after.entry("HSG", D, "risk_assessment", level="standard", sequence=1)
    after.entry("POL", D, "incident", indicators=("strangulation",), sequence=2)
    assert of("assessed_without_known_risk", after) == []


def test_month_precision_indicator_in_the_assessment_month_is_not_held_for_certain():
    b = CaseBuilder()
    b.entry("POL", PartialDate(date(2025, 6, 1), "month"), "incident", indicators=("strangulation",))
    b.entry("HSG", D, "risk_assessment", level="standard")
    assert of("assessed_without_known_risk", b) == []
    b2 = CaseBuilder()
    b2.entry("POL", PartialDate(date(2025, 5, 1), "month"), "incident", indicators=("strangulation",))
    b2.entry("HSG", D, "risk_assessment", level="standard")
    assert len(of("assessed_without_known_risk", b2)) == 1


def test_non_high_risk_indicators_do_not_count():
    b = CaseBuilder()
    b.entry("POL", D, "incident", indicators=("injury", "frightened"))
    b.entry("HSG", D + timedelta(days=5), "risk_assessment", level="standard")
    assert of("assessed_without_known_risk", b) == []


# --- counter_allegation -------------------------------------------------------------------------


def test_counter_allegation_lists_earlier_incidents_by_the_alleger():
    b = CaseBuilder()
    one = b.entry("POL", D, "incident")
    two = b.entry("HLTH", D + timedelta(days=20), "ae_attendance")
    ca = b.entry(
        "POL",
        D + timedelta(days=30),
        "counter_allegation",
        subjects=("perpetrator",),
        summary="Gethin alleged Alys assaulted him.",
    )
    b.entry("POL", D + timedelta(days=40), "incident")
    [found] = of("counter_allegation", b)
    assert found.entry_ids == (ca, one, two) and found.severity == "high"
    assert "2 earlier incidents" in found.message and "10 Jun 2025 (Police)" in found.message


def test_counter_allegation_without_history_is_still_shown():
    b = CaseBuilder()
    b.entry("POL", D, "counter_allegation")
    [found] = of("counter_allegation", b)
    assert found.severity == "medium"
    assert found.message == (
        "Counter-allegation recorded by Police on 10 Jun 2025; no earlier incidents with the alleger as the "
        "reported perpetrator are recorded; check other agencies' records."
    )
    [alone] = found.instances
    assert alone.severity == "medium"  # found by mutation testing: no earlier incident, not "high"
    assert alone.message == (
        "Counter-allegation recorded by Police on 10 Jun 2025; 0 earlier incidents with the alleger as the "
        "reported perpetrator."
    )


def test_no_counter_allegation_no_finding():
    b = CaseBuilder()
    b.entry("POL", D, "incident")
    assert of("counter_allegation", b) == []


# --- escalation ---------------------------------------------------------------------------------


R = date(2026, 3, 1)  # CaseBuilder's default referral date


def test_three_incidents_across_agencies_in_a_year_fire_when_not_referred_on_it():
    b = CaseBuilder(criteria=("professional_judgement",))
    b.entry("POL", D, "incident")
    b.entry("HLTH", D + timedelta(days=100), "ae_attendance")
    b.entry("IDVA", D + timedelta(days=200), "disclosure")
    [found] = of("escalation", b)
    assert len(found.entry_ids) == 3 and "3 incidents in the 12 months before the referral" in found.message
    assert "Health, Idva service and Police" in found.message
    assert len(found.instances) == 3


def test_escalation_not_raised_when_referred_on_that_criterion():
    b = CaseBuilder(criteria=("potential_escalation",))
    for days in (0, 10, 20, 30):
        b.entry("POL", D + timedelta(days=days), "incident")
    assert of("escalation", b) == []


def test_same_day_reports_of_one_incident_count_once():
    b = CaseBuilder(criteria=())
    b.entry("POL", D, "call_out")
    b.entry("HLTH", D, "ae_attendance")
    b.entry("POL", D + timedelta(days=30), "incident")
    assert of("escalation", b) == []


def test_non_incident_events_do_not_count():
    b = CaseBuilder(criteria=())
    b.entry("POL", D, "incident")
    b.entry("HSG", D + timedelta(days=1), "contact")
    b.entry("HSG", D + timedelta(days=2), "missed_appointment")
    b.entry("POL", D + timedelta(days=3), "incident")
    assert of("escalation", b) == []


@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=300),
)
def test_escalation_counts_only_the_months_before_the_referral(last, gap_one, gap_two):
    """Three incidents fire only when all three lie in the 365 days up to the referral day, not
    in the best 12 months anywhere in the history."""
    b = CaseBuilder(criteria=())
    b.entry("POL", R - timedelta(days=last), "incident")
    b.entry("HLTH", R - timedelta(days=last + gap_one), "ae_attendance")
    b.entry("IDVA", R - timedelta(days=last + gap_one + gap_two), "disclosure")
    fires = bool(of("escalation", b))
    assert fires is (last + gap_one + gap_two <= 365)


def test_incidents_after_the_referral_or_long_before_it_do_not_count():
    b = CaseBuilder(criteria=())
    b.entry("POL", date(2024, 1, 1), "incident")
    b.entry("POL", date(2024, 2, 1), "incident")
    b.entry("POL", date(2024, 3, 1), "incident")  # three in a year, but two years before the referral
    b.entry("POL", R + timedelta(days=1), "incident")
    assert of("escalation", b) == []


def test_month_precision_incident_counts_only_if_wholly_inside_the_window():
    inside = CaseBuilder(criteria=())
    inside.entry("POL", date(2025, 4, 1), "incident")
    inside.entry("POL", date(2025, 6, 1), "incident")
    inside.entry("HLTH", PartialDate(date(2025, 12, 1), "month"), "ae_attendance")
    assert len(of("escalation", inside)) == 1
    straddles = CaseBuilder(criteria=(), referral=date(2026, 3, 15))  # the window opens on 15 Mar 2025
    straddles.entry("POL", date(2025, 4, 1), "incident")
    straddles.entry("POL", date(2025, 6, 1), "incident")
    straddles.entry("HLTH", PartialDate(date(2025, 3, 1), "month"), "ae_attendance")
    assert of("escalation", straddles) == []


# --- single_agency_risk -------------------------------------------------------------------------


def test_indicator_known_to_one_agency_fires():
    b = CaseBuilder()
    e = b.entry("HLTH", D, "disclosure", indicators=("pregnancy",))
    b.entry("POL", D, "incident", indicators=("strangulation",))
    b.entry("IDVA", D, "disclosure", indicators=("strangulation",))
    [found] = of("single_agency_risk", b)
    assert found.agency == "Health" and found.entry_ids == (e,)
    assert "Pregnant or baby under 18 months is known only to Health" in found.message


def test_indicator_known_to_two_agencies_or_not_high_risk_does_not_fire():
    b = CaseBuilder()
    b.entry("HLTH", D, "disclosure", indicators=("pregnancy", "injury"))
    b.entry("IDVA", D, "disclosure", indicators=("pregnancy",))
    assert of("single_agency_risk", b) == []


# --- repeat -------------------------------------------------------------------------------------


def test_same_victim_referred_within_12_months_is_a_repeat_even_if_not_ticked():
    b = CaseBuilder(referral=date(2026, 3, 1))
    b.earlier_case("MAR-2025-0042", date(2025, 9, 1), person("PRITCHARD, Alys", date(1990, 4, 3)))
    [found] = of("repeat", b)
    assert "MAR-2025-0042" in found.message and found.severity == "high"
    assert "does not mark it as a repeat" in found.message


def test_ticked_repeat_is_still_named():
    b = CaseBuilder(referral=date(2026, 3, 1), repeat=True)
    b.earlier_case("MAR-2025-0042", date(2025, 9, 1), person("Alys Pritchard", None))
    [found] = of("repeat", b)
    assert found.severity == "medium" and "marks it as a repeat" in found.message


@pytest.mark.parametrize(("days", "fires"), [(0, False), (1, True), (365, True), (366, False)])
def test_repeat_window_boundary(days, fires):
    b = CaseBuilder(referral=date(2026, 3, 1))
    b.earlier_case("MAR-OLD", date(2026, 3, 1) - timedelta(days=days), person("Alys PRITCHARD", date(1990, 4, 3)))
    assert bool(of("repeat", b)) is fires


def test_alias_match_counts_and_a_different_birth_date_does_not():
    b = CaseBuilder(victim=person("Alys PRITCHARD", date(1990, 4, 3), aliases=("Alys JONES",)))
    b.earlier_case("MAR-ALIAS", date(2025, 12, 1), person("Alys Jones", date(1990, 4, 3)))
    b.earlier_case("MAR-OTHER", date(2025, 12, 2), person("Alys Pritchard", date(1985, 1, 1)))
    b.earlier_case("MAR-DOB-ONLY", date(2025, 12, 3), person("Sian EVANS", date(1990, 4, 3)))
    found = of("repeat", b)
    assert len(found) == 1 and "MAR-ALIAS" in found[0].message


# --- victim_blaming_language --------------------------------------------------------------------


def test_blaming_language_in_an_entry_is_flagged_with_a_suggestion():
    b = CaseBuilder()
    e = b.entry("HSG", D, "contact", summary="Alys declined to engage with the tenancy officer.")
    [found] = of("victim_blaming_language", b)
    assert found.entry_ids == (e,) and "“declined to engage”" in found.message
    assert "what was offered" in found.message
    assert b.entries[0].summary == "Alys declined to engage with the tenancy officer."


def test_wording_about_the_perpetrator_alone_is_not_victim_blaming():
    b = CaseBuilder()
    b.entry("PROB", D, "contact", subjects=("perpetrator",), summary="Gethin did not engage with the programme.")
    assert of("victim_blaming_language", b) == []
    b.entry("PROB", D, "contact", subjects=("victim",), summary="Alys did not engage.")
    assert len(of("victim_blaming_language", b)) == 1


def test_going_back_to_someone_other_than_the_perpetrator_is_not_flagged_and_later_entries_are_read():
    # Found by mutation testing: the phrase's named person is checked against the case's
    # perpetrator, and an entry with nothing to flag does not stop the later ones being read.
    b = CaseBuilder()
    b.people.append(person("Gethin MORGAN", date(1988, 1, 1), role="perpetrator"))
    b.entry("HSG", D, "contact", summary="Offered a sanctuary scheme; accepted.")
    b.entry("HSG", D + timedelta(days=1), "contact", summary="Alys went back to Bethan for the night.")
    back = b.entry("HSG", D + timedelta(days=2), "contact", summary="Alys went back to Gethin again.")
    [found] = of("victim_blaming_language", b)
    assert found.entry_ids == (back,)
    assert found.message == (
        "Housing's entry of 12 Jun 2025 (Contact) says “went back to Gethin”. "
        '"Remained in the relationship"; "[perpetrator] returned to the address".'
    )


def test_wording_read_from_the_text_without_a_listed_phrase_gets_the_general_suggestion():
    # Found by mutation testing: the reader's signals are checked for names too, and wording the
    # phrase list has no suggestion for gets the general one, as a sentence.
    b = CaseBuilder()
    b.people.append(person("Gethin MORGAN", date(1988, 1, 1), role="perpetrator"))
    elsewhere = b.entry("IDVA", D, "contact", summary="Alys went back to Bethan for the night.")
    b.signal(elsewhere, "victim_blaming", "choice_to_stay", "went back to Bethan")
    kept = b.entry("IDVA", D + timedelta(days=1), "contact", summary="Alys kept herself out of the way of the officers.")
    b.signal(kept, "victim_blaming", "engagement", "kept herself out of the way of the officers")
    [found] = of("victim_blaming_language", b)
    assert found.entry_ids == (kept,)
    assert found.message == (
        "Idva service's entry of 11 Jun 2025 (Contact) says “kept herself out of the way of the officers”. "
        "Say what was offered, when and how, and what got in the way."
    )


def test_neutral_wording_is_not_flagged():
    b = CaseBuilder()
    b.entry("HSG", D, "contact", summary="Offered a sanctuary scheme on 3 June; not accepted then; offer repeated.")
    assert of("victim_blaming_language", b) == []


def test_each_agencys_entries_are_in_date_order_whatever_order_they_were_added():
    # Found by mutation testing (the timeline reads these): sorted by date, then by sequence.
    from marac_prep.analysis.gaps import agency_entries

    b = CaseBuilder()
    late = b.entry("HSG", D + timedelta(days=5), "contact")
    police = b.entry("POL", D + timedelta(days=1), "incident")
    second = b.entry("HSG", D, "contact", sequence=2)
    first = b.entry("HSG", D, "contact", sequence=1)
    by_agency = {agency: [e.id for e in entries] for agency, entries in agency_entries(b.build()).items()}
    assert by_agency == {AGENCIES["HSG"].id: [first, second, late], AGENCIES["POL"].id: [police]}


def _earlier_action(n: int, status: str, *, due: date | None = None):
    from marac_prep.core.actions import ActionRow

    return ActionRow(
        id=n, version=1, meeting_id=5, meeting_date=date(2025, 12, 4), case_id=900, case_reference="MAR-T-0900",
        victim_initials="AP", agency_id=AGENCIES["HSG"].id, agency="Housing", owner="", text="Fit a door lock.",
        due_date=due, protects=(), status=status, done_on=None, outcome="", status_reported_on=None,
        status_reported_by="", overdue=False,
    )


def test_an_action_without_an_owner_or_outcome_is_said_without_empty_brackets():
    # Found by mutation testing: no owner, no outcome and no due date leave no trace in the sentence.
    from dataclasses import replace

    b = CaseBuilder()
    b.earlier_case("MAR-T-0900", date(2025, 12, 1), person("Alys PRITCHARD", date(1990, 4, 3)), meeting=date(2025, 12, 4))
    case_file = replace(b.build(), earlier_actions=[
        _earlier_action(1, "not_done_agency"), _earlier_action(2, "open", due=date(2026, 1, 15)),
    ])
    found = [(f.severity, f.message) for f in analyse_case(case_file) if f.kind == "action_not_completed"]
    assert found == [
        ("high", "At the last Marac (4 Dec 2025, MAR-T-0900) Housing agreed “Fit a door lock.”; it was not done "
                 "because the agency did not act."),
        ("medium", "At the last Marac (4 Dec 2025, MAR-T-0900) Housing agreed “Fit a door lock.”, due 15 Jan 2026; "
                   "it was still open when this referral was made."),
    ]
    # A case with no victim recorded cannot be the same victim's repeat: nothing is raised.
    no_victim = replace(case_file, people=[p for p in case_file.people if p.role != "victim"])
    assert [f for f in analyse_case(no_victim) if f.kind == "action_not_completed"] == []


# --- meeting --------------------------------------------------------------------------------------


def test_analyse_meeting_keys_by_case_id():
    one, two = well_served_case(), CaseBuilder(case_id=2, reference="MAR-T-0002")
    two.entry("POL", D, "referral_considered_not_made")
    result = analyse_meeting([one.build(), two.build()])
    assert set(result) == {1, 2}
    assert "referral_considered_not_made" in kinds(result[2]) and "referral_considered_not_made" not in kinds(result[1])


# --- found by mutation testing (tools/mutation.py gaps) --------------------------------------


def test_declining_says_how_many_entries_the_agency_holds_and_is_medium_where_not_expected():
    b = well_served_case()
    b.ret("SMS", "declined")
    tail = " Declining is not an answer: the meeting does not know what it holds."
    [found] = of("agency_declined", b)
    assert found.message == "Substance Misuse declined to return information for this case." + tail
    b.entry("SMS", date(2025, 10, 1), "contact", summary="Alys seen at the drop-in.")
    [found] = of("agency_declined", b)
    assert found.message == "Substance Misuse declined to return information for this case; it holds 1 entry of its own." + tail
    b.entry("SMS", date(2025, 10, 8), "contact", summary="Alys seen at the drop-in again.")
    assert "; it holds 2 entries of its own." in of("agency_declined", b)[0].message
    unexpected = CaseBuilder(children=0)
    unexpected.ret("EDU", "declined")
    assert [(f.agency, f.severity) for f in of("agency_declined", unexpected)] == [("Education", "medium")]


def test_a_single_chase_is_one_time():
    b = well_served_case()
    b.ret("MH", "chased", requested=date(2026, 2, 20), chased=date(2026, 2, 25), chase_count=1)
    [found] = of("agency_silent", b)
    assert "chased 1 time (last on 25 Feb 2026)" in found.message


def test_nothing_known_beside_entries_names_the_earliest_entry_whatever_order_they_were_added():
    b = well_served_case()
    b.entry("MH", date(2025, 12, 1), "contact", summary="Alys seen by the crisis team.")
    b.entry("MH", date(2025, 9, 1), "contact", summary="Alys seen by the community mental health team.")
    b.ret("MH", "nothing_known")
    [found] = of("nothing_known_with_entries", b)
    assert "holds 2 entries of its own (the first of 1 Sep 2025)" in found.message


def test_a_long_group_names_the_first_six_and_counts_the_rest():
    b = well_served_case()
    for day in range(1, 9):
        b.entry("HSG", date(2025, 10, day), "referral_considered_not_made", summary="Marac referral considered; not made.")
    [found] = of("referral_considered_not_made", b)
    assert len(found.instances) == 8 and found.message.endswith("2 more.")


def test_every_finding_has_a_key_of_its_kind():
    b = well_served_case()
    b.ret("MH", None)
    b.ret("SMS", "declined")
    findings = analyse_case(b.build())
    assert findings and all(f.key.startswith(f"{f.kind}|") for f in findings)


def test_the_same_incident_hours_setting_reaches_the_escalation_count():
    b = CaseBuilder()
    b.entry("POL", date(2025, 12, 1), time="09:00")
    b.entry("HSG", date(2025, 12, 1), time="11:00", summary="Housing officer called to a disturbance.")
    b.entry("POL", date(2026, 1, 10))
    assert of("escalation", b) == []  # two hours apart: one incident by default, so two in all
    [found] = of("escalation", b, GapSettings(same_incident_hours=1))
    assert found.severity == "high"


def test_every_setting_reaches_the_rules():
    from dataclasses import replace

    from marac_prep.core.settings import packaged

    changed = replace(packaged(), referral_received_window_days=11, escalation_window_days=222,
                      escalation_incident_count=5, repeat_window_days=200, approximate_date_days=9,
                      same_incident_hours=7)
    gs = GapSettings.from_settings(changed)
    assert (gs.referral_window_days, gs.escalation_window_days, gs.escalation_incident_count, gs.repeat_window_days,
            gs.approximate_date_days, gs.same_incident_hours) == (11, 222, 5, 200, 9, 7)
    assert gs.repeat_definition == changed.repeat_definition


def test_a_counter_allegation_counts_the_incidents_before_it_whatever_order_they_were_added():
    b = CaseBuilder()
    b.entry("POL", date(2025, 12, 1))  # after the allegation, added first
    b.entry("POL", date(2025, 10, 1))
    b.entry("HSG", date(2025, 11, 15), summary="Housing officer saw Gethin push Alys.")
    b.entry("POL", date(2025, 11, 15), "counter_allegation", sequence=1, summary="Gethin alleged Alys hit him.")
    [found] = of("counter_allegation", b)
    [instance] = found.instances
    assert "; 2 earlier incidents with the alleger as the reported perpetrator." in instance.message


@pytest.mark.parametrize(("assessed", "severity"), [(date(2025, 3, 1), "high"), (date(2025, 2, 28), "info")])
def test_a_separation_a_year_before_the_referral_with_strangling_is_high_and_long_lists_are_cut(assessed, severity):
    # Found by mutation testing: a Dash separation on the first day of the 12 months counts (the
    # referral is on 1 Mar 2026), the pattern's markers are named in lower case, every line is a
    # note, and a marker held in more places than are listed ends "and N more".
    from marac_prep.core.models import RiskAssessment

    b = CaseBuilder(criteria=())
    for n in range(8):
        b.entry("POL", date(2025, 4, 1) + timedelta(days=7 * n), "incident", indicators=("strangulation",))
    b.assessments.append(RiskAssessment(case_id=1, agency_id=2, assessed_on=assessed, score=14,
                                        answers={"separation": {"answer": "yes"}}))
    [found] = of("homicide_markers", b)
    note = (" A separation in the last 12 months together with strangling, choking or suffocating is the pattern "
            "reviews name most.") if severity == "high" else ""
    assert found.severity == severity
    assert found.message == (
        "Homicide markers present: separation in the past year, strangling, choking or suffocating and escalation."
        f"{note} They inform the discussion; they are not a score."
    )
    assert [(i.message, i.severity) for i in found.instances] == [
        (f"Separation in the past year: Idva service Dash {assessed.day} {assessed:%b %Y}.", "info"),
        ("Strangling, choking or suffocating: Police 1 Apr 2025, Police 8 Apr 2025, Police 15 Apr 2025, "
         "Police 22 Apr 2025, Police 29 Apr 2025, Police 6 May 2025 and 2 more.", "info"),
        ("Escalation: 8 incidents in the 12 months before the referral.", "info"),
    ]


def test_homicide_markers_name_each_marker_and_rest_on_its_entries_as_notes():
    [found] = of("homicide_markers", well_served_case())
    assert found.message.startswith("Homicide markers present: ")
    names = [i.message.split(":")[0].lower() for i in found.instances]
    assert names and all(name in found.message for name in names)
    assert {i.severity for i in found.instances} == {"info"}
    assert found.entry_ids and set(found.entry_ids) == {e for i in found.instances for e in i.entry_ids}
