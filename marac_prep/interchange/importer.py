"""Importing one file: read, find its header, check every row, write the valid rows in one transaction.

An agency-return CSV is streamed: its rows are read, checked and inserted in batches, and each
rejected row goes to the rejects file as it is met, so memory does not grow with the file
(decision 0035). It is still one transaction: a file that fails half-way (too many rows, a
damaged line, a full disk) leaves nothing, no audit event and no rejects file.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from marac_prep.core import audit
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ValidationError
from marac_prep.core.files import atomic_write
from marac_prep.core.formulas import guard_formula
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Meeting, User
from marac_prep.core.permissions import allowed, require
from marac_prep.interchange import columns
from marac_prep.interchange.agency_returns import INSERT_CHUNK, ReturnsCheck, check_returns
from marac_prep.interchange.marac_list import check_list, write_list
from marac_prep.interchange.plan import DUPLICATE, IMPORTED, REJECTED, ImportPlan, Progress, RowOutcome
from marac_prep.interchange.sheets import (
    MAX_CSV_ROWS,
    MAX_ROWS,
    RawRow,
    Sheet,
    read_sheet,
    stream_sheet,
    too_many_rows,
)

HEADER_SEARCH_ROWS = 30
# The class of the PostgreSQL advisory lock that serialises imports into one meeting (the second
# number is the meeting's id). SQLite's BEGIN IMMEDIATE already serialises every writer.
_PG_IMPORT_LOCK = 7243010
FORMAT_NAMES = {columns.RETURNS: "agency return", columns.LIST: "Marac list"}
# The preview checks this many data rows at most (it holds each row to show it).
PREVIEW_CHECK_ROWS = 20_000
# Reasons kept in the result for the summary; the rejects file holds every one.
KEPT_REASONS = 1_000


@dataclass(frozen=True)
class ImportResult:
    """What happened to one file; `read == imported + skipped_duplicates + rejected` always.

    Attributes:
        rejects_file: the CSV holding each rejected row unchanged plus its reason, or None.
        notes: sentences about the file as a whole (columns ignored or missing).
        reasons: (line number, reason) of the first KEPT_REASONS rejected rows.
    """

    file: str
    format: str
    read: int
    imported: int
    skipped_duplicates: int
    rejected: int
    rejects_file: str | None
    notes: tuple[str, ...] = ()
    reasons: tuple[tuple[int, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "format": self.format, "read": self.read, "imported": self.imported,
            "skipped_duplicates": self.skipped_duplicates, "rejected": self.rejected,
            "rejects_file": self.rejects_file,
        }

    def describe(self) -> str:
        """One readable line, e.g. `police.csv (agency return): 12 rows read – 10 imported, …`."""
        return (
            f"{Path(self.file).name} ({FORMAT_NAMES.get(self.format, self.format)}): {self.read} "
            f"row{'s' if self.read != 1 else ''} read – {self.imported} imported, "
            f"{self.skipped_duplicates} skipped as duplicates, {self.rejected} rejected."
        )


def read_plan(path: Path, *, agency: str | None = None) -> ImportPlan:
    """Reads a file whole and finds its header and format (no database needed).

    Raises:
        ValidationError: the file cannot be read or has no recognisable header.
    """
    sheet: Sheet = read_sheet(Path(path), is_header=columns.is_header)
    plan = _plan_of(sheet, agency)
    if len(sheet.rows) - plan.layout.header_index - 1 > MAX_ROWS:
        raise too_many_rows(Path(path).name)  # the header and lines above it do not count
    return plan


def _plan_of(sheet: Sheet, agency: str | None) -> ImportPlan:
    """The plan of a sheet whose first rows are read: the header, the format, the agency."""
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        if columns.detect(row.cells) is not None:
            preamble = sheet.rows[:index]
            given = agency or next(
                (a for a in (columns.preamble_agency(r.cells) for r in preamble) if a), None
            )
            layout = columns.layout(index, row.cells, agency_given=bool(given))
            plan = ImportPlan(sheet=sheet, layout=layout, preamble=preamble, header=row)
            plan.records["default_agency"] = given
            if layout.extra:
                names = ", ".join(layout.extra.values())
                plan.notes.append(f"Columns that are not part of the format were kept in each entry's detail: {names}."
                                  if layout.format == columns.RETURNS else
                                  f"Columns that are not part of the format were not imported: {names}.")
            if layout.missing:
                plan.notes.append(f"The file has no {', '.join(layout.missing)} column, so its rows were rejected.")
            return plan
    raise ValidationError(
        f"{sheet.path.name} has no header row Marac Prep recognises: an agency return needs the columns "
        "case_reference, agency, date, event_type and summary; a Marac list needs case_reference, "
        "referral_date, referring_agency and victim_name."
    )


def _data_rows(plan: ImportPlan) -> Iterator[RawRow]:
    """The rows after the header: those read with the header, then the rest of a streamed file."""
    return itertools.chain(plan.sheet.rows[plan.layout.header_index + 1 :], plan.sheet.rest)


def check_plan(
    session: Session, *, actor: User, meeting: Meeting, plan: ImportPlan, progress: Progress | None = None
) -> None:
    """Works out every row's outcome against the database, writing nothing (also the preview)."""
    plan.outcomes.clear()
    default_agency = plan.records.get("default_agency")
    _require_import(actor, plan.layout.format)
    if plan.layout.format == columns.RETURNS:
        check_returns(session, actor=actor, meeting=meeting, plan=plan, default_agency=default_agency,
                      rows=plan.sheet.rows[plan.layout.header_index + 1 :], progress=progress)
    else:
        check_list(session, meeting=meeting, plan=plan, progress=progress)
    plan.records["default_agency"] = default_agency


