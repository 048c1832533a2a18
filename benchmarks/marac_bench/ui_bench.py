"""startup, case_open, filter, memory: the desktop app measured in fresh offscreen processes."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from marac_bench.measure import Result
from marac_bench.workspace import Workspace

PROBE = Path(__file__).resolve().parent / "ui_probe.py"
TYPED = "incident"  # as ui_probe.TYPED
STARTUP_TARGET = 2.0
CASE_OPEN_TARGET = 2.0
FILTER_LIMIT_S = 0.030
ENTRY_SAVE_TARGET = 2.0
STARTUP_USABLE_TARGET = 3.0
TIMEOUT_S = 600


def _env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # The probe imports marac_prep from this checkout, as run.py does.
    root = str(PROBE.parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _until_lines(args: list[str], lines: tuple[str, ...] = ("painted",)) -> list[float]:
    """Seconds from starting a probe process to each of its expected lines, in order."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603  our own probe, fixed arguments
        [sys.executable, str(PROBE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )
    assert process.stdout is not None
    elapsed: list[float] = []
    for expected in lines:
        line = process.stdout.readline()
        elapsed.append(time.perf_counter() - started)
        if line.strip() != expected:
            break
    _, err = process.communicate(timeout=TIMEOUT_S)
    if len(elapsed) != len(lines) or line.strip() != lines[-1] or process.returncode != 0:
        raise RuntimeError(f"probe {args[0]} failed: {err.strip().splitlines()[-1:] or line!r}")
    return elapsed


def _probe_json(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603  our own probe, fixed arguments
        [sys.executable, str(PROBE), *args], capture_output=True, text=True, env=_env(), timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe {args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def _startup(db_path: str, runs: int) -> list[Result]:
    both = ("painted", "usable", "workspace", "complete")
    _until_lines(["bare"])  # warm the file cache for both
    _until_lines(["startup", db_path], both)
    ours: list[float] = []
    filled: list[float] = []
    usable: list[float] = []
    complete: list[float] = []
    bare: list[float] = []
    for _ in range(runs):
        painted, ready, workspace, whole = _until_lines(["startup", db_path], both)
        ours.append(painted)
        filled.append(workspace)
        usable.append(ready)
        complete.append(whole)
        bare.extend(_until_lines(["bare"]))
    return [
        Result("startup", ours, bare, target=STARTUP_TARGET,
               note="process start (as `marac-prep` starts the app) to the main window's first paint, "
               "showing 'Opening the workspace…'; baseline a bare QMainWindow in the same way; the "
               f"workspace (database open, meetings listed, first meeting's cases shown) filled it "
               f"{statistics.median(filled):.2f} s after the start (median)"),
        Result("startup_usable", usable, bare, target=STARTUP_USABLE_TARGET,
               note="process start to the upcoming meeting's case list and gap matrix filled and painted "
               "(the first screen, read without the ORM: the repeat column says 'Checking…'); baseline the "
               "bare QMainWindow's first paint; the normal read's list with its repeat findings and matrix "
               f"were painted {statistics.median(complete):.2f} s after the start (median)"),
    ]


def _failed(names: list[str], exc: Exception) -> list[Result]:
    return [Result(n, [], error=f"{type(exc).__name__}: {exc}") for n in names]


def run(ws: Workspace, db_path: str, *, runs: int, names: list[str], case_open_runs: int,
        open_limit_s: float) -> list[Result]:
    results: list[Result] = []
    if "startup" in names or "startup_usable" in names:
        print("startup …", file=sys.stderr, flush=True)
        try:
            results += _startup(db_path, runs)
        except Exception as exc:  # one failing benchmark must not lose the others' figures
            results += _failed(["startup", "startup_usable"], exc)
    if "case_open" in names or "memory" in names:
        print("case_open, memory …", file=sys.stderr, flush=True)
        try:
            data = _probe_json(["session", db_path, str(ws.big_case_id), str(case_open_runs), str(open_limit_s)])
        except Exception as exc:
            results += _failed(["case_open", "memory"], exc)
        else:
            late = (f"; an open took longer than the {open_limit_s:.0f} s limit, so it was stopped there and "
                    "the ratio is a lower bound") if data["timed_out"] else ""
            if data["analysed"]:
                late += (f"; the findings tab filled {statistics.median(data['analysed']):.1f} s after the open "
                         "began (median), the chronology usable meanwhile")
            if data["analysis_timed_out"]:
                late += f"; the background gap analysis had not finished after {open_limit_s:.0f} s"
            results.append(Result(
                "case_open", data["case_open"], data["one_query"], target=CASE_OPEN_TARGET,
                note=f"open the {ws.size.big_case_entries:,}-entry case from the meeting page until its chronology is "
                "painted with rows (entries read as plain records and formatted off the GUI thread; findings and "
                "timeline worked out after that first paint); baseline "
                f"one SQLModel SELECT of those rows, run when the app is idle{late}",
            ))
            results.append(Result(
                "memory", [], peak_mib=data["peak_mib"],
                note="peak resident set size (ru_maxrss) of the app process after opening that case once and "
                "analysing it" + (" (measured when stopped at the time limit)" if data["timed_out"]
                                  or data["analysis_timed_out"] else ""),
            ))
    if "entry_save" in names:
        print("entry_save …", file=sys.stderr, flush=True)
        try:
            data = _probe_json(["save", db_path, str(ws.big_case_id), str(runs)])
        except Exception as exc:
            results += _failed(["entry_save"], exc)
        else:
            results.append(Result(
                "entry_save", data["ours"], data["bare"], target=ENTRY_SAVE_TARGET,
                note=f"one new entry saved on the {ws.size.big_case_entries:,}-entry case as the app saves it "
                "(the service call, then the row put in place until the table repaints; findings re-worked in "
                "the background afterwards); baseline the bare add_entry service call in a session",
            ))
    if "filter" in names:
        print("filter …", file=sys.stderr, flush=True)
        try:
            data = _probe_json(["filter", db_path, str(ws.big_case_id), str(runs)])
        except Exception as exc:
            results += _failed(["filter"], exc)
        else:
            results.append(Result(
                "filter", data["keystrokes"], limit_s=FILTER_LIMIT_S,
                note=f"each key of '{TYPED}' typed into and then erased from the chronology panel's search box "
                f"until the table repaints: {len(data['keystrokes'])} keystrokes on {data['rows']:,} rows; slowest "
                f"{data['keystroke_max'] * 1000:.1f} ms",
            ))
    return results
