"""Import and export operations: agency returns in, the chronology and research requests out.

The export services write an audit event in the same transaction as the file, so the work takes a
short write session of its own on the worker thread; the GUI thread only reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QWidget

from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:  # the data stack loads after the window's first paint (see main_window)
    from marac_prep.core.db import Database
    from marac_prep.core.models import User
    from marac_prep.ui.background import BackgroundOp
    from marac_prep.ui.main_window import MainWindow


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
    from marac_prep.ui.background import BackgroundOp

    op = BackgroundOp.write_op(parent, database, lambda session, _progress: work(session), label=label)
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
    from marac_prep.core.permissions import allowed
    from marac_prep.interchange.export import ExportResult, export_chronology

    # Only a coordinator may export what agencies withheld; everyone else gets shareable entries.
    which = 0 if not allowed(actor, "export_everything") else Messages.choose(
        parent,
        "Export chronology",
        "Which entries should the file hold?\n\n"
        "Shareable entries only leaves out every entry an agency has withheld from the Marac.\n"
        "Everything includes the withheld entries too: keep the file within your agency. "
        "The audit trail records that withheld entries were exported.",
        options=["Shareable entries only", "Everything, including withheld entries"],
    )
    if which is None:
        return None
    shareable_only = which == 0
    scope = case_reference or f"meeting-{meeting_id}"
    suggested = f"chronology-{scope}{'' if shareable_only else '-with-withheld'}.xlsx"
    chosen = ExportFiles.chronology_path(parent, suggested)
    if chosen is None:
        return None
    path = _with_suffix(chosen)

    def work(session: Any) -> ExportResult:
        return export_chronology(
            session,
            actor=actor,
            meeting_id=meeting_id,
            path=path,
            case_reference=case_reference,
            everything=not shareable_only,
        )

    def done(result: ExportResult) -> None:
        what = "shareable " if shareable_only else ""
        withheld = "" if shareable_only else ", withheld entries included"
        where = f"{result.cases} case(s) to {result.path.name}"
        announce(f"Wrote {result.rows} {what}chronology rows from {where}{withheld}.")

    return _run(parent, database, work, label="Exporting the chronology…", doing="export the chronology", done=done)


def write_research_requests(
    parent: QWidget,
    database: Database,
    actor: User,
    *,
    meeting_id: int,
    announce: Callable[[str], None],
    marked: Callable[[int], None] | None = None,
) -> BackgroundOp | None:
    """Asks for a folder and writes one research request workbook per expected agency; then offers
    to mark those agencies requested today on the meeting's cases (`marked(count)` afterwards)."""
    from marac_prep.interchange.templates import write_templates

    folder = ExportFiles.templates_folder(parent)
    if folder is None:
        return None

    def work(session: Any) -> list[Path]:
        return write_templates(session, actor=actor, meeting_id=meeting_id, folder=folder)

    def done(paths: list[Path]) -> None:
        if not paths:
            announce("The meeting has no cases yet, so no research requests were written.")
            return
        announce(f"Wrote {len(paths)} research request(s) to {folder}.")
        if marked is not None and Messages.ask(
            parent,
            "Research requests written",
            f"Wrote {len(paths)} research request(s) to {folder}.\n\nMark the agencies asked as requested "
            "today on the meeting's cases? Agencies already requested, chased or answered keep their dates.",
            yes="Mark requested",
            no="Not now",
        ):
            _mark_requested(parent, database, actor, meeting_id=meeting_id, marked=marked)

    return _run(
        parent, database, work, label="Writing research requests…", doing="write the research requests", done=done
    )


def _mark_requested(
    parent: QWidget, database: Database, actor: User, *, meeting_id: int, marked: Callable[[int], None]
) -> None:
    from marac_prep.core.returns import mark_meeting_requested

    _run(
        parent,
        database,
        lambda session: mark_meeting_requested(session, actor=actor, meeting_id=meeting_id),
        label="Marking the agencies requested…",
        doing="mark the agencies requested",
        done=marked,
    )


def export_chronology(window: MainWindow) -> None:
    """The combined chronology of the current meeting (or just the open case) as CSV or XLSX."""
    meeting_id = window.current_meeting_id()
    if meeting_id is None:
        Messages.info(window, "Export chronology", "Choose a meeting first.")
        return
    window.keep_op(
        export_chronology_file(
            window,
            window.database,
            window.actor,
            meeting_id=meeting_id,
            case_reference=window.open_case_reference(),
            announce=window.announce,
        )
    )


def research_templates(window: MainWindow) -> None:
    """One research request workbook per agency expected at the current meeting."""
    meeting_id = window.current_meeting_id()
    if meeting_id is None:
        Messages.info(window, "Research requests", "Choose a meeting first.")
        return
    def marked(count: int) -> None:
        window.apply(Changes(agenda=True, case=True, message=f"{count} agency return(s) marked as requested."))

    window.keep_op(
        write_research_requests(
            window, window.database, window.actor, meeting_id=meeting_id, announce=window.announce, marked=marked
        )
    )


def import_returns(window: MainWindow, files: list[Path] | None = None) -> None:
    """Agency returns (CSV/XLSX) into the current meeting's cases; `files` when dropped on the window."""
    from marac_prep.ui.import_dialog import ImportDialog  # openpyxl only when importing

    meeting_id = window.current_meeting_id()
    if meeting_id is None:
        again = "" if files is None else ", then drop the files again"
        Messages.info(window, "Import", f"Choose a meeting first{again}.")
        return
    dialog = ImportDialog.open_for(window, window.database, window.actor.name, meeting_id, files=files or ())
    dialog.imported.connect(lambda _result: window.apply(Changes(meetings=True, case=True)))


def import_dropped(window: MainWindow, paths: list[str]) -> None:
    """Files dropped on the window: CSV/XLSX go to the Import dialog for the current meeting."""
    from marac_prep.ui.import_dialog import importable

    wanted = importable(paths)
    if not wanted:
        Messages.info(
            window,
            "Import",
            "Only CSV and XLSX files can be imported (agency returns or a Marac list); nothing was imported.",
        )
        return
    if window.current_meeting_id() is not None and not window.import_action.isEnabled():
        reason = window.READ_ONLY_NOTICE if window.database.read_only else "Your role cannot import agency returns"
        Messages.info(window, "Import", f"{reason}; nothing was imported.")
        return
    import_returns(window, wanted)
    skipped = len(paths) - len(wanted)
    if skipped and window.current_meeting_id() is not None:
        window.statusBar().showMessage(
            f"{skipped} dropped item(s) left out: only .csv and .xlsx files can be imported.", 10000
        )
