"""Marac Prep benchmarks: each figure a ratio against a baseline measured in the same run.

    python benchmarks/run.py [--quick] [--json FILE] [--only NAME ...]

Workspaces are built with the demo generator and cached in benchmarks/.cache/ (the full one,
5,000 cases and 1,010,000 entries, takes several minutes to build the first time). Each
benchmark runs several times, ours and the baseline interleaved; the table shows medians.
Not a test: nothing here asserts, it reports (exit status 0 unless a benchmark could not run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if str(HERE.parent) not in sys.path:
    sys.path.insert(1, str(HERE.parent))

from marac_bench import (  # noqa: E402
    gaps_bench,
    gaps_cold_bench,
    identity_bench,
    import_bench,
    import_memory_bench,
    live_bench,
    load_bench,
    pack_bench,
    text_quality_bench,
    ui_bench,
)
from marac_bench.measure import Result  # noqa: E402
from marac_bench.workspace import Size, Workspace, copy_of, workspace  # noqa: E402

NAMES = (
    "pack", "pack_password", "import", "import_memory", "gaps", "gaps_cold", "identity", "identity_quality",
    "text_quality", "text_quality_unseen", "text_quality_holdout", "text_quality_fresh", "text_quality_fresh2",
    "text_quality_fresh3", "text_quality_fresh4", "text_quality_fresh5", "text_quality_fresh6",
    "startup", "startup_usable", "case_open", "filter", "memory", "entry_save", "load", "live",
)


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions for one kind of run."""

    label: str
    size: Size
    import_rows: int
    runs: int
    slow_runs: int  # for the benchmarks that take seconds each (pack, import, case_open)
    open_limit_s: float  # opening the big case is stopped (and reported as at least this) after this long


FULL = Plan("full", Size(cases=5000, entries_per_case=200, big_case_entries=10_000), import_rows=50_000,
            runs=7, slow_runs=3, open_limit_s=300)
QUICK = Plan("quick", Size(cases=250, entries_per_case=40, big_case_entries=2_000), import_rows=10_000,
             runs=5, slow_runs=3, open_limit_s=120)
IMPORT_SIZE = Size(cases=25, entries_per_case=24, big_case_entries=0)
# A freshly built meeting of about 1,250 entries whose text nobody has read yet.
COLD_SIZE = Size(cases=25, entries_per_case=50, big_case_entries=0, read_text=False)


