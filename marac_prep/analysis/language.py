"""Finds phrases that blame victims or minimise abuse, with a better way to say it (never rewrites)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from marac_prep.resources import load_json

# Short words are matched exactly: inflecting "a" or "him" would match unrelated words.
_EXACT_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "to",
        "of",
        "him",
        "her",
        "them",
        "his",
        "at",
        "up",
        "and",
        "with",
        "between",
        "did",
        "not",
        "no",
        "one",
        "six",
        "back",
        "both",
        "he",
        "she",
        "they",
        "on",
        "in",
        "out",
        "off",
        "over",
        "about",
        "as",
        "each",
        "other",
        "all",
        "had",
        "just",
        "would",
    }
)
_VOWELS = set("aeiou")


@dataclass(frozen=True)
class LanguageMatch:
    """One flagged phrase in a text.

    Attributes:
        start / end: character offsets of the phrase as written (text[start:end]).
        phrase: the words as the author wrote them.
        suggestion: a better way to record it.
        why: why the phrase is a problem, in one line.
    """

    start: int
    end: int
    phrase: str
    suggestion: str
    why: str


@dataclass(frozen=True)
class _Rule:
    """One phrase's pattern; `literal` is text every match contains, for a cheap first check."""

    pattern: re.Pattern[str]
    suggestion: str
    why: str
    literal: str


def _literal(phrase: str) -> str:
    """The longest run of letters that every inflection of the phrase's words keeps."""
    best = ""
    for word in phrase.casefold().split():
        if word.startswith("?"):
            continue  # an optional word may be absent
        inflected = word.isalpha() and word not in _EXACT_WORDS
        for run in re.findall(r"[a-z]+", word):
            if inflected and run == word and word.endswith(("e", "y")):
                run = run[:-1]  # engage → engag(es|ed|ing); stormy → storm(ies|ied)
            if len(run) > len(best):
                best = run
    return best


def _word_pattern(word: str) -> str:
    """A regex for one word and its simple inflections (engage → engages, engaged, engaging)."""
    if word.startswith("?"):
        return f"(?:{_word_pattern(word[1:])}\\s+)?"
    if word in _EXACT_WORDS or not word.isalpha():
        parts = re.split(r"([-'])", word)
        return "".join("[-\u2010\\s]?" if p == "-" else "['\u2019]" if p == "'" else re.escape(p) for p in parts)
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    if word.endswith("y") and len(word) > 2 and word[-2] not in _VOWELS:
        return re.escape(word[:-1]) + "(?:y|ies|ied|ying)"
    last = word[-1]
    doubled = f"|{re.escape(last)}ed|{re.escape(last)}ing" if last not in _VOWELS and last not in "wxy" else ""
    return re.escape(word) + f"(?:s|es|ed|ing{doubled})?"


def _phrase_pattern(phrase: str, unless_followed_by: list[str]) -> str:
    words = phrase.casefold().split()
    body = ""
    for i, word in enumerate(words):
        piece = _word_pattern(word)
        if word.startswith("?") or i == len(words) - 1:
            body += piece
        else:
            body += piece + "\\s+"
    guard = ""
    if unless_followed_by:
        guard = "(?!\\s+(?:" + "|".join(re.escape(w) for w in unless_followed_by) + ")(?!\\w))"
    return f"(?<![\\w'\u2019-])(?:{body})(?![\\w'\u2019-]){guard}"


@cache
def _rules() -> tuple[_Rule, ...]:
    data: dict[str, Any] = load_json("victim_blaming.json")
    rules = []
    for group in data["groups"]:
        unless = [str(w).casefold() for w in group.get("unless_followed_by", [])]
        for phrase in group["phrases"]:
            pattern = re.compile(_phrase_pattern(str(phrase), unless), re.IGNORECASE)
            rules.append(_Rule(pattern, str(group["suggestion"]), str(group["why"]), _literal(str(phrase))))
    return tuple(rules)


def find_victim_blaming(text: str) -> list[LanguageMatch]:
    """Every flagged phrase in `text`, in order; where phrases overlap the longest is kept.

    Matching is whole-word and case-insensitive and tolerates simple inflections; the text
    itself is never changed.
    """
    if not text:
        return []
    return list(_matches(text))


@lru_cache(maxsize=4096)
def _matches(text: str) -> tuple[LanguageMatch, ...]:
    """The matches in one text (cached: agencies' entries repeat the same wording often)."""
    found: list[LanguageMatch] = []
    folded = text.casefold()
    for rule in _rules():
        if rule.literal not in folded:
            continue  # cheap: most entries contain none of the phrases' key words
        for m in rule.pattern.finditer(text):
            if m.end() > m.start():
                found.append(LanguageMatch(m.start(), m.end(), m.group(0), rule.suggestion, rule.why))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[LanguageMatch] = []
    for match in found:
        if kept and match.start < kept[-1].end:
            continue
        kept.append(match)
    return tuple(kept)
