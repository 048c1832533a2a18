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


# --- the overlap and order rules themselves, on made-up readings (found by mutation testing) ------
# The reader seldom hands over overlapping phrases, so these rules are checked on readings built
# here: a shorter phrase at the same place, a phrase inside a longer one, one that starts exactly
# where the kept one ends, and the same places in the other field.


def _signal(field, start, end, code="support_refused", kind="victim_blaming"):
    from marac_prep.core.signals import TextSignal

    return TextSignal(9, kind, code, f"{field} {start}-{end}", field, start, end)


def test_stored_signals_become_matches_summary_first_then_by_place_keeping_the_longest():
    from marac_prep.analysis.language import _groups, blaming_matches

    signals = [
        _signal("detail", 10, 20),
        _signal("summary", 30, 35, code="mutual_conflict_relationship"),  # starts where the kept one ends
        _signal("summary", 5, 12),  # same start, shorter: the longer is kept
        _signal("summary", 5, 30, code="mutual_conflict_relationship"),
        _signal("detail", 15, 25),  # inside the detail's first phrase
        _signal("detail", 6, 8, code="x", kind="risk_indicator"),  # not language: never a match
        _signal("summary", 25, 29),  # inside the summary's long phrase
    ]
    found = blaming_matches(signals)
    assert [(m.phrase, m.start, m.end, m.code) for m in found] == [
        ("summary 5-30", 5, 30, "mutual_conflict_relationship"),
        ("summary 30-35", 30, 35, "mutual_conflict_relationship"),
        ("detail 10-20", 10, 20, "support_refused"),
    ]
    group = _groups()["support_refused"]
    assert (found[2].suggestion, found[2].why) == (group.suggestion, group.why)
    assert blaming_matches([]) == []


def test_a_detail_phrase_is_kept_though_a_summary_phrase_covers_the_same_offsets():
    from marac_prep.analysis.language import blaming_matches

    found = blaming_matches([_signal("summary", 0, 40), _signal("detail", 3, 9)])
    assert [(m.phrase, m.start) for m in found] == [("summary 0-40", 0), ("detail 3-9", 3)]


def test_read_phrases_overlapping_keep_the_longest_and_later_ones_are_still_kept(monkeypatch):
    from types import SimpleNamespace

    from marac_prep.analysis import language

    def found(start, end, code="support_refused", kind="victim_blaming"):
        return SimpleNamespace(kind=kind, code=code, start=start, end=end, words=f"{start}-{end}")

    readings = [found(40, 44), found(0, 6), found(0, 20, code="mutual_conflict_relationship"), found(10, 25),
                found(20, 30), found(2, 5, kind="risk_indicator")]
    monkeypatch.setattr(language, "read_text", lambda _text: readings)
    matches = language.find_victim_blaming("some text long enough to hold every one of the phrases")
    assert [(m.phrase, m.code) for m in matches] == [
        ("0-20", "mutual_conflict_relationship"), ("20-30", "support_refused"), ("40-44", "support_refused"),
    ]
    group = language._groups()["mutual_conflict_relationship"]
    assert (matches[0].suggestion, matches[0].why) == (group.suggestion, group.why)