def _require_import(actor: User, format_: str) -> None:
    if format_ == columns.RETURNS:
        if not (allowed(actor, "import") or allowed(actor, "import", agency_id=actor.agency_id)):
            require(actor, "import")
    else:
        require(actor, "manage_case")


def rejects_path(source: Path, rejects_dir: Path | None) -> Path:
    folder = rejects_dir if rejects_dir is not None else source.parent
    return folder / f"{source.stem}.rejects.csv"


class RejectsFile:
    """Writes each rejected row as it was (cells guarded against formulas), plus a `reason` column,
    as the rows are met; the file is created at the first rejected row and published by
    `files.close()` (whole or not at all: `atomic_write`).

    Lines above the header (a title, "Agency: Police") are copied too, so a corrected rejects file
    imports with the same agency. Rows are padded to the header's width so each reason stands in
    the `reason` column; a row with more cells than the header (rejected for that) keeps them all,
    and its reason is its last cell.
    """

    def __init__(self, plan: ImportPlan, target: Path, files: ExitStack) -> None:
        self.plan = plan
        self.target = target
        self.files = files
        self.writer: Any = None
        self.width = len(plan.header.cells)
        self.count = 0
        self.reasons: list[tuple[int, str]] = []

    def add(self, outcome: RowOutcome) -> None:
        if self.writer is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            pending = self.files.enter_context(atomic_write(self.target))
            self.writer = csv.writer(pending.text())
            for row in self.plan.preamble:
                self.writer.writerow([guard_formula(c) for c in row.cells])
            self.writer.writerow([guard_formula(c) for c in self.plan.header.cells] + [columns.REASON_COLUMN])
        cells = [guard_formula(c) for c in outcome.row.cells]
        self.writer.writerow(cells + [""] * (self.width - len(cells))
                             + [f"line {outcome.row.number}: {outcome.reason}"])
        self.count += 1
        if len(self.reasons) < KEPT_REASONS:
            self.reasons.append((outcome.row.number, outcome.reason))


