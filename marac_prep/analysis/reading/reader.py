"""Reads an entry's words for signals: spaCy (blank English: tokens, sentences, Matcher) finds the
phrases, medspaCy's ConText decides which are negated, hypothetical, about someone else or his claim."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Protocol

from marac_prep.analysis.reading.patterns import (
    ContextRule,
    SignalGroup,
    SignalPattern,
    agency_names,
    context_rules,
    signal_groups,
)
from marac_prep.core.signals import TextSignal

SPAN_GROUP = "marac_signals"
_END, _PUNCT = "<end>", "<punct>"


@dataclass(frozen=True)
class Found:
    """A signal read from one text, before it is tied to an entry.

    Attributes:
        kind / code: see core.signals.TextSignal.
        start / end: character offsets of `words` in the text.
        words: the words as written.
        target_agency / target_agency_code: the agency a referral names, as written and as the
            agency short code (resources/agencies.json; "MARAC" for Marac itself).
    """

    kind: str
    code: str
    start: int
    end: int
    words: str
    target_agency: str | None = None
    target_agency_code: str | None = None


class ContextStage(Protocol):
    """Decides, for each candidate signal span, the context categories that apply to it."""

    def categories(self, doc: Any, targets: list[Any]) -> list[set[str]]: ...


class MedspacyContext:
    """medspaCy's ConText, loaded with our rules only (its clinical defaults are not ours)."""

    def __init__(self, nlp: Any, rules: Iterable[ContextRule]) -> None:
        from medspacy.context import ConText, ConTextRule

        self._context = ConText(
            nlp, name="marac_context", rules=None, span_attrs=None, input_span_type="group",
            span_group_name=SPAN_GROUP,
        )
        self._context.add([
            ConTextRule(
                literal=rule.literal,
                category=rule.category,
                pattern=[dict(t) for t in rule.tokens],
                direction=rule.direction,
                allowed_types={k.upper() for k in rule.applies_to} or None,
                max_scope=rule.max_scope,
            )
            for rule in rules
        ])

    def categories(self, doc: Any, targets: list[Any]) -> list[set[str]]:
        self._context(doc)
        modifiers = doc._.context_graph.modifiers
        return [self._categories_of(target, modifiers) for target in targets]

    @staticmethod
    def _categories_of(target: Any, modifiers: list[Any]) -> set[str]:
        found = set()
        for modifier in modifiers:
            start, end = modifier.modifier_span
            if target.start <= start and end <= target.end:
                continue  # the target's own words: "did not engage" is not negated by its "not"
            if modifier.direction in ("TERMINATE", "PSEUDO") or not modifier.allows(target.label_.upper()):
                continue
            # ConText leaves out a modifier that runs into the target ("he says she | is unstable");
            # one that starts before the target and reaches forward into it applies.
            runs_in = start < target.start < end and modifier.direction in ("FORWARD", "BIDIRECTIONAL")
            if runs_in or modifier.modifies(target):
                found.add(modifier.category)
        return found


