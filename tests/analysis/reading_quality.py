"""Scores the text reader on a labelled corpus (reading_corpus*.txt): precision and recall per signal.

Used by tests/analysis/test_reading.py and by benchmarks/run.py's `text_quality` rows (one per corpus).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).with_name("reading_corpus.txt")  # the patterns were tuned on it
UNSEEN = CORPUS.with_name("reading_corpus_unseen.txt")  # checked once after the first tuning
# Written before its author read the patterns (session 4): the honest figure for text nobody tuned on.
HOLDOUT = CORPUS.with_name("reading_corpus_holdout.txt")
# Written after the held-out corpus had been used for fixes, read once before its own fixes.
FRESH = CORPUS.with_name("reading_corpus_fresh.txt")
FRESH2 = CORPUS.with_name("reading_corpus_fresh2.txt")  # the same, one round later
# Agency styles (police logs, health, housing, probation, school, Idva notes), written before their author
# read the patterns (fresh3) and after the mechanism changes of decision 0024 (fresh4); both read once
# before any fix (figures in docs/decisions/0024).
FRESH3 = CORPUS.with_name("reading_corpus_fresh3.txt")
FRESH4 = CORPUS.with_name("reading_corpus_fresh4.txt")
# Session 5: written before its author read the patterns or the other corpora; first run in decision 0024.
FRESH5 = CORPUS.with_name("reading_corpus_fresh5.txt")
# Session 6: written blind the same way (agency voices, shorthand); first run in decision 0024 and docs/quality.md.
FRESH6 = CORPUS.with_name("reading_corpus_fresh6.txt")
CORPORA = {"tuning": CORPUS, "unseen": UNSEEN, "held-out": HOLDOUT, "fresh": FRESH, "fresh2": FRESH2,
           "fresh3": FRESH3, "fresh4": FRESH4, "fresh5": FRESH5,
           "fresh6": FRESH6}
KIND_PREFIX = {"risk_indicator": "risk", "event": "event", "victim_blaming": "blame"}


@dataclass(frozen=True)
class Example:
    line: int
    text: str
    labels: frozenset[str]  # "risk:strangulation", "event:referral_made", ...
    agencies: dict[str, str]  # label -> agency short code expected


def corpus(path: Path = CORPUS) -> list[Example]:
    examples = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        labels_text, _, text = raw.partition(" | ")
        labels: set[str] = set()
        agencies: dict[str, str] = {}
        for label in labels_text.split(","):
            label = label.strip()
            if label == "-":
                continue
            name, _, agency = label.partition("@")
            labels.add(name)
            if agency:
                agencies[name] = agency
        examples.append(Example(number, text.strip(), frozenset(labels), agencies))
    return examples


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    overall: Score = field(default_factory=Score)
    by_signal: dict[str, Score] = field(default_factory=dict)
    mistakes: list[str] = field(default_factory=list)
    agency_mistakes: list[str] = field(default_factory=list)
    sentences: int = 0


Read = Callable[[str], Iterable[tuple[str, str, str | None]]]  # text -> (kind, code, agency code)


def score(read: Read, examples: list[Example] | None = None) -> Report:
    """Reads every sentence with `read` and compares the signals with the labels."""
    report = Report()
    for example in examples if examples is not None else corpus():
        report.sentences += 1
        found: dict[str, str | None] = {}
        for kind, code, agency in read(example.text):
            found[f"{KIND_PREFIX[kind]}:{code}"] = agency
        for label in set(found) | example.labels:
            signal = report.by_signal.setdefault(label, Score())
            if label in found and label in example.labels:
                signal.tp += 1
                report.overall.tp += 1
                wanted = example.agencies.get(label)
                if wanted and found[label] != wanted:
                    report.agency_mistakes.append(f"line {example.line}: {label} agency {found[label]} != {wanted}")
            elif label in found:
                signal.fp += 1
                report.overall.fp += 1
                report.mistakes.append(f"line {example.line}: false {label}: {example.text}")
            else:
                signal.fn += 1
                report.overall.fn += 1
                report.mistakes.append(f"line {example.line}: missed {label}: {example.text}")
    return report


def read_with_product_reader(text: str) -> list[tuple[str, str, str | None]]:
    from marac_prep.analysis.reading import read_text

    return [(f.kind, f.code, f.target_agency_code) for f in read_text(text)]
