"""Victim-blaming phrases: whole words, any case, simple inflections; offsets point at the author's text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marac_prep.analysis.language import find_victim_blaming


def phrases(text: str) -> list[str]:
    return [m.phrase for m in find_victim_blaming(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She declined to engage.", ["declined to engage"]),
        ("Victim DISENGAGED from the service", ["DISENGAGED"]),
        ("keeps disengaging", ["disengaging"]),
        ("Refuses support from the Idva.", ["Refuses support"]),
        ("She didn't take up the support offered", ["didn't take up the support"]),
        ("She didn’t engage", ["didn’t engage"]),
        ("She chose to return home", ["chose to return"]),
        ("Known volatile relationship.", ["volatile relationship"]),
        ("Police called to a domestic.", ["a domestic"]),
        ("Verbal arguments overheard", ["Verbal arguments"]),
        ("This was an isolated incident", ["isolated incident"]),
        ("a one-off", ["one-off"]),
        ("She provoked him by going out", ["provoked"]),
        ("She declined the support offered.", ["declined the support"]),
        ("She refused the Idva's support.", ["refused the Idva"]),
        ("She did not take up the offer.", ["did not take up the offer"]),
        ("Alys is reluctant to engage.", ["reluctant to engage"]),
        ("She went back to him.", ["went back to him"]),
        ("She went back to Gethin in May.", ["went back to Gethin"]),
        ("The relationship is volatile.", ["relationship is volatile"]),
        ("A toxic relationship.", ["toxic relationship"]),
        ("She has been non-compliant.", ["non-compliant"]),
        ("She put herself at risk by going there", ["put herself at risk"]),
        ("Mother failed to protect the children", ["failed to protect"]),
        ("Chaotic lifestyle; hard to reach", ["Chaotic lifestyle", "hard to reach"]),
        ("Non-engagement noted", ["Non-engagement"]),
        ("Both parties were drinking", ["Both parties"]),
    ],
)
def test_flags(text, expected):
    assert phrases(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Police attended a domestic abuse incident.",
        "An unprovoked assault by Gethin.",
        "Offered refuge on 3 June; not accepted then; offer repeated on 10 June.",
        "Alys was at risk from Gethin.",
        "Officer went back to the address at 22:00.",
        "Gethin returned to the address in breach of bail.",
        "Isolated from family (Dash 4).",
        "Engagement with the Idva has been good.",
        # Negated, reported speech, and good or neutral writing (issue 12).
        "No evidence of mutual abuse.",
        "This was not a one-off.",
        "He says she is unstable.",
        "He said she provoked him.",
        "Gethin told officers she provoked him.",
        "He snapped her phone.",
        "A domestic burglary next door.",
        "A dispute with the landlord about repairs.",
        "The argument for a referral is strong.",
        "",
    ],
)
def test_does_not_flag(text):
    assert phrases(text) == []


def test_offsets_point_at_the_phrase_and_carry_the_suggestion():
    text = "Seen at A&E.\nShe declined support; a volatile relationship was noted."
    found = find_victim_blaming(text)
    assert [text[m.start : m.end] for m in found] == ["declined support", "volatile relationship"]
    assert "was offered" in found[0].suggestion.lower() and found[0].why
    assert "abusive relationship" in found[1].suggestion.lower()


def test_overlapping_phrases_keep_the_longest():
    found = find_victim_blaming("She did not take up the support offered.")
    assert [m.phrase for m in found] == ["did not take up the support"]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_gives_ordered_non_overlapping_matches_inside_it(text):
    found = find_victim_blaming(text)
    ends = 0
    for m in found:
        assert ends <= m.start < m.end <= len(text) and text[m.start : m.end] == m.phrase
        ends = m.end


@given(
    st.sampled_from(["declined to engage", "refused help", "chaotic lifestyle", "provoked"]),
    st.text(alphabet="abcxyz", min_size=1, max_size=3),
)
def test_phrase_glued_to_other_letters_is_not_a_whole_word(phrase, glue):
    assert phrases(f"{phrase} ok") != []
    assert phrases(f"{glue}{phrase} ok") == []
    assert phrases(f"{phrase}{glue} ok") == []
