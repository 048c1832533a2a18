"""The labelled corpus of name pairs (tests/people/name_pairs.csv) and its precision and recall."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from marac_prep.core.matching import MatchSettings, PersonFacts, compare

CORPUS = Path(__file__).with_name("name_pairs.csv")
# Written afterwards by someone who had not read the matcher's lists, to see how it generalises
# (first run: precision 1.000, recall 0.810; see docs/decisions/0053).
HOLDOUT = Path(__file__).with_name("name_pairs_holdout.csv")


@dataclass(frozen=True)
class Pair:
    a: PersonFacts
    b: PersonFacts
    same: bool
    why: str


@dataclass(frozen=True)
class Quality:
    pairs: int
    true_matches: int
    precision: float
    recall: float
    false_matches: list[tuple[Pair, float]]
    misses: list[tuple[Pair, float]]


def _facts(field: str, dob: str) -> PersonFacts:
    name, *aliases = field.split("|")  # "Name|Alias|Alias": aliases recorded on the person
    return PersonFacts(name, tuple(aliases), date.fromisoformat(dob) if dob else None)


def load_pairs(path: Path = CORPUS) -> list[Pair]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Pair(_facts(r["name_a"], r["dob_a"]), _facts(r["name_b"], r["dob_b"]), r["same"] == "1", r["why"])
            for r in csv.DictReader(handle)
        ]


def evaluate(pairs: list[Pair], settings: MatchSettings | None = None) -> Quality:
    threshold = (settings or MatchSettings.from_settings()).threshold
    tp = fp = fn = 0
    false_matches, misses = [], []
    for pair in pairs:
        score = max(compare(pair.a, pair.b).score, compare(pair.b, pair.a).score)
        hit = score >= threshold
        if hit and pair.same:
            tp += 1
        elif hit:
            fp += 1
            false_matches.append((pair, score))
        elif pair.same:
            fn += 1
            misses.append((pair, score))
    return Quality(
        pairs=len(pairs),
        true_matches=tp + fn,
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        false_matches=false_matches,
        misses=misses,
    )
