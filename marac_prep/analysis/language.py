"""Finds phrases that blame victims or minimise abuse, with a better way to say it (never rewrites).

The words are read by the text reader (`analysis.reading`): spaCy token patterns from
resources/reading/victim_blaming.json, with negation ("no evidence of mutual abuse"), hypotheticals
and reported speech ("Gethin told officers she provoked him") taken into account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from marac_prep.analysis.reading import read_text
from marac_prep.analysis.reading.patterns import SignalGroup, signal_groups
from marac_prep.core.signals import TextSignal


@dataclass(frozen=True)
class LanguageMatch:
    """One flagged phrase in a text.

    Attributes:
        start / end: character offsets of the phrase as written (text[start:end]).
        phrase: the words as the author wrote them.
        suggestion: a better way to record it.
        why: why the phrase is a problem, in one line.
        code: the language rule's id in resources/reading/victim_blaming.json.
    """

    start: int
    end: int
    phrase: str
    suggestion: str
    why: str
    code: str = ""


@cache
def _groups() -> dict[str, SignalGroup]:
    from marac_prep.analysis.reading.reader import reader

    return {g.code: g for g in signal_groups(tokenizer=reader().nlp.tokenizer) if g.kind == "victim_blaming"}


def blaming_matches(signals: Iterable[TextSignal]) -> list[LanguageMatch]:
    """The victim-blaming signals already read from an entry (`CaseFile.signals`) as matches with
    their suggestion, without reading the text again; overlapping ones keep the longest."""
    found = [s for s in signals if s.kind == "victim_blaming"]
    groups = _groups()
    found.sort(key=lambda s: (s.field != "summary", s.start, -(s.end - s.start)))
    kept: list[LanguageMatch] = []
    last: tuple[str, int] = ("", -1)
    for s in found:
        if s.field == last[0] and s.start < last[1]:
            continue
        group = groups[s.code]
        kept.append(LanguageMatch(s.start, s.end, s.words, group.suggestion, group.why, s.code))
        last = (s.field, s.end)
    return kept


def find_victim_blaming(text: str) -> list[LanguageMatch]:
    """Every flagged phrase in `text`, in order; where phrases overlap the longest is kept.

    Matching is whole-word and case-insensitive and tolerates inflections; the text itself is
    never changed.
    """
    if not text or not text.strip():
        return []
    found = [f for f in read_text(text) if f.kind == "victim_blaming"]
    if not found:
        return []
    groups = _groups()
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[LanguageMatch] = []
    for f in found:
        if kept and f.start < kept[-1].end:
            continue
        group = groups[f.code]
        kept.append(LanguageMatch(f.start, f.end, f.words, group.suggestion, group.why, f.code))
    return kept
