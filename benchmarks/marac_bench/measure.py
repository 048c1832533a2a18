"""Timing: several runs of ours and of the baseline, interleaved, reported as medians.

Runs alternate (ours, baseline, ours, baseline …) so that a burst of load from another process
on a shared machine falls on both sides rather than on one.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Work = Callable[[], Any]
# Prepares one run (e.g. a fresh copy of a database) outside the timed part; returns the work.
Prepare = Callable[[], Work]


@dataclass
class Result:
    """One benchmark's figures.

    Attributes:
        target: the highest acceptable ratio (None where the issue sets no ratio target).
        limit_s: an absolute time target in seconds, where there is one.
        peak_mib: for the memory benchmarks, the peak resident memory.
        limit_mib: a memory target in MiB, where there is one (import_memory).
        note: how ours and the baseline were measured, for the table's footnotes.
    """

    name: str
    ours: list[float]
    baseline: list[float] = field(default_factory=list)
    target: float | None = None
    limit_s: float | None = None
    peak_mib: float | None = None
    limit_mib: float | None = None
    note: str = ""
    error: str = ""
    # For quality rows (text_quality): overall precision and recall, their targets
    # (precision, recall, the floor for every signal) and each signal's (precision, recall).
    precision: float | None = None
    recall: float | None = None
    quality_targets: tuple[float, float, float] | None = None
    per_signal: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def ours_s(self) -> float | None:
        return statistics.median(self.ours) if self.ours else None

    @property
    def baseline_s(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        if self.ours_s is None or not self.baseline_s:
            return None
        return self.ours_s / self.baseline_s

    @property
    def met(self) -> bool | None:
        """Whether every target is met; None when there is no target to meet."""
        checks: list[bool] = []
        if self.target is not None:
            checks.append(self.ratio is not None and self.ratio <= self.target)
        if self.limit_s is not None:
            checks.append(self.ours_s is not None and self.ours_s < self.limit_s)
        if self.limit_mib is not None:
            checks.append(self.peak_mib is not None and self.peak_mib < self.limit_mib)
        if self.quality_targets is not None:
            precision, recall, floor = self.quality_targets
            checks.append((self.precision or 0) >= precision and (self.recall or 0) >= recall)
            checks.append(all(min(pr) >= floor for pr in self.per_signal.values()))
        return all(checks) if checks else None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "ours_s": _round(self.ours_s),
            "baseline_s": _round(self.baseline_s),
            "ratio": _round(self.ratio, 3),
            "target": self.target,
        }
        # Beyond the five fields the issue asks for, only where they carry something.
        if self.limit_s is not None:
            out["limit_s"] = self.limit_s
        if self.peak_mib is not None:
            out["peak_mib"] = round(self.peak_mib, 1)
        if self.limit_mib is not None:
            out["limit_mib"] = self.limit_mib
        if self.precision is not None:
            out["precision"] = round(self.precision, 4)
            out["recall"] = round(self.recall or 0, 4)
            out["quality_targets"] = list(self.quality_targets or ())
            out["per_signal"] = {k: {"precision": p, "recall": r} for k, (p, r) in self.per_signal.items()}
        out["runs"] = len(self.ours)
        if self.met is not None:
            out["met"] = self.met
        if self.error:
            out["error"] = self.error
        return out


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _timed(work: Work) -> float:
    gc.collect()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def compare(ours: Prepare, baseline: Prepare | None, *, runs: int, warmup: int = 1) -> tuple[list[float], list[float]]:
    """Times of `runs` runs of each (after `warmup` untimed runs of each), interleaved."""
    for _ in range(warmup):
        ours()()
        if baseline is not None:
            baseline()()
    ours_times: list[float] = []
    baseline_times: list[float] = []
    for _ in range(runs):
        ours_times.append(_timed(ours()))
        if baseline is not None:
            baseline_times.append(_timed(baseline()))
    return ours_times, baseline_times


def ready(work: Work) -> Prepare:
    """A Prepare for work that needs no per-run preparation."""
    return lambda: work
