"""gaps_cold: gap analysis of a freshly built 25-case meeting whose entries' text was never read,
against the same analysis once their signals are stored."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from marac_bench.measure import Result, Work, compare
from marac_bench.workspace import Workspace

NAME = "gaps_cold"
LIMIT_S = 1.0


def run(ws: Workspace, *, runs: int) -> Result:
    from marac_prep.analysis.gaps import analyse_meeting
    from marac_prep.analysis.reading import attach_signals
    from marac_prep.analysis.reading.reader import forget_texts, reader
    from marac_prep.analysis.reading.store import _decoded
    from marac_prep.core.casefile import load_meeting_files
    from marac_prep.core.db import open_database

    reader()  # built once per process (imports spaCy and medspaCy, compiles the patterns): not timed
    scratch = Path(tempfile.mkdtemp(prefix="marac-bench-cold-"))
    warm_path = scratch / "warm.sqlite"
    shutil.copyfile(ws.path, warm_path)
    found: dict[str, int] = {}

    def analyse(path: Path) -> None:
        db = open_database(path)
        try:
            with db.read_session() as session:
                _meeting, files = load_meeting_files(session, ws.meeting_id)
                attach_signals(session, files)
            findings = analyse_meeting(files)
        finally:
            db.close()
        found["entries"] = sum(len(f.entries) for f in files)
        found["signals"] = sum(len(s) for f in files for s in f.signals.values())
        found["findings"] = sum(len(f) for f in findings.values())

    runs_done = [0]

    def cold() -> Work:
        # A fresh copy with nothing read, and the process's caches of read texts emptied.
        runs_done[0] += 1
        path = scratch / f"cold-{runs_done[0]}.sqlite"
        shutil.copyfile(ws.path, path)
        forget_texts()
        _decoded.cache_clear()
        return lambda: analyse(path)

    def warm() -> Work:
        forget_texts()
        _decoded.cache_clear()
        return lambda: analyse(warm_path)

    try:
        analyse(warm_path)  # stores the warm copy's signals
        ours, baseline = compare(cold, warm, runs=runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Result(
        NAME, ours, baseline, limit_s=LIMIT_S,
        note=f"load_meeting_files + attach_signals + analyse_meeting on a fresh copy of a 25-case meeting whose "
        f"{found.get('entries'):,} entries were never read (read, {found.get('signals'):,} signals stored, "
        f"{found.get('findings'):,} findings); baseline the same analysis with the signals stored",
    )
