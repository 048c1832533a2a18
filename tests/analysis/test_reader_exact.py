"""The reader's mechanics, each signal compared whole (mutation testing, docs/quality.md): the agency a
referral names, and only a referral; adjacent matches of one signal; matches never running from one
line into the next; a match at the very end of an unpunctuated note; another context stage."""

from __future__ import annotations

from typing import Any, ClassVar

from marac_prep.analysis.reading.patterns import ContextRule
from marac_prep.analysis.reading.reader import Found, Reader, read_text


def test_a_referral_quotes_the_longest_agency_named_where_it_went():
    assert read_text("Referred to the Idva service.") == (
        Found("event", "referral_made", 0, 28, "Referred to the Idva service", "the Idva service", "IDVA"),)


def test_only_a_referral_takes_an_agency_named_beside_it():
    assert read_text("He choked her in front of the police.") == (
        Found("risk_indicator", "strangulation", 3, 13, "choked her"),)


def test_two_matches_of_one_signal_side_by_side_are_both_kept():
    """Notes written without punctuation: "choked" ends where the longer match begins."""
    text = "He choked put his hands round her neck."
    assert read_text(text) == (
        Found("risk_indicator", "strangulation", 3, 9, "choked"),
        Found("risk_indicator", "strangulation", 10, 38, "put his hands round her neck"),
    )


def test_a_match_never_runs_from_one_line_into_the_next():
    assert read_text("He threatened to\nkill her.") == ()
    assert read_text("She has pain\nafter being kicked.") == ()
    assert read_text("He has watched\noutside her house.") == ()


def test_a_note_ending_on_a_match_without_a_full_stop_is_read():
    assert read_text("She went back to Darren") == (
        Found("victim_blaming", "choice_to_stay", 4, 23, "went back to Darren"),)
    assert read_text("It is getting more and more") == (Found("risk_indicator", "more_often", 14, 27, "more and more"),)


class EverythingNegated:
    """A context stage that cancels every candidate (as benchmarks/marac_bench/reading_eval.py plugs in others)."""

    given: ClassVar[list[ContextRule]] = []

    def __init__(self, nlp: Any, rules: Any) -> None:
        EverythingNegated.given = list(rules)

    def categories(self, doc: Any, targets: list[Any]) -> list[set[str]]:
        return [{"NEGATED"} for _ in targets]


class NothingApplies(EverythingNegated):
    def categories(self, doc: Any, targets: list[Any]) -> list[set[str]]:
        return [set() for _ in targets]


def test_another_context_stage_is_built_with_the_rules_and_decides_what_stands():
    negated = Reader(context=f"{__name__}.EverythingNegated")
    assert EverythingNegated.given and all(isinstance(r, ContextRule) for r in EverythingNegated.given)
    assert negated.read("He choked her.") == ()
    # ConText cancels "never choked"; a stage that lets everything stand keeps it.
    text = "He never choked her."
    assert read_text(text) == ()
    assert Reader(context=f"{__name__}.NothingApplies").read(text) == (
        Found("risk_indicator", "strangulation", 9, 19, "choked her"),)