class Reader:
    """The compiled reader: one per process (see `reader()`); `read` is safe to call from threads."""

    def __init__(self, context: str = "medspacy") -> None:
        import spacy
        from spacy.matcher import Matcher, PhraseMatcher

        self.nlp = spacy.blank("en")
        # Line breaks end sentences too: returns are often written as notes, one per line.
        self.nlp.add_pipe("sentencizer", config={"punct_chars": [".", "!", "?", "\n", "\n\n"]})
        self.groups: dict[tuple[str, str], SignalGroup] = {}
        self.patterns: dict[str, SignalPattern] = {}
        self.matcher = Matcher(self.nlp.vocab)
        for group in signal_groups(tokenizer=self.nlp.tokenizer):
            self.groups[(group.kind, group.code)] = group
            for index, pattern in enumerate(group.patterns):
                key = f"{group.kind}|{group.code}|{index}"
                self.patterns[key] = pattern
                self.matcher.add(key, [list(pattern.tokens)])
        self.agencies = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._agency_codes: dict[str, str] = {}
        for words, code in agency_names():
            key = f"agency|{code}"
            self._agency_codes[key] = code
            self.agencies.add(key, [self.nlp.make_doc(words)])
        rules = context_rules(tokenizer=self.nlp.tokenizer)
        self.context: ContextStage = MedspacyContext(self.nlp, rules) if context == "medspacy" else _make_other(
            context, self.nlp, rules
        )
        self._lock = threading.Lock()

    def read(self, text: str) -> tuple[Found, ...]:
        """Every signal in `text` that its context lets stand, in text order."""
        if not text or not text.strip():
            return ()
        with self._lock:  # spaCy's Vocab and ConText's state are not meant for two threads at once
            return self._read(text)

    def _read(self, text: str) -> tuple[Found, ...]:
        from spacy.tokens import Span

        doc = self.nlp(text)
        candidates = self._candidates(doc)
        if not candidates:
            return ()
        spans = [Span(doc, start, end, label=kind.upper()) for kind, _code, start, end, _p in candidates]
        doc.spans[SPAN_GROUP] = spans
        categories = self.context.categories(doc, spans)
        kept: list[tuple[str, str, int, int]] = []
        for (kind, code, start, end, _p), found in zip(candidates, categories, strict=True):
            group = self.groups[(kind, code)]
            if found - group.exempt - {"TERMINATE", "PSEUDO"}:
                continue
            kept.append((kind, code, start, end))
        kept = self._suppress(kept)
        results = []
        for kind, code, start, end in kept:
            span = doc[start:end]
            agency = self._agency(doc, start, end) if self.groups[(kind, code)].wants_agency else None
            results.append(
                Found(
                    kind=kind, code=code, start=span.start_char, end=span.end_char, words=span.text,
                    target_agency=agency[0] if agency else None, target_agency_code=agency[1] if agency else None,
                )
            )
        results.sort(key=lambda f: (f.start, -f.end, f.kind, f.code))
        return tuple(results)

    def _candidates(self, doc: Any) -> list[tuple[str, str, int, int, SignalPattern]]:
        """Pattern matches that pass their own word checks, the longest per signal where they overlap."""
        by_code: dict[tuple[str, str], list[tuple[int, int, SignalPattern]]] = {}
        strings = self.nlp.vocab.strings
        for match_id, start, end in self.matcher(doc):
            key = strings[match_id]
            pattern = self.patterns[key]
            if _passes(doc, start, end, pattern):
                by_code.setdefault((pattern.kind, pattern.code), []).append((start, end, pattern))
        found = []
        for (kind, code), matches in by_code.items():
            matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
            taken: list[tuple[int, int]] = []
            for start, end, pattern in matches:
                if any(start < e and s < end for s, e in taken):
                    continue
                taken.append((start, end))
                found.append((kind, code, start, end, pattern))
        found.sort(key=lambda c: (c[2], c[3]))
        return found

    def _suppress(self, kept: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
        """Drop signals a stronger overlapping signal replaces (a referral "considered, not made"
        is not also a referral made)."""
        result = []
        for kind, code, start, end in kept:
            beaten = any(
                code in self.groups[(k, c)].suppresses and s < end and start < e
                for k, c, s, e in kept
                if (k, c) != (kind, code)
            )
            if not beaten:
                result.append((kind, code, start, end))
        return result

    def _agency(self, doc: Any, start: int, end: int) -> tuple[str, str] | None:
        """The agency named from the match's start to a few words after it, in the same sentence."""
        sentence_end = doc[start].sent.end
        best: tuple[int, int, str] | None = None
        first = max(doc[start].sent.start, start - 3)  # "Housing referral made"
        for match_id, s, e in self.agencies(doc[first:min(sentence_end, end + 7)]):
            s, e = s + first, e + first
            if best is None or (s, -(e - s)) < (best[0], -(best[1] - best[0])):
                best = (s, e, self._agency_codes[self.nlp.vocab.strings[match_id]])
        if best is None:
            return None
        return doc[best[0]:best[1]].text, best[2]


def _token_matches(token: Any, words: frozenset[str]) -> bool:
    return token.lower_ in words or (token.is_punct and _PUNCT in words)


def _passes(doc: Any, start: int, end: int, pattern: SignalPattern) -> bool:
    sentence = doc[start].sent
    if pattern.only_followed_by:
        if end >= sentence.end or doc[end].is_space:
            if _END not in pattern.only_followed_by:
                return False
        elif not _token_matches(doc[end], pattern.only_followed_by):
            return False
    if pattern.unless_followed_by:
        after = doc[end:min(end + 2, sentence.end)]
        if any(_token_matches(t, pattern.unless_followed_by) for t in after):
            return False
    if pattern.unless_preceded_by:
        before = doc[max(sentence.start, start - 3):start]
        if any(t.lower_ in pattern.unless_preceded_by for t in before):
            return False
    if pattern.needs_any:
        if not any(t.lower_ in pattern.needs_any for t in sentence):
            return False
    return True


def _make_other(name: str, nlp: Any, rules: Iterable[ContextRule]) -> ContextStage:
    """Another context stage, for comparing candidates (benchmarks/marac_bench/reading_eval.py)."""
    import importlib

    module_name, _, class_name = name.rpartition(".")
    stage: ContextStage = getattr(importlib.import_module(module_name), class_name)(nlp, rules)
    return stage


@cache
def reader() -> Reader:
    """The process's reader (building it compiles every pattern: a fraction of a second)."""
    return Reader()


@lru_cache(maxsize=65536)
def read_text(text: str) -> tuple[Found, ...]:
    """Every signal in one text (cached: agencies' entries repeat the same wording often)."""
    return reader().read(text)


def read_entry(entry_id: int, summary: str, detail: str) -> tuple[TextSignal, ...]:
    """What an entry's summary and detail say, as `TextSignal`s in text order (summary first)."""
    signals = []
    for field, text in (("summary", summary), ("detail", detail)):
        for found in read_text(text or ""):
            signals.append(
                TextSignal(
                    entry_id=entry_id,
                    kind=found.kind,  # type: ignore[arg-type]  # kinds come from the three data files
                    code=found.code,
                    words=found.words,
                    field=field,  # type: ignore[arg-type]
                    start=found.start,
                    end=found.end,
                    target_agency=found.target_agency,
                    target_agency_code=found.target_agency_code,
                )
            )
    return tuple(signals)
