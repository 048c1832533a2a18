"""text_quality: the text reader's precision and recall on each labelled corpus, overall and per signal."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

from marac_bench.measure import Result

NAME = "text_quality"
PRECISION, RECALL, FLOOR = 0.95, 0.90, 0.85


def _quality_module() -> Any:
    """tests/analysis/reading_quality.py, loaded from its file (another installed package may be
    called `tests`)."""
    path = Path(__file__).resolve().parents[2] / "tests" / "analysis" / "reading_quality.py"
    spec = importlib.util.spec_from_file_location("marac_reading_quality", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


# Row name per corpus: the tuning corpus keeps the row's old name; the held-out corpus (written before
# its author read the patterns) is its own row, so a figure earned by tuning never hides the honest one.
ROWS = {"tuning": NAME, "unseen": "text_quality_unseen", "held-out": "text_quality_holdout",
        "fresh": "text_quality_fresh", "fresh2": "text_quality_fresh2", "fresh3": "text_quality_fresh3",
        "fresh4": "text_quality_fresh4", "fresh5": "text_quality_fresh5",
        "fresh6": "text_quality_fresh6"}


def run() -> list[Result]:
    quality = _quality_module()
    read_with_product_reader, score = quality.read_with_product_reader, quality.score
    read_with_product_reader("warm up")  # builds the reader: not part of the reading time
    results = []
    for corpus_name, path in quality.CORPORA.items():
        examples = quality.corpus(path)
        started = time.perf_counter()
        report = score(read_with_product_reader, examples)
        took = time.perf_counter() - started
        per_signal = {name: (round(s.precision, 3), round(s.recall, 3))
                      for name, s in sorted(report.by_signal.items())}
        weakest = min(per_signal.items(), key=lambda item: min(item[1]))
        results.append(Result(
            ROWS[corpus_name], [took], precision=report.overall.precision, recall=report.overall.recall,
            quality_targets=(PRECISION, RECALL, FLOOR), per_signal=per_signal,
            note=f"{corpus_name} corpus: {report.sentences} labelled sentences (tests/analysis/{path.name}), "
            f"{len(per_signal)} signals, read in {took:.2f} s; weakest signal {weakest[0]} (precision "
            f"{weakest[1][0]:.2f}, recall {weakest[1][1]:.2f}); per signal in the JSON",
        ))
    return results
