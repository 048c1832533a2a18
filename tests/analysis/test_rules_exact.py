"""The gap rules exactly as DOMAIN.md defines them: dates that stand for many days, incidents
counted once, counter-allegation patterns, declined returns, consent, and what the text says."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marac_prep.analysis.findings import Quote, headline
from marac_prep.analysis.gaps import GapFinding, GapSettings, analyse_case, answered
from marac_prep.core.dates import PartialDate
from marac_prep.core.models import Person, RiskAssessment
from tests.analysis.builders import CaseBuilder, person, well_served_case

D = date(2025, 6, 10)
R = date(2026, 3, 1)


def of(kind: str, b: CaseBuilder, settings: GapSettings | None = None) -> list[GapFinding]:
    return [f for f in analyse_case(b.build(), settings) if f.kind == kind]


# --- dates that stand for more than one day ---------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "fires"), [(date(2025, 6, 3), False), (date(2025, 6, 25), False), (date(2025, 7, 2), True)]
)
def test_approximate_referral_is_a_window_of_days(reply, fires):
    """ "?10 Jun" may be 3–17 Jun (±7 days): a reply on 25 Jun may be within 14 days of it."""
    b = CaseBuilder()
    b.entry("POL", PartialDate(D, "day", approximate=True), "referral_made", to="HSG")
    b.entry("HSG", reply, "referral_received")
    assert bool(of("referral_not_received", b)) is fires


def test_approximate_days_is_a_setting():
    b = CaseBuilder()
    b.entry("POL", PartialDate(D, "day", approximate=True), "referral_made", to="HSG")
    b.entry("HSG", date(2025, 6, 25), "referral_received")
    assert of("referral_not_received", b, GapSettings(approximate_date_days=7)) == []
    assert len(of("referral_not_received", b, GapSettings(approximate_date_days=0))) == 1


@pytest.mark.parametrize(
    ("referral", "reply", "fires"),
    [
        (PartialDate(date(2025, 6, 1), "month"), date(2025, 6, 20), False),  # from 1 Jun the window ends 15 Jun
        (PartialDate(date(2025, 6, 1), "month"), date(2025, 7, 14), False),  # 30 Jun + 14 days
        (PartialDate(date(2025, 6, 1), "month"), date(2025, 7, 15), True),
        (PartialDate(date(2024, 1, 1), "year"), date(2024, 11, 30), False),
        (PartialDate(date(2024, 1, 1), "year"), date(2025, 1, 15), True),
    ],
)
def test_month_or_year_referral_window_runs_from_its_last_possible_day(referral, reply, fires):
    b = CaseBuilder()
    b.entry("POL", referral, "referral_made", to="HSG")
    b.entry("HSG", reply, "referral_received")
    assert bool(of("referral_not_received", b)) is fires


def test_approximate_indicator_is_already_held_only_when_certainly_before():
    near = CaseBuilder()
    near.entry("POL", PartialDate(date(2025, 6, 1), "day", approximate=True), indicators=("strangulation",))
    near.entry("HSG", date(2025, 6, 5), "risk_assessment", level="standard")
    assert of("assessed_without_known_risk", near) == []
    later = CaseBuilder()
    later.entry("POL", PartialDate(date(2025, 6, 1), "day", approximate=True), indicators=("strangulation",))
    later.entry("HSG", date(2025, 6, 9), "risk_assessment", level="standard")
    assert len(of("assessed_without_known_risk", later)) == 1


def test_partial_date_helpers():
    month = PartialDate(date(2026, 3, 1), "month")
    assert month.span() == (date(2026, 3, 1), date(2026, 3, 31))
    rough = PartialDate(date(2026, 6, 10), "day", approximate=True)
    assert rough.span(7) == (date(2026, 6, 3), date(2026, 6, 17))
    assert PartialDate(date(2026, 2, 28)).certainly_before(month)
    assert not PartialDate(date(2026, 3, 31)).certainly_before(month)
    assert rough.may_overlap(PartialDate(date(2026, 6, 17)))
    assert not rough.may_overlap(PartialDate(date(2026, 6, 18)))
    assert month.certainly_within(date(2026, 3, 1), date(2026, 3, 31))
    assert not month.certainly_within(date(2026, 3, 2), date(2026, 4, 30))


# --- assessments --------------------------------------------------------------------------------


def test_a_low_risk_assessment_record_counts_not_only_chronology_entries():
    b = CaseBuilder()
    b.entry("POL", D, indicators=("strangulation",))
    b.assessments.append(
        RiskAssessment(case_id=1, agency_id=5, assessed_on=D + timedelta(days=10), score=4, answers={})
    )
    [found] = of("assessed_without_known_risk", b)
    assert found.agency == "Housing" and "rated the risk standard on 20 Jun 2025" in found.message


# --- counter-allegations ------------------------------------------------------------------------


def test_counter_allegation_counts_only_incidents_with_the_alleger_as_perpetrator():
    b = CaseBuilder()
    b.entry("POL", D, "incident", subjects=("victim",))  # about the victim only: not his
    b.entry("HLTH", D + timedelta(days=1), "ae_attendance", subjects=("victim", "other"))
    his = b.entry("POL", D + timedelta(days=2), "incident", subjects=("victim", "perpetrator"))
    ca = b.entry("POL", D + timedelta(days=30), "counter_allegation", subjects=("perpetrator",))
    [found] = of("counter_allegation", b)
    assert found.entry_ids == (ca, his) and "1 earlier incident with the alleger" in found.message


def test_counter_allegation_same_day_sequence_decides_what_came_before():
    b = CaseBuilder()
    before = b.entry("POL", D, "incident", sequence=0)
    b.entry("POL", D, "counter_allegation", subjects=("perpetrator",), sequence=1)
    b.entry("POL", D, "incident", sequence=2)
    [found] = of("counter_allegation", b)
    assert found.entry_ids[1:] == (before,) and "1 earlier incident" in found.message


def test_several_counter_allegations_by_one_person_are_one_pattern():
    b = CaseBuilder()
    b.people.append(person("Gethin MORGAN", date(1988, 2, 2), role="perpetrator"))
    b.entry("POL", D, "incident")
    first = b.entry("POL", D + timedelta(days=10), "counter_allegation", subjects=("perpetrator",))
    second = b.entry("HLTH", D + timedelta(days=40), "counter_allegation", subjects=("perpetrator",))
    third = b.entry("IDVA", D + timedelta(days=80), "contact", summary="He rang 101 saying she had attacked him.")
    b.signal(third, "event", "counter_allegation", "He rang 101 saying she had attacked him")
    [found] = of("counter_allegation", b)
    assert len(found.instances) == 3 and found.severity == "high"
    assert "3 counter-allegations by Gethin MORGAN" in found.message
    assert {first, second, third} <= set(found.entry_ids)
    assert "read from the text" in found.message and found.from_text[0].words.startswith("He rang 101")
    assert found.key == "counter_allegation||Gethin MORGAN"


# --- escalation: one incident counted once --------------------------------------------------------


def _three_days(b: CaseBuilder) -> None:
    b.entry("POL", date(2025, 9, 1), "incident")
    b.entry("POL", date(2025, 11, 1), "incident")


def test_one_incident_recorded_by_three_agencies_counts_once_and_lists_them():
    b = CaseBuilder(criteria=())
    b.entry("POL", date(2025, 9, 1), "call_out")
    b.entry("HLTH", date(2025, 9, 1), "ae_attendance")
    b.entry("IDVA", date(2025, 9, 1), "disclosure")
    b.entry("POL", date(2025, 11, 1), "incident")
    assert of("escalation", b) == []
    b.entry("POL", date(2026, 1, 5), "incident")
    [found] = of("escalation", b)
    assert "3 incidents" in found.message
    assert found.instances[0].message == "1 Sep 2025: known to Police, Health and Idva service."


@pytest.mark.parametrize(
    ("second", "count"),
    [
        ({"agency": "HLTH", "time": "22:30"}, 2),  # hours apart from 09:00
        ({"agency": "HLTH", "time": "10:15"}, 1),
        ({"agency": "POL", "sequence": 1}, 2),  # the same agency's second record that day
        ({"agency": "HLTH", "subjects": ("victim", "child")}, 2),  # other people
        ({"agency": "HLTH", "summary": "A second incident later that day at her sister's."}, 2),
    ],
)
def test_two_incidents_on_one_day_stay_two_when_times_or_texts_show_it(second, count):
    b = CaseBuilder(criteria=())
    b.entry("POL", date(2025, 10, 1), "incident", time="09:00")
    b.entry(
        second["agency"],
        date(2025, 10, 1),
        "incident",
        time=second.get("time"),
        sequence=second.get("sequence", 0),
        subjects=second.get("subjects", ("victim", "perpetrator")),
        summary=second.get("summary", "Police attended; perpetrator arrested."),
    )
    b.entry("POL", date(2025, 12, 1), "incident")
    assert bool(of("escalation", b)) is (count + 1 >= 3)


def test_a_month_precision_record_joins_an_incident_in_its_month_rather_than_adding_one():
    b = CaseBuilder(criteria=())
    _three_days(b)
    b.entry("HLTH", PartialDate(date(2025, 11, 1), "month"), "ae_attendance")
    assert of("escalation", b) == []
    b.entry("HLTH", PartialDate(date(2025, 12, 1), "month"), "ae_attendance")
    assert len(of("escalation", b)) == 1


# --- returns: declined, nothing known -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "said", "severity"),
    [(None, "not requested", "medium"), ("nothing_known", "nothing known", "high"), ("declined", "declined", "high")],
)
def test_referral_not_received_says_the_receivers_return_status(status, said, severity):
    b = CaseBuilder()
    b.ret("HSG", status)
    b.entry("POL", D, "referral_made", to="HSG")
    [found] = of("referral_not_received", b)
    assert found.message.endswith(f"its return: {said}.") and found.severity == severity


def test_declined_never_counts_as_answered():
    b = well_served_case()
    b.ret("MH", "declined")
    case_file = b.build()
    row = next(r for r in case_file.returns if r.agency.name == "Mental Health")
    assert not answered(row) and not row.answered
    kinds = {f.kind: f for f in analyse_case(case_file)}
    assert kinds["agency_declined"].severity == "high" and "nothing_known" in kinds


def test_nothing_known_beside_own_entries_is_reported():
    b = well_served_case()
    b.ret("HSG", "nothing_known")
    [found] = of("nothing_known_with_entries", b)
    assert found.agency == "Housing" and "holds 1 entry of its own" in found.message
    assert "Housing" not in {f.agency for f in of("nothing_known", b)}


def test_an_agency_holding_only_nothing_known_entries_keeps_its_note():
    b = well_served_case()
    b.ret("MH", "returned")
    entry = b.entry("MH", D, "nothing_known", summary="Nothing known.")
    found = [f for f in of("nothing_known", b) if f.agency == "Mental Health"]
    assert len(found) == 1 and found[0].entry_ids == (entry,)


# --- consent --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aware", "consent", "reason", "severity"),
    [
        (None, None, "", "info"),  # not recorded: a note to ask the referrer
        (True, None, "", "info"),
        (None, False, "", "medium"),
        (True, False, "", "medium"),  # no consent and no reason: a gap
        (True, False, "Risk to the children outweighs consent.", None),
        (True, True, "", None),
    ],
)
def test_consent_not_recorded(aware, consent, reason, severity):
    b = well_served_case()
    b.case.victim_aware, b.case.victim_consent, b.case.consent_reason = aware, consent, reason
    assert [f.severity for f in of("consent_not_recorded", b)] == ([severity] if severity else [])


# --- what the text says ---------------------------------------------------------------------------


def test_risk_in_text_not_coded_names_entry_words_and_indicator():
    b = CaseBuilder()
    e = b.entry("HLTH", D, "ae_attendance", summary="She said he put his hands round her neck.")
    b.signal(e, "risk_indicator", "strangulation", "put his hands round her neck")
    coded = b.entry("POL", D, indicators=("threats_to_kill",), summary="He said he would kill her.")
    b.signal(coded, "risk_indicator", "threats_to_kill", "he would kill her")
    [found] = of("risk_in_text_not_coded", b)
    assert found.agency == "Health" and found.entry_ids == (e,)
    assert "“put his hands round her neck”" in found.message and "strangling" in found.message.lower()
    assert found.from_text[0].words == "put his hands round her neck"


def test_an_entry_whose_words_are_all_coded_does_not_stop_the_later_ones_being_read():
    # Found by mutation testing: the earlier, fully coded entry must not end the search, and a
    # risk that is not high-risk is an "info" finding, not a "medium" one.
    b = CaseBuilder()
    coded = b.entry("POL", D, indicators=("threats_to_kill",), summary="He said he would kill her.")
    b.signal(coded, "risk_indicator", "threats_to_kill", "he would kill her")
    later = b.entry("HSG", D + timedelta(days=3), "contact", summary="She said he checks her phone every night.")
    b.signal(later, "risk_indicator", "controlling", "checks her phone every night")
    [found] = of("risk_in_text_not_coded", b)
    assert (found.agency, found.entry_ids, found.severity) == ("Housing", (later,), "info")
    assert found.message == (
        "Housing's entry of 13 Jun 2025 (Contact) says “checks her phone every night”: "
        "controlling or jealous behaviour, not coded as a risk indicator."
    )


def test_a_referral_considered_quotes_only_the_words_that_say_so():
    # Found by mutation testing: the entry's other events read from its text (here a referral
    # made) are not quoted as the referral considered, and the quote says what it was read as.
    b = CaseBuilder()
    e = b.entry("HLTH", D, "contact", summary="Discussed referring to Marac but agreed to monitor; referred her to housing.")
    b.signal(e, "event", "referral_considered_not_made", "discussed referring to Marac but agreed to monitor")
    b.signal(e, "event", "referral_made", "referred her to housing", target="housing")
    [found] = of("referral_considered_not_made", b)
    assert found.message == (
        "Health considered a referral on 10 Jun 2025 and did not make it "
        "(read from the text: “discussed referring to Marac but agreed to monitor”)."
    )
    said = Quote(e, "discussed referring to Marac but agreed to monitor", "a referral considered, not made")
    assert found.from_text == (said,)
    assert [i.quotes for i in found.instances] == [(said,)]


def test_text_signals_count_in_single_agency_risk_and_assessments():
    b = CaseBuilder()
    e = b.entry("HLTH", D, "ae_attendance", summary="She said he put his hands round her neck.")
    b.signal(e, "risk_indicator", "strangulation", "put his hands round her neck")
    b.entry("HSG", D + timedelta(days=5), "risk_assessment", level="standard")
    [single] = of("single_agency_risk", b)
    assert single.agency == "Health" and "read from the text" in single.message
    [assessed] = of("assessed_without_known_risk", b)
    assert "(read from the text)" in assessed.message and assessed.from_text


def test_text_events_feed_the_referral_rules():
    b = CaseBuilder()
    considered = b.entry("HLTH", D, "contact", summary="Discussed referring to Marac but agreed to monitor.")
    b.signal(considered, "event", "referral_considered_not_made", "discussed referring to Marac but agreed to monitor")
    sent = b.entry("IDVA", D, "contact", summary="Referred her to housing for a sanctuary scheme.")
    b.signal(sent, "event", "referral_made", "Referred her to housing", target="housing")
    [made] = of("referral_considered_not_made", b)
    assert made.entry_ids == (considered,) and "read from the text" in made.message
    [lost] = of("referral_not_received", b)
    assert lost.agency == "Housing" and lost.entry_ids == (sent,) and "“Referred her to housing”" in lost.message


# --- homicide markers -----------------------------------------------------------------------------


def test_recent_separation_with_stalking_is_high():
    b = CaseBuilder()
    b.entry("IDVA", date(2025, 10, 1), "disclosure", indicators=("separation",))
    e = b.entry("POL", date(2025, 11, 1), "incident", summary="He keeps turning up at her work.")
    b.signal(e, "risk_indicator", "stalking", "keeps turning up at her work")
    [found] = of("homicide_markers", b)
    assert found.severity == "high" and "not a score" in found.message
    lines = [i.message for i in found.instances]
    assert lines[0].startswith("Separation in the past year: Idva service 1 Oct 2025")
    assert any("Police 1 Nov 2025 (read from the text)" in line for line in lines)


def test_markers_without_a_recent_separation_inform_only():
    b = CaseBuilder()
    b.entry("IDVA", date(2023, 10, 1), "disclosure", indicators=("separation",))
    b.entry("POL", date(2025, 11, 1), "incident", indicators=("stalking",))
    [found] = of("homicide_markers", b)
    assert found.severity == "info"
    assert of("homicide_markers", CaseBuilder()) == []


# --- grouping and the headline --------------------------------------------------------------------


def test_findings_are_grouped_per_kind_and_agency_with_a_stable_key():
    b = CaseBuilder()
    ids = [b.entry("POL", D + timedelta(days=40 * i), "referral_made", to="HSG") for i in range(3)]
    b.entry("POL", D, "referral_made", to="MH")
    found = of("referral_not_received", b)
    assert [f.agency for f in found] == ["Housing", "Mental Health"]
    housing = found[0]
    assert len(housing.instances) == 3 and housing.entry_ids == tuple(ids)
    assert housing.message.startswith("3 referrals to Housing") and housing.key == "referral_not_received|Housing|"
    b.entry("POL", D + timedelta(days=200), "referral_made", to="HSG")
    assert of("referral_not_received", b)[0].key == housing.key


def test_headline_names_the_high_findings():
    b = CaseBuilder(referral=R)
    b.entry("HLTH", D, "referral_considered_not_made")
    b.entry("POL", D, "referral_made", to="HSG")
    b.earlier_case("MAR-OLD", R - timedelta(days=100), person("Alys PRITCHARD", date(1990, 4, 3)))
    text = headline(analyse_case(b.build()))
    assert text.startswith("3 high: referral lost, referral not made, repeat")
    assert headline(analyse_case(well_served_case().build())) == "No gaps found."


def test_every_kind_has_words_and_a_reason():
    from marac_prep.analysis.findings import HEADLINE_WORDS, KINDS, WHY

    assert set(HEADLINE_WORDS) == set(KINDS) == set(WHY)


def test_victim_is_not_needed_for_counter_allegation_names():
    b = CaseBuilder()
    b.people.append(Person(role="perpetrator", name="Gethin MORGAN", case_id=0))
    b.people.append(Person(role="perpetrator", name="Rhys MORGAN", case_id=0))
    b.entry("POL", D, "counter_allegation")
    [found] = of("counter_allegation", b)
    assert found.key == "counter_allegation||the perpetrator"


def test_dash_yes_answers_count_as_markers_and_as_holders():
    b = CaseBuilder()
    b.entry("POL", date(2025, 11, 1), "incident", indicators=("strangulation",))
    b.assessments.append(
        RiskAssessment(
            case_id=1,
            agency_id=2,  # Idva service
            assessed_on=date(2025, 12, 1),
            score=16,
            answers={"separation": {"answer": "yes"}, "strangulation": {"answer": "yes"}},
        )
    )
    [markers] = of("homicide_markers", b)
    assert markers.severity == "high" and any("Idva service Dash 1 Dec 2025" in i.message for i in markers.instances)
    assert of("single_agency_risk", b) == []  # the Idva's Dash says it knew of the strangulation too


def test_a_text_referral_to_an_agency_that_cannot_be_told_apart_is_not_guessed():
    b = CaseBuilder()
    e = b.entry("IDVA", D, "contact", summary="Referred her to services.")
    b.signal(e, "event", "referral_made", "Referred her to services", target="services")
    assert of("referral_not_received", b) == []
