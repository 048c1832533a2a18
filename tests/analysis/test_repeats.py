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