def machine() -> dict[str, str]:
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    try:
        from PySide6 import __version__ as pyside
    except ImportError:
        pyside = "not installed"
    import reportlab

    return {
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "reportlab": reportlab.Version,
        "pyside6": pyside,
        "platform": platform.platform(),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _target(result: Result) -> str:
    if hasattr(result, "target_text"):
        return str(result.target_text)
    parts = []
    if result.quality_targets is not None:
        precision, recall, floor = result.quality_targets
        return f"precision >= {precision:g}, recall >= {recall:g}, each signal >= {floor:g}"
    if result.target is not None:
        parts.append(f"<= {result.target:g}")
    if result.limit_s is not None:
        parts.append(f"< {_seconds(result.limit_s)}")
    if result.limit_mib is not None:
        parts.append(f"< {result.limit_mib:.0f} MiB peak")
    return " and ".join(parts) or "report"


def table(results: list[Result]) -> list[str]:
    lines = [
        "| name | ours (median) | baseline (median) | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        ours = f"{r.peak_mib:.0f} MiB peak" if r.peak_mib is not None else _seconds(r.ours_s)
        if r.precision is not None:
            ours = f"precision {r.precision:.3f}, recall {r.recall or 0:.3f}"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "–"
        met = {True: "yes", False: "**no**", None: "–"}[r.met]
        if r.error:
            ours, met = "failed", "**not run**"
        lines.append(f"| {r.name} | {ours} | {_seconds(r.baseline_s)} | {ratio} | {_target(r)} | {met} |")
    return lines


def _guarded(name: str, job: Callable[[], Result]) -> Result:
    started = time.perf_counter()
    print(f"{name} …", file=sys.stderr, flush=True)
    try:
        result = job()
    except Exception as exc:  # one failing benchmark must not lose the others' figures
        traceback.print_exc()
        result = Result(name, [], error=f"{type(exc).__name__}: {exc}")
    print(f"{name}: done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return result


def _guarded_rows(name: str, job: Callable[[], list[Result]]) -> list[Result]:
    """_guarded for a benchmark that reports several rows."""
    rows: list[Result] = []

    def first() -> Result:
        rows.extend(job())
        return rows[0]

    failed = _guarded(name, first)
    return rows if rows else [failed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes; a few minutes on two cores")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the results as JSON to FILE")
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME", help=f"run only these: {', '.join(NAMES)}")
    parser.add_argument("--runs", type=int,
                        help="timed runs of each benchmark (default 5 quick, 7 full; 3 for the slow ones)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    runs = args.runs or plan.runs
    slow_runs = args.runs or plan.slow_runs
    wanted = set(args.only or NAMES)
    started = time.perf_counter()

    # The large workspace is built (or read from the cache) only for the benchmarks that use it.
    # startup_usable fills the upcoming meeting of the 5,000-case workspace; entry_save saves on its
    # 10,000-entry case (issue 17), so both need it as much as startup and case_open do.
    needs_large = bool(wanted & {"pack", "gaps", "identity", "startup", "startup_usable", "case_open", "filter",
                                 "memory", "entry_save"})
    ws = workspace(plan.size) if needs_large else Workspace(Path(), plan.size, 0, 0)
    if needs_large:
        print(f"Workspace: {ws.size.cases:,} cases, {ws.size.entries:,} entries ({ws.path.name})", file=sys.stderr)
    scratch = Path(tempfile.mkdtemp(prefix="marac-bench-"))
    results: list[Result] = []
    try:
        # A private copy, so packs' audit events never change the cached workspace.
        working = Workspace(copy_of(ws, scratch), ws.size, ws.meeting_id, ws.big_case_id) if needs_large else ws
        db_path = str(working.path)
        if "pack" in wanted:
            results.append(_guarded("pack", lambda: pack_bench.run(working, db_path, runs=slow_runs)))
        if "pack_password" in wanted:
            results.append(_guarded("pack_password", lambda: pack_bench.run_password(working, db_path,
                                                                                      runs=slow_runs)))
        if "import" in wanted:
            import_ws = workspace(IMPORT_SIZE)
            results.append(_guarded("import", lambda: import_bench.run(import_ws, rows=plan.import_rows,
                                                                       runs=slow_runs)))
        if "import_memory" in wanted:
            memory_ws = workspace(IMPORT_SIZE)
            results.append(_guarded("import_memory", lambda: import_memory_bench.run(memory_ws)))
        if "gaps" in wanted:
            results.append(_guarded("gaps", lambda: gaps_bench.run(working, db_path, runs=runs)))
        if "identity" in wanted:
            results.append(_guarded("identity", lambda: identity_bench.run(working, db_path, runs=runs)))
        if "identity_quality" in wanted:
            results.append(_guarded("identity_quality", identity_bench.quality))
        if "gaps_cold" in wanted:
            cold_ws = workspace(COLD_SIZE)
            results.append(_guarded("gaps_cold", lambda: gaps_cold_bench.run(cold_ws, runs=slow_runs)))
        text_rows = set(text_quality_bench.ROWS.values())
        if wanted & text_rows:
            # One run reads every corpus; `--only text_quality` shows every corpus's row.
            rows = text_rows if "text_quality" in wanted else wanted & text_rows
            results += [r for r in _guarded_rows("text_quality", text_quality_bench.run) if r.name in rows]
        if "load" in wanted:
            # Needs a PostgreSQL server (MARAC_PREP_TEST_POSTGRES_URL); without one the row is "not run".
            results.append(_guarded("load", lambda: load_bench.run(seconds=10 if plan is QUICK else 30)))
        if "live" in wanted:
            # PostgreSQL too; without a server the row says "not run" and why.
            results.append(_guarded("live", lambda: live_bench.run(samples=10 if plan is QUICK else 30)))
        ui_names = [
            n for n in ("startup", "startup_usable", "case_open", "filter", "memory", "entry_save") if n in wanted
        ]
        if ui_names:
            ui_results = ui_bench.run(working, db_path, runs=runs, names=ui_names, case_open_runs=slow_runs,
                                      open_limit_s=plan.open_limit_s)
            results += [r for r in ui_results if r.name in wanted]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results.sort(key=lambda r: NAMES.index(r.name))

    info = machine()
    print()
    print(f"Marac Prep benchmarks, {plan.label} run: workspace of {ws.size.cases:,} cases and "
          f"{ws.size.entries:,} entries; {runs} timed runs ({slow_runs} for pack, import and case_open), medians.")
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print()
    for line in table(results):
        print(line)
    print()
    for r in results:
        if r.note or r.error:
            print(f"- {r.name}: {r.error or r.note}")
    print(f"\nTotal time {time.perf_counter() - started:.0f} s.")
    if args.json:
        document = {
            "benchmarks": [r.as_json() for r in results],
            "run": {"kind": plan.label, "cases": ws.size.cases, "entries": ws.size.entries, "runs": runs,
                    "machine": info},
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