def hold_import_lock(session: Session, meeting_id: int) -> None:
    """Makes a second import into the same meeting wait until this transaction ends.

    Duplicates are found by reading what is stored; two imports of the same file checking at the
    same moment would each find nothing and store every row twice. With the lock held from
    before the check to the commit, the second import sees the first one's rows (as duplicates).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:kind, :meeting)"),
                        {"kind": _PG_IMPORT_LOCK, "meeting": meeting_id})


def import_file(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    path: Path,
    agency: str | None = None,
    rejects_dir: Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Imports one agency return or Marac list in a single transaction.

    Valid rows are written, exact duplicates (in the file or already stored) skipped, and every
    other row written unchanged with its reason to `<name>.rejects.csv`. An error part-way leaves
    nothing from the file in the database.
    """
    path = Path(path)
    counts = {"read": 0, "imported": 0, "skipped_duplicates": 0, "rejected": 0}
    status_key = {IMPORTED: "imported", DUPLICATE: "skipped_duplicates", REJECTED: "rejected"}
    with stream_sheet(path, is_header=columns.is_header) as sheet, ExitStack() as files:
        plan = _plan_of(sheet, agency)
        rejects = RejectsFile(plan, rejects_path(path, rejects_dir), files)

        def tally(outcome: RowOutcome) -> None:
            counts["read"] += 1
            counts[status_key[outcome.status]] += 1
            if outcome.status == REJECTED:
                rejects.add(outcome)

        with unit_of_work(session):
            hold_import_lock(session, meeting_id)
            meeting = get_meeting(session, meeting_id)
            _require_import(actor, plan.layout.format)
            if plan.layout.format == columns.RETURNS:
                written = _import_returns(session, actor=actor, meeting=meeting, plan=plan, tally=tally,
                                          progress=progress)
            else:
                written = _import_list(session, actor=actor, meeting=meeting, plan=plan, tally=tally,
                                       progress=progress)
            # Ids and counts only: a file name may carry a victim's name. The event exists only
            # if the whole file was imported (it is in the same transaction).
            audit.record(
                session, actor=actor, action="import", object_type="meeting", object_id=meeting.id,
                details={"format": plan.layout.format, **counts, **written},
            )
            files.close()  # publishes the rejects file inside the transaction: no rejects file, no import
    return ImportResult(
        file=str(path), format=plan.layout.format, read=counts["read"], imported=counts["imported"],
        skipped_duplicates=counts["skipped_duplicates"], rejected=counts["rejected"],
        rejects_file=str(rejects.target) if rejects.count else None, notes=tuple(plan.notes),
        reasons=tuple(rejects.reasons),
    )


def _import_returns(
    session: Session, *, actor: User, meeting: Meeting, plan: ImportPlan, tally: Any, progress: Progress | None
) -> dict[str, int]:
    """Checks and writes an agency return's rows a batch at a time (see `ReturnsCheck`)."""
    check = ReturnsCheck(session, actor=actor, meeting=meeting, plan=plan,
                         default_agency=plan.records.get("default_agency"))
    streamed = plan.sheet.kind == "csv"
    limit = MAX_CSV_ROWS if streamed else MAX_ROWS
    size = plan.sheet.path.stat().st_size
    total = len(plan.sheet.rows) - plan.layout.header_index - 1  # a workbook's rows are all read
    for done, row in enumerate(_data_rows(plan), start=1):
        if done > limit:
            raise too_many_rows(plan.sheet.path.name, limit)  # the header and lines above it do not count
        if (outcome := check.check(row)) is not None:
            tally(outcome)
        if len(check.pending) >= INSERT_CHUNK:
            check.write_pending()
        if progress is not None and done % 1000 == 0:
            # A streamed file's length in rows is unknown until its end: its bytes measure progress.
            progress(*((plan.sheet.position(), size) if streamed else (done, total)))
    for outcome in check.finish():
        tally(outcome)
    written = check.write_returns()
    if progress is not None:
        progress(1, 1)
    return written


def _import_list(
    session: Session, *, actor: User, meeting: Meeting, plan: ImportPlan, tally: Any, progress: Progress | None
) -> dict[str, int]:
    """A Marac list (a few dozen cases) is checked whole, as the preview shows it."""
    rows = list(itertools.islice(_data_rows(plan), MAX_ROWS + 1))
    if len(rows) > MAX_ROWS:
        raise too_many_rows(plan.sheet.path.name)
    plan.sheet.rows = plan.sheet.rows[: plan.layout.header_index + 1] + rows
    check_list(session, meeting=meeting, plan=plan, progress=progress)
    for outcome in plan.outcomes:
        tally(outcome)
    return write_list(session, actor=actor, meeting=meeting, plan=plan)


def preview_file(
    session: Session, *, actor: User, meeting_id: int, path: Path, agency: str | None = None
) -> ImportPlan:
    """A checked plan for showing before import: the outcome of each of the first
    PREVIEW_CHECK_ROWS rows (a note says when there are more), nothing written."""
    with stream_sheet(Path(path), is_header=columns.is_header) as sheet:
        plan = _plan_of(sheet, agency)
        rows = list(itertools.islice(_data_rows(plan), PREVIEW_CHECK_ROWS + 1))
    if len(rows) > PREVIEW_CHECK_ROWS:
        rows.pop()
        plan.notes.append(f"Only the first {PREVIEW_CHECK_ROWS:,} rows were checked for this preview; "
                          "the import checks every row.")
    plan.sheet.rows = plan.sheet.rows[: plan.layout.header_index + 1] + rows
    plan.sheet.rest = iter(())
    meeting = get_meeting(session, meeting_id)
    check_plan(session, actor=actor, meeting=meeting, plan=plan)
    session.rollback()
    return plan
