"""The two context libraries compared on the reader's corpus (docs/decisions/0010): medspaCy's ConText
(what the product uses) against negspacy's NegEx, fed the same rules from resources/reading/context.json.

    .venv/bin/python benchmarks/marac_bench/reading_eval.py [medspacy|negspacy]

negspacy 1.1 (span groups) needs spaCy 3.8, which medspaCy 1.3 does not allow on Python 3.11, so
the negspacy side runs in a separate environment with spaCy 3.8 and negspacy installed.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from marac_prep.analysis.reading.patterns import ContextRule  # noqa: E402
from marac_prep.analysis.reading.reader import SPAN_GROUP  # noqa: E402

_MAX_PHRASES = 400


def _phrases(rule: ContextRule) -> list[str]:
    """A rule's token pattern as the phrase list NegEx takes (it has no token patterns): every
    combination of its words; rules with gaps (*N) or names (#name) cannot be written so."""
    choices: list[list[str]] = []
    for token in rule.tokens:
        words = token.get("LOWER", {}).get("IN")
        if words is None or str(token.get("OP", "")).startswith("{"):
            return []
        options = sorted(words)
        if token.get("OP") == "?":
            options = [*options, ""]
        choices.append(options)
    found = []
    for combination in itertools.product(*choices):
        found.append(" ".join(w for w in combination if w))
        if len(found) >= _MAX_PHRASES:
            break
    return found


class NegexContext:
    """negspacy's NegEx, one instance per context category (and per set of signal kinds it applies to)."""

    def __init__(self, nlp: Any, rules: Iterable[ContextRule]) -> None:
        from negspacy.negation import Negex

        rules = list(rules)
        pseudo = [p for r in rules if r.direction == "PSEUDO" for p in _phrases(r)]
        termination = [p for r in rules if r.direction == "TERMINATE" for p in _phrases(r)]
        self._stages = []
        keys = {(r.category, r.applies_to) for r in rules if r.direction not in ("PSEUDO", "TERMINATE")}
        for index, (category, applies_to) in enumerate(sorted(keys, key=str)):
            chosen = [r for r in rules if r.category == category and r.applies_to == applies_to]
            termset = {
                "pseudo_negations": pseudo,
                "preceding_negations": [p for r in chosen if r.direction in ("FORWARD", "BIDIRECTIONAL")
                                        for p in _phrases(r)],
                "following_negations": [p for r in chosen if r.direction in ("BACKWARD", "BIDIRECTIONAL")
                                        for p in _phrases(r)],
                "termination": termination,
            }
            extension = f"marac_{category.lower()}_{index}"
            stage = Negex(nlp, f"negex_{index}", termset, [k.upper() for k in applies_to] or None, extension,
                          None, [SPAN_GROUP])
            self._stages.append((category, extension, stage))

    def categories(self, doc: Any, targets: list[Any]) -> list[set[str]]:
        found: list[set[str]] = [set() for _ in targets]
        for category, extension, stage in self._stages:
            stage(doc)
            for i, target in enumerate(doc.spans[SPAN_GROUP]):
                if target._.get(extension):
                    found[i].add(category)
        return found


def main(which: str) -> None:
    from marac_prep.analysis.reading.reader import Reader
    from tests.analysis.reading_quality import corpus, score

    started = time.perf_counter()
    reader = Reader("medspacy" if which == "medspacy" else "marac_bench.reading_eval.NegexContext")
    built = time.perf_counter() - started
    examples = corpus()
    started = time.perf_counter()
    report = score(lambda text: [(f.kind, f.code, f.target_agency_code) for f in reader.read(text)], examples)
    took = time.perf_counter() - started
    print(f"{which}: build {built:.2f} s, {len(examples)} sentences in {took * 1000:.0f} ms "
          f"({took / len(examples) * 1000:.2f} ms each); precision {report.overall.precision:.3f}, "
          f"recall {report.overall.recall:.3f}")
    for name, signal in sorted(report.by_signal.items()):
        if signal.precision < 1 or signal.recall < 1:
            print(f"  {name}: precision {signal.precision:.2f} recall {signal.recall:.2f}")
    for line in report.mistakes:
        print("  ", line)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main(sys.argv[1] if len(sys.argv) > 1 else "medspacy")
