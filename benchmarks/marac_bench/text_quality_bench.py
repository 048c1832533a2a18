"""text_quality: the text reader's precision and recall on the labelled corpus, overall and per signal."""

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


def run() -> Result:
    quality = _quality_module()
    corpus, read_with_product_reader, score = quality.corpus, quality.read_with_product_reader, quality.score
    examples = corpus()
    read_with_product_reader("warm up")  # builds the reader: not part of the reading time
    started = time.perf_counter()
    report = score(read_with_product_reader, examples)
    took = time.perf_counter() - started
    per_signal = {name: (round(s.precision, 3), round(s.recall, 3)) for name, s in sorted(report.by_signal.items())}
    weakest = min(per_signal.items(), key=lambda item: min(item[1]))
    return Result(
        NAME, [took], precision=report.overall.precision, recall=report.overall.recall,
        quality_targets=(PRECISION, RECALL, FLOOR), per_signal=per_signal,
        note=f"{report.sentences} labelled sentences (tests/analysis/reading_corpus.txt), {len(per_signal)} signals, "
        f"read in {took:.2f} s; weakest signal {weakest[0]} (precision {weakest[1][0]:.2f}, "
        f"recall {weakest[1][1]:.2f}); per signal in the JSON",
    )
