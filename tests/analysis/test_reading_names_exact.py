"""The case's name words and the names a signal's words hold, compared whole (mutation testing,
docs/quality.md): hyphens, quotes and brackets, initials, short names, names starting with X."""

from __future__ import annotations

from marac_prep.analysis.reading.names import about_someone_else, case_names, name_words, names_in
from marac_prep.core.models import Person


def test_name_words_split_hyphens_and_drop_punctuation_around_words():
    assert name_words(['Darren "Daz" PRICE-JONES', "O'Neill (Shaun)", "Jay X DAVIES.", "Rhodri ( - ) EVANS"]) == {
        "darren", "daz", "price", "jones", "o'neill", "shaun", "jay", "x", "davies", "rhodri", "evans"}


def test_case_names_give_the_perpetrators_words_and_everyone_elses_apart():
    people = [
        Person(case_id=1, role="victim", name="Carys PRICE-EVANS"),
        Person(case_id=1, role="perpetrator", name="Darren PRICE", aliases=['"Daz"']),
        Person(case_id=1, role="child", name="Jo EVANS"),
    ]
    # "price" is shared by the victim and the perpetrator: it is the perpetrator's, never someone else's.
    assert case_names(people) == (frozenset({"darren", "price", "daz"}), frozenset({"carys", "evans", "jo"}))


def test_names_in_keeps_short_names_and_names_starting_with_x():
    assert names_in("went back to Jo.") == ["jo"]
    assert names_in("went back to Xavi, again") == ["xavi"]
    assert names_in("allowed Darren and (Jo) back") == ["darren", "jo"]
    assert names_in("went back to DARREN") == []  # not name-shaped: an acronym or a shouted word


def test_a_short_name_of_someone_else_is_about_someone_else():
    perpetrators, others = name_words(["Darren JONES"]), name_words(["Carys EVANS", "Jo EVANS"])
    assert about_someone_else("choice_to_stay", "went back to Jo", perpetrators, others)
    assert not about_someone_else("choice_to_stay", "went back to Daz", frozenset(), others)
