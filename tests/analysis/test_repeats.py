"""Repeats, serial perpetrators and victims seen before, from the people matched across cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from marac_prep.analysis.gaps import GapSettings, analyse_case
from marac_prep.analysis.repeats import RepeatSettings, repeat_findings, repeat_status
from tests.analysis.builders import CaseBuilder, person

REFERRAL = date(2026, 3, 1)


def _case(**kw) -> CaseBuilder:
    b = CaseBuilder(referral=REFERRAL, **kw)
    b.people.append(person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"))
    return b


def kinds(b: CaseBuilder, settings: RepeatSettings | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in repeat_findings(b.build(), settings or RepeatSettings()):
        out.setdefault(f.kind, []).append(f.message)
    return out


def test_a_victim_spelled_differently_with_the_same_perpetrator_is_a_possible_repeat():
    b = _case()
    b.earlier_case(
        "MAR-2025-0042",
        date(2025, 9, 1),
        person("Alys PRICHARD", date(1990, 4, 3)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"),
        meeting=date(2025, 9, 11),
    )
    [message] = kinds(b)["repeat"]
    assert "MAR-2025-0042 (Marac 11 Sep 2025" in message and "same victim and perpetrator" in message
    assert "possible match, not yet confirmed" in message and "surname" in message
    status = repeat_status(b.build(), RepeatSettings())
    assert status.state == "possible_repeat" and status.is_repeat and status.label == "Possible repeat"
    assert status.describe().startswith("Possibly")


def test_a_confirmed_link_makes_it_a_repeat_without_a_hint():
    b = _case()
    b.earlier_case(
        "MAR-2025-0042",
        date(2025, 9, 1),
        person("Alys PRITCHARD", date(1990, 4, 3)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"),
        confirmed=True,
    )
    [message] = kinds(b)["repeat"]
    assert "not yet confirmed" not in message
    assert repeat_status(b.build(), RepeatSettings()).describe().startswith("Yes – same victim and perpetrator")


def test_same_victim_with_a_different_perpetrator_is_not_a_repeat_but_is_noted():
    b = _case()
    b.earlier_case(
        "MAR-2025-0050",
        date(2025, 10, 1),
        person("Alys PRITCHARD", date(1990, 4, 3)),
        person("Rhodri HOWELLS", date(1975, 6, 6), role="perpetrator"),
    )
    found = kinds(b)
    assert "repeat" not in found
    assert "victim of a different perpetrator in MAR-2025-0050" in found["victim_in_other_cases"][0]
    assert repeat_status(b.build(), RepeatSettings()).describe() == "No"


def test_after_the_window_it_is_a_new_referral_flagged_as_an_earlier_marac():
    b = _case()
    b.earlier_case(
        "MAR-2024-0007",
        REFERRAL - timedelta(days=400),
        person("Alys PRITCHARD", date(1990, 4, 3)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"),
    )
    found = kinds(b)
    assert "repeat" not in found and "400 days" in found["earlier_marac"][0]
    assert repeat_status(b.build(), RepeatSettings()).state == "after_window"


def test_newer_safelives_wording_counts_abuse_within_the_window():
    b = _case()
    earlier = REFERRAL - timedelta(days=400)
    b.earlier_case(
        "MAR-2024-0007",
        earlier,
        person("Alys PRITCHARD", date(1990, 4, 3)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"),
    )
    incident = b.entry("POL", earlier + timedelta(days=200), "incident")
    assert "repeat" not in kinds(b, RepeatSettings(definition="referral"))
    [f] = [f for f in repeat_findings(b.build(), RepeatSettings(definition="any_abuse")) if f.kind == "repeat"]
    assert f.entry_ids == (incident,) and "abuse between them is recorded" in f.message
    # The setting reaches the gap analysis too.
    gs = replace(GapSettings(), repeat_definition="any_abuse")
    assert any(g.kind == "repeat" for g in analyse_case(b.build(), gs))


def test_a_perpetrator_with_another_victim_is_named_by_case_never_by_the_other_victim():
    b = _case()
    b.earlier_case(
        "MAR-2025-0031",
        date(2025, 6, 1),
        person("Zofia NOWAK", date(1992, 2, 2)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"),
        meeting=date(2025, 6, 12),
    )
    b.earlier_case(
        "MAR-2026-0090",
        date(2026, 5, 1),  # later cases count too: a perpetrator's pattern has no direction
        person("Elif YILDIZ", date(1985, 5, 5)),
        person("Gethin MORRIS", None, role="perpetrator"),
    )
    [message] = kinds(b)["perpetrator_in_other_cases"]
    assert "Gethin MORRIS" in message and "2 other cases" in message
    assert "MAR-2025-0031 (Marac 12 Jun 2025)" in message and "MAR-2026-0090" in message
    assert "Zofia" not in message and "NOWAK" not in message and "Elif" not in message
    assert "repeat" not in kinds(b)


def test_a_victim_earlier_recorded_as_a_perpetrator_is_flagged():
    b = _case()
    b.earlier_case(
        "MAR-2025-0011",
        date(2025, 4, 4),
        person("Gethin MORRIS", date(1987, 9, 21)),
        person("Alys PRITCHARD", date(1990, 4, 3), role="perpetrator"),
    )
    found = kinds(b)
    assert "recorded as the perpetrator in MAR-2025-0011" in found["victim_in_other_cases"][0]


def test_two_david_joneses_are_not_a_repeat():
    b = CaseBuilder(referral=REFERRAL, victim=person("David JONES", date(1980, 5, 20)))
    b.earlier_case("MAR-2025-0001", date(2025, 12, 1), person("David Jones", date(1982, 7, 1)))
    assert kinds(b) == {}
    assert repeat_status(b.build(), RepeatSettings()).state == "none"


def test_a_referral_marked_repeat_with_no_earlier_case_says_so():
    b = _case(repeat=True)
    status = repeat_status(b.build(), RepeatSettings())
    assert status.is_repeat and status.label == "Repeat (referral)"


def test_same_person_is_still_offered_from_the_gap_analysis_module():
    from marac_prep.analysis.gaps import same_person

    assert same_person(person("Zofia KOWALSKA", date(1990, 4, 3)), person("Zofia Kowalski", date(1990, 4, 3)))
    assert not same_person(person("David JONES", date(1980, 5, 20)), person("David Jones", date(1982, 7, 1)))


def test_the_gap_analysis_keys_a_repeat_by_the_earlier_case_so_a_review_stays_with_it():
    # Found by mutation testing: the repeat's group (the earlier case) must reach the finding's key,
    # or a coordinator's review of one repeat would move to another after re-analysis.
    b = _case()
    b.earlier_case(
        "MAR-2025-0042",
        date(2025, 9, 1),
        person("Alys PRITCHARD", date(1990, 4, 3)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"),
        meeting=date(2025, 9, 11),
        confirmed=True,
    )
    [found] = [f for f in analyse_case(b.build()) if f.kind == "repeat"]
    [direct] = [f for f in repeat_findings(b.build(), RepeatSettings()) if f.kind == "repeat"]
    assert (found.key, found.message, found.severity) == ("repeat||MAR-2025-0042", direct.message, direct.severity)


# --- whole sentences (found by mutation testing: the tests above read fragments) -----------------


def _findings(b: CaseBuilder) -> list[tuple[str, str, str]]:
    return [(f.kind, f.severity, f.message) for f in repeat_findings(b.build(), RepeatSettings())]


def test_a_possible_repeat_says_why_the_match_is_possible_in_a_whole_sentence():
    b = _case()
    b.earlier_case(
        "MAR-2025-0042", date(2025, 9, 1), person("Alys PRICHARD", date(1990, 4, 3)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"), meeting=date(2025, 9, 11),
    )
    assert _findings(b) == [(
        "repeat", "high",
        "Repeat: MAR-2025-0042 (Marac 11 Sep 2025, referred 1 Sep 2025) was about the same victim and perpetrator, "
        "181 days before this referral; the referral does not mark it as a repeat (possible match, not yet "
        "confirmed: same date of birth; surname sounds alike; same first name – confirm or reject on the case's "
        "People tab).",
    )]


@pytest.mark.parametrize(
    ("ticked", "severity", "note"),
    [(False, "high", "the referral does not mark it as a repeat"), (True, "medium", "the referral marks it as a repeat")],
)
def test_a_repeat_the_referral_marks_is_medium_and_one_it_does_not_is_high(ticked, severity, note):
    b = _case(repeat=ticked)
    b.earlier_case("MAR-2025-0060", date(2025, 11, 1), person("Alys PRITCHARD", date(1990, 4, 3)), confirmed=True,
                   meeting=date(2025, 11, 13))
    assert _findings(b) == [(
        "repeat", severity,
        "Repeat: MAR-2025-0060 (Marac 13 Nov 2025, referred 1 Nov 2025) was about the same victim (a perpetrator "
        f"is not recorded on one of the referrals), 120 days before this referral; {note}.",
    )]


@pytest.mark.parametrize("confirmed", [False, True])
def test_a_perpetrator_in_one_other_case_is_said_in_the_singular_and_possibly_until_confirmed(confirmed):
    b = _case()
    b.earlier_case(
        "MAR-2025-0031", date(2025, 6, 1), person("Zofia NOWAK", date(1992, 2, 2)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"), meeting=date(2025, 6, 12), confirmed=confirmed,
    )
    possibly, hint = ("", "") if confirmed else (
        "possibly ",
        " (possible match, not yet confirmed: same date of birth; same surname; same first name – confirm or reject "
        "on the case's People tab)",
    )
    assert _findings(b) == [(
        "perpetrator_in_other_cases", "high",
        f"Gethin MORRIS is {possibly}the perpetrator in 1 other case with another victim: MAR-2025-0031 "
        f"(Marac 12 Jun 2025){hint}.",
    )]


def test_a_victim_possibly_recorded_as_a_perpetrator_is_said_in_a_whole_sentence():
    b = _case()
    b.earlier_case(
        "MAR-2025-0011", date(2025, 4, 4), person("Gethin MORRIS", date(1987, 9, 21)),
        person("Alys PRITCHARD", date(1990, 4, 3), role="perpetrator"),
    )
    assert _findings(b) == [(
        "victim_in_other_cases", "high",
        "Alys PRITCHARD was possibly recorded as the perpetrator in MAR-2025-0011 (Marac 4 Apr 2025): read it "
        "against this case's pattern (a possible counter-allegation) (possible match, not yet confirmed: same date "
        "of birth; same surname; same first name – confirm or reject on the case's People tab).",
    )]


def test_a_referral_marked_repeat_is_described_as_marked():
    assert repeat_status(_case(repeat=True).build(), RepeatSettings()).describe() == "Yes – marked on the referral"


def test_the_settings_in_force_give_the_window_and_the_definition_and_an_unknown_definition_is_the_referral():
    # Found by mutation testing: no test read the definition from the settings.
    from marac_prep.core.settings import packaged

    chosen = replace(packaged(), repeat_definition="any_abuse", repeat_window_days=200)
    assert RepeatSettings.from_settings(chosen) == RepeatSettings(window_days=200, definition="any_abuse")
    unknown = replace(packaged(), repeat_definition="whatever was typed")
    assert RepeatSettings.from_settings(unknown).definition == "referral"


# Found by mutation testing (session 6): no test read the statuses `repeat_statuses` gives a
# meeting's cases, nor `repeat_findings` without settings, nor an earlier case with two matches
# for this case's perpetrator.


def _db_case(ws, reference, referral, victim, meeting=None):
    from marac_prep.core.cases import PersonInput, create_case

    return create_case(
        ws.session, actor=ws.coordinator, reference=reference, referral_date=referral,
        referring_agency_id=ws.agency["POL"].id, meeting_id=meeting.id if meeting else None,
        criteria=["visible_high_risk"], dash_score=15,
        people=[PersonInput(role="victim", name=victim, date_of_birth=date(1990, 4, 3), gender="Female"),
                PersonInput(role="perpetrator", name="Gethin MORRIS", date_of_birth=date(1987, 9, 21),
                            gender="Male")],
    )


@pytest.fixture
def two_referrals(ws, session):
    """An earlier referral (Marac 11 Sep 2025) and a later one whose victim is spelled differently
    (score 0.945 against her earlier record) with the same perpetrator (score 1.0)."""
    from sqlmodel import select

    from marac_prep.core.meetings import create_meeting
    from marac_prep.core.models import Person

    earlier_meeting = create_meeting(session, actor=ws.coordinator, meeting_date=date(2025, 9, 11))
    later_meeting = create_meeting(session, actor=ws.coordinator, meeting_date=date(2026, 3, 12))
    earlier = _db_case(ws, "MAR-R-0001", date(2025, 9, 1), "Alys PRITCHARD", earlier_meeting)
    later = _db_case(ws, "MAR-R-0002", REFERRAL, "Alys PRICHARD", later_meeting)
    session.commit()
    people = {
        c.id: list(session.exec(select(Person).where(Person.case_id == c.id).order_by(Person.id)).all())
        for c in (earlier, later)
    }
    return earlier, later, people


def _earlier_status(case_id: int, state: str) -> object:
    from marac_prep.analysis.repeats import EarlierMarac, RepeatStatus

    return RepeatStatus(state, EarlierMarac(
        case_id=case_id, reference="MAR-R-0001", marac_date=date(2025, 9, 11), referral_date=date(2025, 9, 1),
        perpetrator="same", confirmed=False,
        reasons=("same date of birth", "surname sounds alike", "same first name"),
    ))


def test_repeat_statuses_gives_each_case_of_a_meeting_its_status(ws, session, two_referrals):
    from marac_prep.analysis.repeats import RepeatStatus, repeat_statuses

    earlier, later, people = two_referrals
    assert repeat_statuses(session, [later, earlier], people) == {
        later.id: _earlier_status(earlier.id, "possible_repeat"),
        earlier.id: RepeatStatus("none"),
    }


def test_repeat_statuses_matches_people_with_the_threshold_in_force(ws, session, two_referrals):
    from marac_prep.analysis.repeats import RepeatStatus, repeat_statuses
    from marac_prep.core.settings import set_setting

    earlier, later, people = two_referrals
    # Above the misspelled victim's 0.945: only the perpetrator is matched, so no earlier Marac
    # about this victim.
    set_setting(session, actor=ws.coordinator, name="person_match_threshold", value=0.95)
    assert repeat_statuses(session, [later, earlier], people) == {
        later.id: RepeatStatus("none"),
        earlier.id: RepeatStatus("none"),
    }


def test_repeat_statuses_under_any_abuse_reads_the_cases_entries(ws, session, two_referrals):
    from marac_prep.analysis.repeats import repeat_statuses

    earlier, later, people = two_referrals
    # 181 days after the earlier referral, outside a 100-day window; no abuse recorded within it.
    rs = RepeatSettings(window_days=100, definition="any_abuse")
    assert repeat_statuses(session, [later], people, rs) == {later.id: _earlier_status(earlier.id, "after_window")}


def _with_earlier_marac_confirmed() -> CaseBuilder:
    """This referral, and MAR-2025-0042 (Marac 11 Sep 2025) about the same victim and perpetrator, confirmed."""
    b = _case()
    b.earlier_case(
        "MAR-2025-0042", date(2025, 9, 1),
        person("Alys PRITCHARD", date(1990, 4, 3)),
        person("Gethin MORRIS", date(1987, 9, 21), role="perpetrator"),
        confirmed=True, meeting=date(2025, 9, 11),
    )
    return b


def test_repeat_findings_without_settings_reads_the_case_files_settings():
    from marac_prep.core.settings import packaged

    b = _with_earlier_marac_confirmed()
    case_file = replace(b.build(), settings=replace(packaged(), repeat_window_days=100))
    assert [(f.kind, f.severity, f.message) for f in repeat_findings(case_file)] == [(
        "earlier_marac", "info",
        "MAR-2025-0042 (Marac 11 Sep 2025, referred 1 Sep 2025) was about the same victim and perpetrator, "
        "181 days before this referral – more than 100 days, so this is a new referral rather than a repeat.",
    )]


def test_of_two_matches_for_the_perpetrator_a_confirmed_one_is_taken_over_a_likelier_possible_one():
    from marac_prep.analysis.repeats import earlier_maracs

    b = _with_earlier_marac_confirmed()
    case_file = b.build()
    [victim_link] = [m for m in case_file.person_matches if m.role == "victim"]
    [perpetrator_link] = [m for m in case_file.person_matches if m.role == "perpetrator"]
    # A second perpetrator record in the earlier case, a possible match scored higher than the
    # confirmed link (listed first): the confirmed one decides.
    likelier = replace(perpetrator_link, other_person_id=perpetrator_link.other_person_id + 50, status="possible",
                       score=perpetrator_link.score + 1, reasons=("a likelier record",))
    less_likely = replace(likelier, other_person_id=likelier.other_person_id + 1, score=0.1, reasons=("a weak",))
    for order in ([likelier, perpetrator_link, less_likely], [less_likely, perpetrator_link, likelier]):
        found = earlier_maracs(replace(case_file, person_matches=[victim_link, *order]))
        assert [(e.reference, e.perpetrator, e.confirmed, e.reasons) for e in found] == [
            ("MAR-2025-0042", "same", True, victim_link.reasons)
        ]
    assert victim_link.confirmed
