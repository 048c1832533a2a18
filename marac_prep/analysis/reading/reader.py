"""Reads an entry's words for signals: spaCy (blank English: tokens, sentences, Matcher) finds the
phrases, medspaCy's ConText decides which are negated, hypothetical, about someone else or his claim."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
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
        added = []
        for rule in rules:
            allowed = {k.upper() for k in rule.applies_to} or None
            # A rule that is only a few fixed phrases goes to ConText as those phrases (its
            # PhraseMatcher is far quicker than token patterns with word lists); the rest as patterns.
            # Optional words are expanded too: "alleging (that) she" is two phrases, not a slow pattern.
            phrases = [" ".join(words) for words in _phrases(rule.tokens, limit=1000, optional=True)]
            for literal, pattern in ([(p, None) for p in phrases] if phrases else [(rule.literal, rule.tokens)]):
                added.append(ConTextRule(
                    literal=literal,
                    category=rule.category,
                    pattern=[dict(t) for t in pattern] if pattern is not None else None,
                    direction=rule.direction,
                    allowed_types=allowed,
                    max_scope=rule.max_scope,
                ))
        self._context.add(added)

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
            if (runs_in or modifier.modifies(target)) and not _terminated(modifier, target, modifiers):
                found.add(modifier.category)
        return found


def _terminated(modifier: Any, target: Any, modifiers: list[Any]) -> bool:
    """True when a TERMINATE word stands between a modifier and the target after it ("not referred
    to Idva because | V did not engage"). ConText means to end a modifier's scope there, but its
    overlap test misses a terminator whose scope (the whole sentence) contains the modifier's, so a
    forward modifier was never cut short. Words only: punctuation stays as it was ("no self-harm or
    suicidal thoughts": the hyphen ends nothing; "asked about strangulation; none reported")."""
    if modifier.direction not in ("FORWARD", "BIDIRECTIONAL"):
        return False
    end = modifier.modifier_span[1]
    for other in modifiers:
        at = other.modifier_span[0]
        if other.direction == "TERMINATE" and end <= at < target.start and target.doc[at].is_alpha:
            return True
    return False


class Reader:
    """The compiled reader: one per process (see `reader()`); `read` is safe to call from threads."""

    def __init__(self, context: str = "medspacy") -> None:
        import spacy
        from spacy.matcher import Matcher, PhraseMatcher
        from spacy.tokens import Doc

        self.nlp = spacy.blank("en")
        # Line breaks end sentences too: returns are often written as notes, one per line.
        self.nlp.add_pipe("sentencizer", config={"punct_chars": [".", "!", "?", "\n", "\n\n"]})
        self.groups: dict[tuple[str, str], SignalGroup] = {}
        self.patterns: dict[str, SignalPattern] = {}
        # One Matcher per pattern, run only on texts holding a word from each of the pattern's
        # required word lists: spaCy's Matcher spends time on every pattern it tries (its word-list
        # tests run in Python), and most patterns cannot match most texts. An index from each
        # pattern's rarest list finds the few worth trying.
        self._ids: dict[int, int] = {}
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._always: list[tuple[tuple[frozenset[str], ...], Any]] = []
        self._by_word: dict[str, list[tuple[tuple[frozenset[str], ...], Any]]] = {}
        for group in signal_groups(tokenizer=self.nlp.tokenizer):
            self.groups[(group.kind, group.code)] = group
            for index, pattern in enumerate(group.patterns):
                key = f"{group.kind}|{group.code}|{index}"
                self.patterns[key] = pattern
                self._ids[id(pattern)] = self.nlp.vocab.strings.add(key)
                phrases = _phrases(pattern.tokens, limit=400, optional=True)
                if phrases:  # fixed words only: spaCy's PhraseMatcher finds them far quicker
                    self.phrases.add(key, [Doc(self.nlp.vocab, words=words) for words in phrases])
                    continue
                matcher = Matcher(self.nlp.vocab)
                matcher.add(key, [list(pattern.tokens)])
                required = _required(pattern.tokens)
                entry = (required, matcher)
                if not required:
                    self._always.append(entry)
                    continue
                anchor = min(required, key=lambda words: (bool(words & _COMMON), len(words)))
                for word in anchor:
                    self._by_word.setdefault(word, []).append(entry)
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
        for (kind, code, start, end, pattern), found in zip(candidates, categories, strict=True):
            group = self.groups[(kind, code)]
            if not group.time_bound:
                found = found - {"HISTORICAL"}
            if found - group.exempt - pattern.exempt - {"TERMINATE", "PSEUDO"}:
                continue
            kept.append((kind, code, start, end))
        kept = _one_event_per_sentence(doc, self._suppress(kept))
        results = []
        for kind, code, start, end in kept:
            agency = self._agency(doc, start, end) if self.groups[(kind, code)].wants_agency else None
            if agency is not None:  # quote the agency with the referral: "referred to the Idva service"
                start, end = min(start, agency[2]), max(end, agency[3])
            span = doc[start:end]
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
        words = {t.lower_ for t in doc}
        tried: dict[int, tuple[tuple[frozenset[str], ...], Any]] = {id(e[1]): e for e in self._always}
        for word in words:
            for entry in self._by_word.get(word, ()):
                tried[id(entry[1])] = entry
        matches = list(self.phrases(doc)) + [
            m for required, matcher in tried.values()
            if all(not needed.isdisjoint(words) for needed in required)
            for m in matcher(doc)
        ]
        shortest: dict[tuple[int, int], int] = {}  # a pattern with a gap (*3) quotes the fewest words
        for match_id, start, end in matches:
            key = strings[match_id]
            pattern = self.patterns[key]
            if not _passes(doc, start, end, pattern):
                continue
            if pattern.has_gap:
                if (match_id, start) in shortest and shortest[(match_id, start)] <= end:
                    continue
                shortest[(match_id, start)] = end
            by_code.setdefault((pattern.kind, pattern.code), []).append((start, end, pattern))
        for matches_of_code in by_code.values():
            matches_of_code[:] = [
                (s, e, p) for s, e, p in matches_of_code
                if not p.has_gap or shortest.get((self._ids[id(p)], s)) == e
            ]
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

    def _agency(self, doc: Any, start: int, end: int) -> tuple[str, str, int, int] | None:
        """The agency named from just before the match to a few words after it, in the same sentence
        ("Housing referral made", "referred to Children's Social Care")."""
        sentence = doc[start].sent
        first, last = max(sentence.start, start - 3), min(sentence.end, end + 7)
        best: tuple[bool, int, int, str] | None = None
        for match_id, s, e in self.agencies(doc):
            if s < first or e > last:
                continue
            # The agency after the referral's first word is where it went ("GP referred her to the
            # mental health team"); one before it only when none follows ("Housing referral made").
            rank = (s < start, s, -(e - s))
            if best is None or rank < (best[0], best[1], -(best[2] - best[1])):
                best = (s < start, s, e, self._agency_codes[self.nlp.vocab.strings[match_id]])
        if best is None:
            return None
        return doc[best[1] : best[2]].text, best[3], best[1], best[2]


# Words too common to tell whether a pattern can match (its anchor is another of its words).
_COMMON = frozenset({"he", "she", "her", "him", "his", "the", "a", "an", "to", "of", "and", "was", "is", "has", "had",
                     "have", "not", "n't", "n’t", "no", "with", "on", "in", "at", "be", "been", "by", "for", "it",
                     "that", "this", "they", "them", "their", "my", "your", "its"})


def _phrases(tokens: tuple[dict[str, Any], ...], limit: int = 64, optional: bool = False) -> list[list[str]]:
    """Every word sequence a pattern of fixed words and word lists matches (none if it has gaps,
    names or numbers, optional words unless `optional`, or more than `limit` combinations)."""
    import itertools

    choices: list[list[str]] = []
    count = 1
    for token in tokens:
        if set(token) - {"LOWER", "OP"} or "IN" not in token.get("LOWER", {}):
            return []
        op = token.get("OP")
        if op and not (optional and op == "?"):
            return []
        options = sorted(token["LOWER"]["IN"]) + ([""] if op == "?" else [])
        choices.append(options)
        count *= len(options)
        if count > limit:
            return []
    found = [[w for w in combination if w] for combination in itertools.product(*choices)]
    return [words for words in found if words]


def _required(tokens: tuple[dict[str, Any], ...]) -> tuple[frozenset[str], ...]:
    """The word lists a match must hold a word from (one per required word-list token)."""
    return tuple(
        frozenset(token["LOWER"]["IN"])
        for token in tokens
        if not token.get("OP") and "IN" in token.get("LOWER", {})
    )


def _one_event_per_sentence(doc: Any, kept: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    """An event told in one sentence is one event: its pieces ("discussed referring to Marac" … "agreed
    to monitor") become one signal quoting the words from the first to the last."""
    merged: dict[tuple[str, int], tuple[str, str, int, int]] = {}
    result: list[tuple[str, str, int, int]] = []
    for kind, code, start, end in kept:
        if kind != "event":
            result.append((kind, code, start, end))
            continue
        key = (code, doc[start].sent.start)
        if key in merged:
            _k, _c, first, last = merged[key]
            merged[key] = (kind, code, min(first, start), max(last, end))
        else:
            merged[key] = (kind, code, start, end)
    return result + list(merged.values())


def _token_matches(token: Any, words: frozenset[str]) -> bool:
    return token.lower_ in words or (token.is_punct and _PUNCT in words)


def _passes(doc: Any, start: int, end: int, pattern: SignalPattern) -> bool:
    sentence = doc[start].sent
    if end > sentence.end:
        return False  # a match never runs from one sentence (or line) into the next
    if pattern.has_gap or pattern.unless_within:
        inside = {t.lower_ for t in doc[start:end]}
        # A negation a gap swallowed ("he | denies any | suicidal") would be read as the target's own
        # words, which ConText leaves alone ("did not engage"): a gap never covers one.
        if pattern.has_gap and (inside & _gap_negations()) - pattern.own_words:
            return False
        if inside & pattern.unless_within:
            return False
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
    return not (pattern.needs_any and not any(t.lower_ in pattern.needs_any for t in sentence))


@cache
def _gap_negations() -> frozenset[str]:
    from marac_prep.analysis.reading.patterns import lexicon

    return frozenset(lexicon()["words"]["gap_negation"])


def _make_other(name: str, nlp: Any, rules: Iterable[ContextRule]) -> ContextStage:
    """Another context stage, for comparing candidates (benchmarks/marac_bench/reading_eval.py)."""
    import importlib

    module_name, _, class_name = name.rpartition(".")
    stage: ContextStage = getattr(importlib.import_module(module_name), class_name)(nlp, rules)
    return stage


@cache
def reader() -> Reader:
    """The process's reader (building it compiles every pattern: a fraction of a second).

    Its spaCy pipeline and patterns – hundreds of thousands of objects – live as long as the
    process, so they are moved out of the garbage collector's reach (`gc.freeze`): otherwise
    each full collection walks them all again, a pause of 0.1–0.25 s that landed every few
    meeting analyses (measured on the 5,000-entry meeting of the `gaps` benchmark)."""
    built = Reader()
    gc.collect()  # what building left behind goes now, not frozen with the rest
    gc.freeze()
    return built


_CACHE_SIZE = 65536
_read: dict[str, tuple[Found, ...]] = {}


def read_text(text: str) -> tuple[Found, ...]:
    """Every signal in one text (kept: agencies' entries repeat the same wording often, and an
    entry's stored signals are remembered here so its text is not read again)."""
    found = _read.get(text)
    if found is None:
        found = reader().read(text)
        remember(text, found)
    return found


def remember(text: str, found: tuple[Found, ...]) -> None:
    """Keeps what a text was read to say (from reading it, or from the signals stored for it)."""
    if len(_read) >= _CACHE_SIZE:
        _read.clear()  # simplest bound; a full cache is refilled from the store and the reader
    _read[text] = found


def forget_texts() -> None:
    """Empties the kept texts (the cold benchmark; tests)."""
    _read.clear()


def entry_text(summary: str, detail: str) -> str:
    """An entry's text as it is read: "summary\ndetail" (a line break ends a sentence, so nothing is
    read across them), the same text the victim-blaming finder is given for an entry."""
    return f"{summary}\n{detail or ''}"


def read_entry(entry_id: int, summary: str, detail: str) -> tuple[TextSignal, ...]:
    """What an entry's summary and detail say, as `TextSignal`s in text order (summary first).

    The two are read as one text, "summary\ndetail" (a line break ends a sentence, so nothing is
    read across them): one pass instead of two, and the same text the victim-blaming finder is
    given for an entry, so each is read once.
    """
    text = entry_text(summary, detail)
    signals = []
    for found in read_text(text or ""):
        field, start, end = "summary", found.start, found.end
        if start > len(summary):
            field, start, end = "detail", start - len(summary) - 1, end - len(summary) - 1
        signals.append(
            TextSignal(
                entry_id=entry_id,
                kind=found.kind,  # type: ignore[arg-type]  # kinds come from the three data files
                code=found.code,
                words=found.words,
                field=field,  # type: ignore[arg-type]
                start=start,
                end=end,
                target_agency=found.target_agency,
                target_agency_code=found.target_agency_code,
            )
        )
    return tuple(signals)
