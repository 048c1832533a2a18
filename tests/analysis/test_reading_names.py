"""The case's names decide, at analysis time, whom "went back to <name>" is about."""

from __future__ import annotations

import pytest

from marac_prep.analysis.reading import read_text
from marac_prep.analysis.reading.names import about_someone_else, case_names, names_in
from marac_prep.core.models import Person


def _people() -> list[Person]:
    return [
        Person(case_id=1, role="victim", name="Carys EVANS"),
        Person(case_id=1, role="perpetrator", name="Darren JONES", aliases=["Daz"]),
        Person(case_id=1, role="child", name="Bethan EVANS"),
    ]


def _choice_to_stay(text: str) -> str:
    [found] = [f for f in read_text(text) if f.code == "choice_to_stay"]
    return found.words


@pytest.mark.parametrize(
    ("text", "someone_else"),
    [
        ("She went back to Darren again.", False),  # the perpetrator
        ("She went back to Daz.", False),  # his alias
        ("She went back to Bethan.", True),  # someone else the case knows
        ("She went back to Rhodri.", True),  # a name the case does not give its perpetrator
        ("She went back to him.", False),  # no name: the reader's reading stands
        ("Mum has allowed Darren back into the home.", False),
        ("Mum has allowed Bethan back into the home.", True),
    ],
)
def test_a_named_person_is_checked_against_the_cases_perpetrators(text, someone_else):
    perpetrators, others = case_names(_people())
    assert about_someone_else("choice_to_stay", _choice_to_stay(text), perpetrators, others) is someone_else


def test_without_a_named_perpetrator_an_unknown_name_stays_flagged():
    perpetrators, others = case_names([Person(case_id=1, role="victim", name="Carys EVANS")])
    assert not about_someone_else("choice_to_stay", "went back to Rhodri", perpetrators, others)
    assert about_someone_else("choice_to_stay", "went back to Carys", perpetrators, others)


def test_other_signals_and_unnamed_words_are_left_alone():
    perpetrators, others = case_names(_people())
    assert not about_someone_else("engagement", "Bethan did not engage", perpetrators, others)
    assert names_in("went back to him") == []
    assert names_in("Went back to Darren.") == ["darren"]


@pytest.mark.parametrize(
    "text",
    ["Mum went back to Cardiff.", "She went back to Tesco.", "Client went back to Amira's house.",
     "Ellie went back to Mrs Pryce's class.", "She went back to Bangor to see her aunt."],
)
def test_the_reader_never_flags_places_houses_or_titles(text):
    assert not [f for f in read_text(text) if f.code == "choice_to_stay"]
