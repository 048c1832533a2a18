"""The reader's data: signal patterns and context rules from resources/reading/, compiled to spaCy token patterns.

A pattern is written as words separated by spaces (see resources/reading/README.md):

    word       the word and its simple inflections (choke: chokes, choked, choking)
    =word      exactly this word
    a|b|=c     any of these (each inflected unless it starts with =)
    @name      any word of the lexicon's list `name` (exactly as listed)
    #name      a capitalised word: a name such as Gethin
    %num       a number (40, forty)
    *3         up to three more words (never punctuation)
    -          a hyphen, optional ("non - compliant" matches non-compliant and non compliant)
    x?         the piece x is optional
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from marac_prep.resources import load_json, resource_path

FILES = ("lexicon.json", "risk_indicators.json", "events.json", "victim_blaming.json", "context.json")
# Bump when the reader's code changes how the data is read (the files' own content is hashed).
READER_CODE_VERSION = "3"  # 2: gap words checked for negation; unless_within; agency after the match first
# 3: a pattern's own `exempt` (context categories that do not cancel that one way of writing the signal)
#    and TERMINATE words cut a forward modifier short (ConText's own test missed them)

_VOWELS = set("aeiou")
TokenPattern = dict[str, Any]


@dataclass(frozen=True)
class SignalPattern:
    """One way of writing a signal.

    Attributes:
        kind / code: what a match of it means (see core.signals.TextSignal).
        tokens: the spaCy Matcher token pattern.
        only_followed_by / unless_followed_by / unless_preceded_by: words (lower case; "<end>" and
            "<punct>" stand for the sentence's end and punctuation) checked around a match.
        needs_any: words at least one of which the sentence must hold as well.
        unless_within: words that stop a match when they fall inside it ("breach of tenancy
            agreement" is not a breached order).
        exempt: context categories that do not cancel this way of writing the signal, on top of its
            group's ("a Marac referral was agreed and it was sent": the referral was made, so the
            FUTURE that "agreed" sets does not cancel it).
        why: why the pattern is there (from the data file).
    """

    kind: str
    code: str
    tokens: tuple[TokenPattern, ...]
    only_followed_by: frozenset[str] = frozenset()
    unless_followed_by: frozenset[str] = frozenset()
    unless_preceded_by: frozenset[str] = frozenset()
    needs_any: frozenset[str] = frozenset()
    unless_within: frozenset[str] = frozenset()
    exempt: frozenset[str] = frozenset()
    why: str = ""

    @property
    def own_words(self) -> frozenset[str]:
        """Every word the pattern names itself (not words its gaps or names happen to cover)."""
        return frozenset(w for t in self.tokens for w in t.get("LOWER", {}).get("IN", ()))

    @property
    def has_gap(self) -> bool:
        """True when the pattern skips words (*3): its matches of one start differ in length."""
        return any(str(t.get("OP", "")).startswith("{") for t in self.tokens)


@dataclass(frozen=True)
class SignalGroup:
    """A signal's code with what applies to all its patterns.

    Attributes:
        exempt: context categories that do not cancel this signal (e.g. a referral "not made" is
            not cancelled by its own negation).
        wants_agency: look for the agency the words name (referrals).
        suppresses: codes this signal replaces where they overlap.
        time_bound: the indicator asks about now or the past year (separation, pregnancy), so
            words placing it years ago (context category HISTORICAL) cancel it; other signals
            ignore HISTORICAL (a strangulation years ago is still a history of strangulation).
        suggestion / why: for victim-blaming language, the better way to say it and why.
    """

    kind: str
    code: str
    exempt: frozenset[str] = frozenset()
    wants_agency: bool = False
    suppresses: frozenset[str] = frozenset()
    time_bound: bool = False
    suggestion: str = ""
    why: str = ""
    patterns: tuple[SignalPattern, ...] = field(default=())


@dataclass(frozen=True)
class ContextRule:
    """A word or phrase that changes what the words near it mean (negation, a hypothetical, ...).

    Attributes:
        category: NEGATED, HYPOTHETICAL, OTHER_PERSON, REPORTED_BY_HIM, REPORTED_BY_ANYONE,
            FUTURE, or TERMINATE (ends every other rule's reach).
        direction: FORWARD (applies to what follows), BACKWARD (to what precedes),
            BIDIRECTIONAL, TERMINATE or PSEUDO (looks like a trigger but is not one).
        applies_to: the signal kinds it can change (empty: all).
        max_scope: how many tokens away it reaches (None: the rest of the sentence).
    """

    literal: str
    category: str
    direction: str
    tokens: tuple[TokenPattern, ...]
    applies_to: frozenset[str] = frozenset()
    max_scope: int | None = None
    why: str = ""


@cache
def lexicon() -> dict[str, Any]:
    data: dict[str, Any] = load_json("reading/lexicon.json")
    return data


def _apostrophe_variants(word: str) -> set[str]:
    return {word, word.replace("'", "\u2019"), word.replace("\u2019", "'")}


def forms(word: str) -> set[str]:
    """The word and its simple inflections (and irregular forms from the lexicon)."""
    word = word.casefold()
    lex = lexicon()
    if word in lex["exact_words"] or not word.isalpha() or len(word) <= 2:
        return _apostrophe_variants(word)
    found = {word}
    found.update(lex["irregular"].get(word, []))
    if word.endswith("e"):
        found.update({word + "s", word + "d", word[:-1] + "ing"})
    elif word.endswith("y") and word[-2] not in _VOWELS:
        found.update({word[:-1] + "ies", word[:-1] + "ied", word + "ing"})
    else:
        found.update({word + "s", word + "es", word + "ed", word + "ing"})
        last, before = word[-1], word[-2]
        if last not in _VOWELS and last not in "wxy" and before in _VOWELS and len(word) <= 5:
            found.update({word + last + "ed", word + last + "ing"})  # grab → grabbed, hit → hitting
    return found


def _piece(text: str, *, tokenizer: Any) -> list[TokenPattern]:
    """One space-separated piece of a pattern as one or more token patterns."""
    optional = text.endswith("?") and len(text) > 1
    if optional:
        text = text[:-1]
    if text.startswith("*") and text[1:].isdigit():
        return [{"IS_PUNCT": False, "OP": "{0," + text[1:] + "}"}]
    if text == "%num":
        tokens0: list[TokenPattern] = [{"LIKE_NUM": True}]
        return [{**tokens0[0], "OP": "?"}] if optional else tokens0
    if text == "-":
        return [{"ORTH": {"IN": ["-", "\u2010", "\u2013"]}, "OP": "?"}]
    if text.startswith("#"):
        tokens: list[TokenPattern] = [{"IS_TITLE": True, "LOWER": {"NOT_IN": lexicon()["not_names"]}}]
    else:
        alternatives = text.split("|")
        if any(a.startswith(("#", "*", "%")) for a in alternatives):
            raise ValueError(f"reading pattern piece {text!r}: #name, *N and %num stand alone, not in alternatives")
        # A single word the tokenizer splits (couldn't → could + n't) becomes several exact tokens;
        # among alternatives each is one token as written ("n't", "'ll" are tokens of their own).
        single = len(alternatives) == 1 and not text.startswith("@")
        split = [t.text for t in tokenizer(alternatives[0].lstrip("="))] if single else []
        if len(split) > 1:
            tokens = [{"LOWER": {"IN": sorted(_apostrophe_variants(t.casefold()))}} for t in split]
        else:
            words: set[str] = set()
            for alternative in alternatives:
                if alternative.startswith("@"):
                    listed = lexicon()["words"][alternative[1:]]
                    words |= {v for w in listed for v in _apostrophe_variants(w.casefold())}
                elif alternative.startswith("="):
                    words |= _apostrophe_variants(alternative[1:].casefold())
                else:
                    words |= forms(alternative)
            tokens = [{"LOWER": {"IN": sorted(words)}}]
    if optional:
        if len(tokens) != 1:
            raise ValueError(f"reading pattern piece {text!r}: only a single word can be optional")
        tokens[0] = {**tokens[0], "OP": "?"}
    return tokens


def compile_pattern(text: str, *, tokenizer: Any) -> tuple[TokenPattern, ...]:
    """A pattern in the data files' notation as a spaCy Matcher token pattern."""
    tokens: list[TokenPattern] = []
    for piece in text.split():
        tokens += _piece(piece, tokenizer=tokenizer)
    if not tokens:
        raise ValueError("an empty reading pattern")
    return tuple(tokens)


def _words(values: list[str] | None) -> frozenset[str]:
    found: set[str] = set()
    for value in values or []:
        if value.startswith("@"):
            found |= {w.casefold() for w in lexicon()["words"][value[1:]]}
        elif value.startswith("<"):
            found.add(value)
        elif value.startswith("="):
            found |= _apostrophe_variants(value[1:].casefold())
        else:
            found |= forms(value)
    return frozenset(found)


def signal_groups(*, tokenizer: Any) -> tuple[SignalGroup, ...]:
    """Every signal's patterns from the three signal files, compiled."""
    groups = []
    for kind, name in (
        ("risk_indicator", "risk_indicators.json"),
        ("event", "events.json"),
        ("victim_blaming", "victim_blaming.json"),
    ):
        data: dict[str, Any] = load_json(f"reading/{name}")
        for group in data["signals"]:
            code = str(group["code"])
            patterns = tuple(
                SignalPattern(
                    kind=kind,
                    code=code,
                    tokens=compile_pattern(str(p["p"]), tokenizer=tokenizer),
                    only_followed_by=_words(p.get("only_followed_by")),
                    unless_followed_by=_words(p.get("unless_followed_by", group.get("unless_followed_by"))),
                    unless_preceded_by=_words(p.get("unless_preceded_by")),
                    needs_any=_words(p.get("needs_any")),
                    unless_within=_words(p.get("unless_within")),
                    exempt=frozenset(p.get("exempt", [])),
                    why=str(p.get("why", "")),
                )
                for p in group["patterns"]
            )
            groups.append(
                SignalGroup(
                    kind=kind,
                    code=code,
                    exempt=frozenset(group.get("exempt", [])),
                    wants_agency=bool(group.get("wants_agency", False)),
                    suppresses=frozenset(group.get("suppresses", [])),
                    time_bound=bool(group.get("time_bound", False)),
                    suggestion=str(group.get("suggestion", "")),
                    why=str(group.get("why", "")),
                    patterns=patterns,
                )
            )
    return tuple(groups)


def context_rules(*, tokenizer: Any) -> tuple[ContextRule, ...]:
    data: dict[str, Any] = load_json("reading/context.json")
    return tuple(
        ContextRule(
            literal=str(rule["p"]),
            category=str(rule["category"]),
            direction=str(rule["direction"]),
            tokens=compile_pattern(str(rule["p"]), tokenizer=tokenizer),
            applies_to=frozenset(rule.get("applies_to", [])),
            max_scope=rule.get("max_scope"),
            why=str(rule.get("why", "")),
        )
        for rule in data["rules"]
    )


def agency_names() -> list[tuple[str, str]]:
    """(words as written, agency short code) for naming the agency a referral went to."""
    data: dict[str, Any] = load_json("reading/lexicon.json")
    return [(str(alias), str(code)) for code, aliases in data["agencies"].items() for alias in aliases]


@cache
def rules_version() -> str:
    """A short fingerprint of the pattern files' content and the reader's code version.

    Stored with every entry's signals: when the patterns change, the fingerprint changes and
    stored signals are read again.
    """
    return fingerprint(resource_path("reading"))


def fingerprint(folder: Path) -> str:
    """The fingerprint of the pattern files in `folder` (their parsed content, so layout is free)."""
    digest = hashlib.sha256(READER_CODE_VERSION.encode())
    for name in FILES:
        with (folder / name).open("rb") as handle:
            digest.update(name.encode())
            digest.update(json.dumps(json.load(handle), sort_keys=True).encode())
    return digest.hexdigest()[:16]
