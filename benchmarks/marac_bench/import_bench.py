"""import: a large agency-return CSV, against Python's csv module plus sqlite3 executemany."""

from __future__ import annotations

import csv
import json
import random
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from marac_bench.measure import Result, Work, compare
from marac_bench.workspace import ACTOR, TODAY, Workspace

NAME = "import"
TARGET = 3.0
HEADER = (
    "case_reference", "agency", "date", "time", "event_type", "summary", "detail", "subjects",
    "risk_indicators", "referred_to", "risk_level", "source_ref", "recorded_by", "fact_or_opinion",
    "shareable", "withheld_reason",
)
_KINDS = (
    ("Incident", "victim; perpetrator", "injury; threats_to_kill"),
    ("Disclosure", "victim", "controlling; strangulation"),
    ("A&E attendance", "victim", "injury"),
    ("Missed appointment", "victim", ""),
    ("Service offered", "victim", ""),
    ("Breach", "victim; perpetrator", "breached_orders"),
    ("Counter-allegation", "victim; perpetrator", ""),
    ("Contact", "victim", ""),
)
_SUMMARIES = (
    "Police called by neighbour; shouting heard, victim had a cut lip.",
    "Victim disclosed to GP that her partner checks her phone and controls her money.",
    "Attended A&E with a wrist injury; said she tripped. Partner present throughout.",
    "Did not attend housing appointment; letter sent offering a new date.",
    "Idva support offered by phone; safety planning started.",
    "Seen outside the victim's workplace in breach of bail conditions.",
    "Alleged the victim assaulted him; no injuries seen, victim had marks on her arms.",
    "Welfare check by phone; no new concerns reported.",
)


def write_csv(path: Path, ws_path: Path, meeting_id: int, rows: int, seed: int = 7) -> None:
    """A realistic agency return: every row valid, distinct, spread over the meeting's cases."""
    connection = sqlite3.connect(ws_path)
    try:
        references = [r[0] for r in connection.execute(
            "SELECT reference FROM marac_case WHERE meeting_id = ? ORDER BY id", (meeting_id,))]
        agencies = [r[0] for r in connection.execute("SELECT name FROM agency ORDER BY id")]
    finally:
        connection.close()
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(rows):
            kind, subjects, risks = _KINDS[number % len(_KINDS)]
            day = TODAY - timedelta(days=rng.randint(1, 700))
            writer.writerow((
                rng.choice(references), rng.choice(agencies), day.strftime("%d/%m/%Y"),
                f"{rng.randint(0, 23):02d}:{rng.choice(('00', '15', '30', '45'))}" if number % 3 == 0 else "",
                kind, _SUMMARIES[number % len(_SUMMARIES)],
                "Officer noted the children were present upstairs." if number % 5 == 0 else "",
                subjects, risks, "", "", f"REF/{number:07d}", "J. Okafor", "fact", "yes", "",
            ))


def _baseline_import(db_file: Path, csv_file: Path) -> int:
    """The minimum: read with csv, look up the case and agency ids, executemany into the same table."""
    connection = sqlite3.connect(db_file)
    try:
        cases = dict(connection.execute("SELECT reference, id FROM marac_case"))
        agencies = dict(connection.execute("SELECT name, id FROM agency"))
        kinds = {label: ident for ident, label in _event_type_labels().items()}
        user_id = connection.execute("SELECT id FROM app_user WHERE name = ?", (ACTOR,)).fetchone()[0]
        now = datetime.now(UTC).isoformat(sep=" ")
        values = []
        with csv_file.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            for r in reader:
                values.append((
                    cases[r[0]], agencies[r[1]], datetime.strptime(r[2], "%d/%m/%Y").date().isoformat(),
                    r[3] or None, kinds[r[4]], r[5], r[6], json.dumps(r[7].split("; ")),
                    json.dumps([x for x in r[8].split("; ") if x]), r[11], r[12], r[13], r[14] == "yes", r[15],
                    user_id, now, user_id, now,
                ))
        with connection:
            connection.executemany(
                "INSERT INTO chronology_entry (case_id, agency_id, event_date, event_time, event_type, summary, "
                "detail, subjects, risk_indicators, source_ref, recorded_by, fact_or_opinion, shareable, "
                "withheld_reason, created_by_id, created_at, updated_by_id, updated_at, date_precision, "
                "date_approximate, sequence, withdrawn_reason, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'day', 0, 0, '', 1)",
                values,
            )
        return len(values)
    finally:
        connection.close()


def _event_type_labels() -> dict[str, str]:
    from marac_prep.core.vocabulary import event_types

    return {e.id: e.label for e in event_types()}


def run(ws: Workspace, *, rows: int, runs: int) -> Result:
    from marac_prep.core.db import open_database
    from marac_prep.core.users import find_user
    from marac_prep.interchange.importer import import_file

    folder = Path(tempfile.mkdtemp(prefix="marac-bench-import-"))
    source = folder / "police-return.csv"
    write_csv(source, ws.path, ws.meeting_id, rows)
    found: dict[str, Any] = {}
    counter = iter(range(1_000_000))

    def fresh_copy() -> Path:
        target = folder / f"run-{next(counter)}.sqlite"
        shutil.copyfile(ws.path, target)
        return target

    def ours() -> Work:
        # Opening (and checking) the database is left out of the timing, as connecting is for the baseline.
        db = open_database(fresh_copy())

        def work() -> None:
            try:
                with db.session() as session:
                    actor = find_user(session, ACTOR)
                    assert actor is not None
                    result = import_file(session, actor=actor, meeting_id=ws.meeting_id, path=source)
            finally:
                db.close()
            found["imported"], found["rejected"] = result.imported, result.rejected

        return work

    def baseline() -> Work:
        target = fresh_copy()

        def work() -> None:
            found["baseline_rows"] = _baseline_import(target, source)

        return work

    try:
        ours_times, baseline_times = compare(ours, baseline, runs=runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if found.get("imported") != rows:
        raise RuntimeError(
            f"the import wrote {found.get('imported')} of {rows} rows ({found.get('rejected')} rejected)"
        )
    return Result(
        NAME, ours_times, baseline_times, target=TARGET,
        note=f"import_file of a {rows:,}-row CSV into a 25-case workspace; "
        "baseline csv.reader + sqlite3 executemany of the same rows",
    )
