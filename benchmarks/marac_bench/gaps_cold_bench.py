"""gaps_cold: gap analysis of a freshly built 25-case meeting that was never analysed – no stored
findings, and entries whose text was never read – against the same analysis once their signals
are stored (the findings still not stored)."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from marac_bench.measure import Result, Work, compare
from marac_bench.workspace import Workspace

NAME = "gaps_cold"
LIMIT_S = 1.0


def _without_findings(path: Path) -> None:
    """No stored findings: the analysis is computed, not read back."""
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM case_findings")


def run(ws: Workspace, *, runs: int) -> Result:
    from marac_prep.analysis.reading import attach_signals
    from marac_prep.analysis.reading.reader import forget_texts, reader
    from marac_prep.analysis.reading.store import _decoded
    from marac_prep.analysis.stored import meeting_findings
    from marac_prep.core.casefile import load_meeting_files
    from marac_prep.core.db import open_database

    reader()  # built once per process (imports spaCy and medspaCy, compiles the patterns): not timed
    scratch = Path(tempfile.mkdtemp(prefix="marac-bench-cold-"))
    # The cached workspace brought to this version's schema once, untimed (a migration is not an analysis).
    template = scratch / "template.sqlite"
    shutil.copyfile(ws.path, template)
    open_database(template).close()
    warm_path = scratch / "warm.sqlite"
    shutil.copyfile(template, warm_path)
    found: dict[str, int] = {}

    def analyse(path: Path) -> None:
        db = open_database(path)
        try:
            with db.read_session() as session:
                findings = meeting_findings(session, ws.meeting_id)  # nothing stored: analysed, then stored
        finally:
            db.close()
        found["findings"] = sum(len(f) for f in findings.values())

    runs_done = [0]

    def cold() -> Work:
        # A fresh copy with nothing read or stored, and the process's caches of read texts emptied.
        runs_done[0] += 1
        path = scratch / f"cold-{runs_done[0]}.sqlite"
        shutil.copyfile(template, path)
        _without_findings(path)
        forget_texts()
        _decoded.cache_clear()
        return lambda: analyse(path)

    def warm() -> Work:
        _without_findings(warm_path)
        forget_texts()
        _decoded.cache_clear()
        return lambda: analyse(warm_path)

    try:
        _without_findings(warm_path)
        analyse(warm_path)  # stores the warm copy's signals
        ours, baseline = compare(cold, warm, runs=runs)
        db = open_database(warm_path)
        try:
            with db.read_session() as session:
                _meeting, files = load_meeting_files(session, ws.meeting_id)
                attach_signals(session, files)
        finally:
            db.close()
        found["entries"] = sum(len(f.entries) for f in files)
        found["signals"] = sum(len(s) for f in files for s in f.signals.values())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Result(
        NAME, ours, baseline, limit_s=LIMIT_S,
        note=f"analysis.stored.meeting_findings on a fresh copy of a 25-case meeting never analysed: no stored "
        f"findings, and its {found.get('entries'):,} entries never read (read, {found.get('signals'):,} signals "
        f"stored, {found.get('findings'):,} findings computed and stored); baseline the same with the signals "
        "stored (the findings not)",
    )
