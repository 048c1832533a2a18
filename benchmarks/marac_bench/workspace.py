"""Synthetic workspaces for the benchmarks, built with the demo generator and cached on disk.

A workspace is a SQLite file holding `cases` ordinary cases of `entries_per_case` entries each
(25 cases to a meeting, as the demo writes them) plus one large case of `big_case_entries`
entries on a meeting of its own (for opening a very long chronology). Files are cached under
`benchmarks/.cache/`, keyed by the sizes, the seed and a hash of the code that shapes the data,
so a rerun reuses them and a change to the generator or the schema builds afresh.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

CACHE = Path(__file__).resolve().parent.parent / ".cache"
# A fixed "today" keeps a cached workspace identical whatever day it is rebuilt on.
TODAY = date(2025, 6, 2)
ACTOR = "Benchmark coordinator"
# Person keys are written with the people, so the matcher's key code shapes the data too.
_SHAPING_CODE = (
    "marac_prep/demo",
    "marac_prep/core/models.py",
    "marac_prep/core/migrations/versions",
    "marac_prep/analysis/reading",
    "resources/reading",
    "marac_prep/core/person_keys.py",
    "marac_prep/core/matching.py",
    "resources/name_variants.json",
)


@dataclass(frozen=True)
class Size:
    cases: int
    entries_per_case: int
    big_case_entries: int
    seed: int = 1
    read_text: bool = True  # store every entry's text signals, as a workspace in use would have them

    @property
    def entries(self) -> int:
        return self.cases * self.entries_per_case + self.big_case_entries


@dataclass(frozen=True)
class Workspace:
    """A built workspace: its file and the ids the benchmarks use.

    Attributes:
        meeting_id: the first (upcoming) meeting, 25 ordinary cases.
        big_case_id: the case with `size.big_case_entries` entries.
    """

    path: Path
    size: Size
    meeting_id: int
    big_case_id: int


def _code_hash() -> str:
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for name in _SHAPING_CODE:
        target = root / name
        files = sorted([*target.rglob("*.py"), *target.rglob("*.json")]) if target.is_dir() else [target]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:10]


def cache_path(size: Size) -> Path:
    unread = "" if size.read_text else "-unread"
    return CACHE / (
        f"ws-{size.cases}x{size.entries_per_case}-big{size.big_case_entries}-seed{size.seed}{unread}-"
        f"{_code_hash()}.sqlite"
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _build(path: Path, size: Size) -> None:
    from marac_prep.core.db import open_database
    from marac_prep.core.users import ensure_profile
    from marac_prep.demo import build_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    _say(f"Building a workspace of {size.cases:,} cases and {size.entries:,} entries (cached in {path.parent}) …")
    db = open_database(partial)
    try:
        step = max(1, size.cases // 10)

        def progress(done: int, total: int) -> None:
            if done % step == 0 or done == total:
                _say(f"  {done:,} of {total:,} cases, {time.perf_counter() - started:.0f} s")

        with db.session() as session:
            actor = ensure_profile(session, name=ACTOR, role="coordinator")
            session.commit()
            build_demo(
                session, actor=actor, cases=size.cases, entries_per_case=size.entries_per_case,
                seed=size.seed, today=TODAY, progress=progress,
            )
        if size.big_case_entries:
            with db.session() as session:
                actor = ensure_profile(session, name=ACTOR, role="coordinator")
                # A later "today" gives the big case's meeting a date no other meeting has.
                build_demo(
                    session, actor=actor, cases=1, entries_per_case=size.big_case_entries,
                    seed=size.seed + 1, today=TODAY + timedelta(days=14),
                )
        if size.read_text:
            _read_signals(db, started)
    finally:
        db.close()
    # Leave the file compact and analysed, as a database that has been in use would be.
    with sqlite3.connect(partial) as connection:
        connection.execute("ANALYZE")
    connection.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    os.replace(partial, path)
    _say(f"  built in {time.perf_counter() - started:.0f} s")
    # Workspaces of the same size built by older code are stale: remove them (and their -wal/-shm).
    prefix = path.name.rsplit("-", 1)[0] + "-"
    for stale in path.parent.glob(prefix + "*"):
        if not stale.name.startswith(path.name) and not stale.is_dir():  # a backups folder is left alone
            stale.unlink(missing_ok=True)


def _read_signals(db: object, started: float) -> None:
    """Every entry's text read and its signals stored, as the app does on first analysis."""
    from sqlalchemy import select

    from marac_prep.analysis.reading import read_and_store
    from marac_prep.core.models import ChronologyEntry

    table = ChronologyEntry.__table__  # type: ignore[attr-defined]
    done, last = 0, 0
    with db.read_session() as session:  # type: ignore[attr-defined]
        top = session.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar() or 0
    for first in range(0, top + 1, 20_000):
        with db.session() as session:  # type: ignore[attr-defined]
            rows = session.execute(
                select(table.c.id, table.c.version, table.c.summary, table.c.detail)
                .where(table.c.id >= first, table.c.id < first + 20_000, table.c.withdrawn_at.is_(None))
            ).all()
            done += read_and_store(session, rows)
        if done - last >= 100_000:
            last = done
            _say(f"  text read for {done:,} entries, {time.perf_counter() - started:.0f} s")


def _ids(path: Path, size: Size) -> tuple[int, int]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meeting_id = connection.execute(
            "SELECT meeting_id FROM marac_case GROUP BY meeting_id HAVING count(*) = ? ORDER BY meeting_id LIMIT 1",
            (min(25, size.cases),),
        ).fetchone()[0]
        # The case with the most entries: the demo writes a few small cases of its own (a repeat's
        # earlier case, say) beside the big one, so the newest case is not necessarily it.
        big_case_id = connection.execute(
            "SELECT case_id FROM chronology_entry GROUP BY case_id ORDER BY count(*) DESC, case_id DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        connection.close()
    return int(meeting_id), int(big_case_id)


def workspace(size: Size) -> Workspace:
    """The cached workspace for `size`, built first if it is not cached yet."""
    path = cache_path(size)
    if not path.exists():
        _build(path, size)
    meeting_id, big_case_id = _ids(path, size)
    return Workspace(path=path, size=size, meeting_id=meeting_id, big_case_id=big_case_id)


def copy_of(ws: Workspace, folder: Path) -> Path:
    """A private copy of the workspace file, for benchmarks that write to it."""
    target = folder / f"copy-{ws.path.name}"
    shutil.copyfile(ws.path, target)
    return target
