"""import_memory: the peak memory of importing the largest files the importer accepts: the
1,000,000-row agency-return CSV (streamed, decision 0035) and a 100,000-row workbook.

Each file is imported by a fresh process (so one import's garbage cannot hide another's peak) into a
fresh copy of the 25-case import workspace; the figure is that process's peak resident set size.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from marac_bench.import_bench import HEADER, write_csv
from marac_bench.measure import Result
from marac_bench.workspace import ACTOR, Workspace

NAME = "import_memory"
LIMIT_MIB = 500.0
BIG_CSV_ROWS = 1_000_000

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from marac_prep.core.db import open_database
from marac_prep.core.errors import MaracError
from marac_prep.core.users import find_user
from marac_prep.interchange.importer import import_file
db = open_database(Path(sys.argv[1]))
outcome = ""
start = time.perf_counter()
try:
    with db.session() as session:
        result = import_file(session, actor=find_user(session, sys.argv[4]), meeting_id=int(sys.argv[2]),
                             path=Path(sys.argv[3]))
        outcome = f"{result.imported:,} rows imported"
except MaracError as exc:
    outcome = f"refused: {exc}"
seconds = time.perf_counter() - start
db.close()
print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome,
                  "seconds": seconds}))
"""


def write_xlsx(path: Path, csv_path: Path) -> None:
    """The same rows as a workbook (write-only mode, so writing it stays small)."""
    import csv

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    book.save(path)


def _import_peak(ws: Workspace, folder: Path, source: Path) -> tuple[float, str, float]:
    target = folder / f"ws-{source.stem}.sqlite"
    shutil.copyfile(ws.path, target)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603  our own child, fixed arguments
        [sys.executable, "-c", _CHILD, str(target), str(ws.meeting_id), str(source), ACTOR],
        capture_output=True, text=True, check=True, cwd=root,
    )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return float(data["peak_mib"]), str(data["outcome"]), float(data["seconds"])


def run(ws: Workspace) -> Result:
    from marac_prep.interchange.sheets import MAX_ROWS

    folder = Path(tempfile.mkdtemp(prefix="marac-bench-import-memory-"))
    try:
        huge = folder / "million-rows.csv"
        write_csv(huge, ws.path, ws.meeting_id, BIG_CSV_ROWS)
        largest = folder / "largest-workbook.csv"
        write_csv(largest, ws.path, ws.meeting_id, MAX_ROWS)
        workbook = folder / "largest-workbook.xlsx"
        write_xlsx(workbook, largest)
        files = [
            (f"a {BIG_CSV_ROWS:,}-row CSV ({huge.stat().st_size / 2**20:.0f} MiB, {len(HEADER)} columns)", huge),
            (f"a {MAX_ROWS:,}-row XLSX ({workbook.stat().st_size / 2**20:.0f} MiB)", workbook),
        ]
        peaks = [(label, *_import_peak(ws, folder, path)) for label, path in files]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    peak = max(p for _label, p, _outcome, _s in peaks)
    return Result(
        NAME, [], peak_mib=peak, limit_mib=LIMIT_MIB,
        note="peak resident set size of a fresh process importing each file into the 25-case workspace: "
        + "; ".join(f"{label}: {p:.0f} MiB in {s:.0f} s, {outcome.split(';')[0]}" for label, p, outcome, s in peaks),
    )
