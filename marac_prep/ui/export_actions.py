"""File > Export chronology and File > Research request templates, run off the GUI thread.

Both services write an audit event in the same transaction as the file, so the work takes a short
write session of its own on the worker thread; the GUI thread only reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from marac_prep.core.db import Database
from marac_prep.core.models import User
from marac_prep.ui.background import BackgroundOp, Progress
from marac_prep.ui.messages import report_error


class ExportFiles:
    """Where to write, asked of the user; classmethods so tests can answer without a file dialog."""

    @classmethod
    def chronology_path(cls, parent: QWidget | None, suggested: str) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(
            parent, "Export chronology", suggested, "Excel workbook (*.xlsx);;CSV file (*.csv)"
        )
        return Path(name) if name else None

    @classmethod
    def templates_folder(cls, parent: QWidget | None) -> Path | None:
        name = QFileDialog.getExistingDirectory(parent, "Folder for the research requests")
        return Path(name) if name else None


def _with_suffix(path: Path) -> Path:
    """A name typed without .csv or .xlsx gets .xlsx (what most agencies open)."""
    return path if path.suffix.casefold() in (".csv", ".xlsx") else path.with_name(path.name + ".xlsx")


def _run(
    parent: QWidget,
    database: Database,
    work: Callable[[Any], Any],
    *,
    label: str,
    doing: str,
    done: Callable[[Any], None],
) -> BackgroundOp:
    def in_session(progress: Progress) -> Any:
        progress(0, 0, label)
        with database.session() as session:
            return work(session)

    op = BackgroundOp(parent, in_session, label=label)
    op.finished.connect(done)
    op.failed.connect(lambda exc: report_error(parent, exc, doing=doing))
    return op.start()


def export_chronology_file(
    parent: QWidget,
    database: Database,
    actor: User,
    *,
    meeting_id: int,
    case_reference: str | None,
    announce: Callable[[str], None],
) -> BackgroundOp | None:
    """Asks for a CSV/XLSX name and writes the combined chronology of the meeting (or one case)."""
    from marac_prep.interchange.export import ExportResult, export_chronology

    suggested = f"chronology-{case_reference or f'meeting-{meeting_id}'}.xlsx"
    chosen = ExportFiles.chronology_path(parent, suggested)
    if chosen is None:
        return None
    path = _with_suffix(chosen)

    def work(session: Any) -> ExportResult:
        return export_chronology(
            session, actor=actor, meeting_id=meeting_id, path=path, case_reference=case_reference
        )

    def done(result: ExportResult) -> None:
        announce(f"Wrote {result.rows} chronology rows from {result.cases} case(s) to {result.path.name}.")

    return _run(parent, database, work, label="Exporting the chronology…", doing="export the chronology", done=done)


def write_research_requests(
    parent: QWidget, database: Database, actor: User, *, meeting_id: int, announce: Callable[[str], None]
) -> BackgroundOp | None:
    """Asks for a folder and writes one research request workbook per expected agency."""
    from marac_prep.interchange.templates import write_templates

    folder = ExportFiles.templates_folder(parent)
    if folder is None:
        return None

    def work(session: Any) -> list[Path]:
        return write_templates(session, actor=actor, meeting_id=meeting_id, folder=folder)

    def done(paths: list[Path]) -> None:
        if not paths:
            announce("The meeting has no cases yet, so no research requests were written.")
        else:
            announce(f"Wrote {len(paths)} research request(s) to {folder}.")

    return _run(
        parent, database, work, label="Writing research requests…", doing="write the research requests", done=done
    )
