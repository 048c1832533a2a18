"""Importing one file: read, find its header, check every row, write the valid rows in one transaction."""

from __future__ import annotations

import csv
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
from marac_prep.interchange.agency_returns import check_returns, write_returns
from marac_prep.interchange.marac_list import check_list, write_list
from marac_prep.interchange.plan import DUPLICATE, IMPORTED, REJECTED, ImportPlan, Progress
from marac_prep.interchange.sheets import MAX_ROWS, Sheet, read_sheet, too_many_rows

HEADER_SEARCH_ROWS = 30
# The class of the PostgreSQL advisory lock that serialises imports into one meeting (the second
# number is the meeting's id). SQLite's BEGIN IMMEDIATE already serialises every writer.
_PG_IMPORT_LOCK = 7243010
FORMAT_NAMES = {columns.RETURNS: "agency return", columns.LIST: "Marac list"}


@dataclass(frozen=True)
class ImportResult:
    """What happened to one file; `read == imported + skipped_duplicates + rejected` always.

    Attributes:
        rejects_file: the CSV holding each rejected row unchanged plus its reason, or None.
        notes: sentences about the file as a whole (columns ignored or missing).
        reasons: (line number, reason) of each rejected row, in file order.
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
    """Reads a file and finds its header and format (no database needed).

    Raises:
        ValidationError: the file cannot be read or has no recognisable header.
    """
    sheet: Sheet = read_sheet(Path(path), is_header=columns.is_header)
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        if columns.detect(row.cells) is not None:
            if len(sheet.rows) - index - 1 > MAX_ROWS:
                raise too_many_rows(Path(path).name)  # the header and lines above it do not count
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
        f"{Path(path).name} has no header row Marac Prep recognises: an agency return needs the columns "
        "case_reference, agency, date, event_type and summary; a Marac list needs case_reference, "
        "referral_date, referring_agency and victim_name."
    )


def check_plan(
    session: Session, *, actor: User, meeting: Meeting, plan: ImportPlan, progress: Progress | None = None
) -> None:
    """Works out every row's outcome against the database, writing nothing (also the preview)."""
    plan.outcomes.clear()
    default_agency = plan.records.get("default_agency")
    if plan.layout.format == columns.RETURNS:
        if not (allowed(actor, "import") or allowed(actor, "import", agency_id=actor.agency_id)):
            require(actor, "import")
        check_returns(session, actor=actor, meeting=meeting, plan=plan, default_agency=default_agency,
                      progress=progress)
    else:
        require(actor, "manage_case")
        check_list(session, meeting=meeting, plan=plan, progress=progress)
    plan.records["default_agency"] = default_agency


def rejects_path(source: Path, rejects_dir: Path | None) -> Path:
    folder = rejects_dir if rejects_dir is not None else source.parent
    return folder / f"{source.stem}.rejects.csv"


def write_rejects(plan: ImportPlan, target: Path) -> None:
    """Each rejected row as it was (cells guarded against formulas), plus a `reason` column.

    Lines above the header (a title, "Agency: Police") are copied too, so a corrected rejects file
    imports with the same agency.
    """
    width = max(len(plan.header.cells), *(len(o.row.cells) for o in plan.outcomes if o.status == REJECTED))
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as pending:
        writer = csv.writer(pending.text())
        for row in plan.preamble:
            writer.writerow([guard_formula(c) for c in row.cells])
        header = [guard_formula(c) for c in plan.header.cells]
        writer.writerow(header + [""] * (width - len(header)) + [columns.REASON_COLUMN])
        for outcome in plan.outcomes:
            if outcome.status == REJECTED:
                cells = [guard_formula(c) for c in outcome.row.cells]
                writer.writerow(cells + [""] * (width - len(cells)) + [f"line {outcome.row.number}: {outcome.reason}"])


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
    plan = read_plan(path, agency=agency)
    if agency is not None:
        plan.records["default_agency"] = agency
    rejects: Path | None = None
    with unit_of_work(session):
        hold_import_lock(session, meeting_id)
        meeting = get_meeting(session, meeting_id)
        check_plan(session, actor=actor, meeting=meeting, plan=plan, progress=progress)
        if plan.layout.format == columns.RETURNS:
            written = write_returns(session, actor=actor, plan=plan, progress=progress)
        else:
            written = write_list(session, actor=actor, meeting=meeting, plan=plan)
        counts = {
            "read": len(plan.outcomes), "imported": plan.count(IMPORTED),
            "skipped_duplicates": plan.count(DUPLICATE), "rejected": plan.count(REJECTED),
        }
        # Ids and counts only: a file name may carry a victim's name.
        audit.record(
            session, actor=actor, action="import", object_type="meeting", object_id=meeting.id,
            details={"format": plan.layout.format, **counts, **written},
        )
        if counts["rejected"]:
            rejects = rejects_path(path, rejects_dir)
            write_rejects(plan, rejects)  # inside the transaction: no rejects file, no import
    return ImportResult(
        file=str(path), format=plan.layout.format, read=counts["read"], imported=counts["imported"],
        skipped_duplicates=counts["skipped_duplicates"], rejected=counts["rejected"],
        rejects_file=str(rejects) if rejects else None, notes=tuple(plan.notes),
        reasons=tuple((o.row.number, o.reason) for o in plan.outcomes if o.status == REJECTED),
    )


def preview_file(
    session: Session, *, actor: User, meeting_id: int, path: Path, agency: str | None = None
) -> ImportPlan:
    """A checked plan for showing before import: every row's outcome, nothing written."""
    plan = read_plan(Path(path), agency=agency)
    if agency is not None:
        plan.records["default_agency"] = agency
    meeting = get_meeting(session, meeting_id)
    check_plan(session, actor=actor, meeting=meeting, plan=plan)
    session.rollback()
    return plan
