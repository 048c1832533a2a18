"""The Import dialog: agency returns and Marac lists from CSV or XLSX, with a preview and the rejects."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.dates import display_day
from marac_prep.core.db import Database
from marac_prep.core.errors import NotFound
from marac_prep.core.users import find_user
from marac_prep.interchange.columns import LIST_COLUMNS, RETURN_COLUMNS, column_key
from marac_prep.interchange.importer import ImportResult, import_file, preview_file
from marac_prep.interchange.plan import REJECTED, ImportPlan
from marac_prep.ui.background import BackgroundOp
from marac_prep.ui.messages import report_error
from marac_prep.ui.text import plain_label, tooltip

IMPORTABLE = (".csv", ".xlsx", ".txt")
KNOWN_COLUMNS = frozenset(RETURN_COLUMNS) | frozenset(LIST_COLUMNS)
PREVIEW_ROWS = 20


def default_rejects_folder() -> Path:
    """A private folder in the user's data folder: rejected rows hold personal data, and the file
    imported may sit in Downloads or on a shared drive."""
    import platformdirs

    from marac_prep.core.db.engine import APP_NAME

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "import-rejects"


def private_folder(folder: Path) -> Path:
    """Creates `folder` readable by its owner only (where the system allows)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # e.g. a file system without permissions
        folder.chmod(0o700)
    return folder


def readable_header(cell: str) -> str:
    """A column header as a reader says it ("event_date" -> "Date"); unknown headers as written."""
    key = column_key(cell)
    if key in KNOWN_COLUMNS:
        words = {"source_ref": "source reference", "victim_dob": "victim date of birth"}
        words["perpetrator_dob"] = "perpetrator date of birth"
        return words.get(key, key.replace("_", " ")).capitalize()
    return cell.strip() or "(no header)"


def meeting_label(database: Database, meeting_id: int) -> str:
    from marac_prep.core.meetings import get_meeting

    with database.read_session() as session:
        meeting = get_meeting(session, meeting_id)
        return f"{display_day(meeting.meeting_date)}" + (f" ({meeting.area})" if meeting.area else "")


class ImportFolders:
    """Folders asked of the user; classmethods so tests can answer without a file dialog."""

    @classmethod
    def rejects_folder(cls, parent: QWidget | None, current: Path) -> Path | None:
        name = QFileDialog.getExistingDirectory(parent, "Folder for the rejected rows", str(current))
        return Path(name) if name else None


def importable(paths: Iterable[str | Path]) -> list[Path]:
    """The dropped or chosen paths that look like files the import reads."""
    return [Path(p) for p in paths if Path(p).suffix.casefold() in IMPORTABLE and Path(p).is_file()]


class ImportDialog(QDialog):
    """Imports files into one meeting: preview with each problem row's reason, progress, summary.

    Files come from "Choose files…", from `add_files`, or dropped on the dialog (the main window
    forwards its own drops with `add_files`).

    Signals:
        preview_ready(object): the checked `ImportPlan` of the file shown in the preview.
        imported(object): the list of `ImportResult` once the import has finished.
    """

    preview_ready = Signal(object)
    imported = Signal(object)

    def __init__(self, database: Database, user_name: str, meeting_id: int, parent: QWidget | None = None,
                 files: Iterable[str | Path] = ()) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.resize(960, 640)
        self.meeting_name = meeting_label(database, meeting_id)
        self.setWindowTitle(f"Import into the meeting of {self.meeting_name}")
        self.rejects_dir = default_rejects_folder()
        self._database = database
        self._user_name = user_name
        self._meeting_id = meeting_id
        self._op: BackgroundOp | None = None
        self.results: list[ImportResult] = []

        self.hint = plain_label(
            f"Importing into the meeting of {self.meeting_name}. Drop CSV or XLSX files here, or choose them. "
            "Each file is checked first; nothing is saved until you press Import.", self)
        self.hint.setWordWrap(True)
        self.files = QListWidget(self)
        self.files.setAccessibleName("Files to import")
        self.files.setMaximumHeight(90)
        self.files.currentRowChanged.connect(self._on_file_selected)
        self.choose_button = QPushButton("Choose files…", self)
        self.choose_button.clicked.connect(self._choose)
        self.agency = QLineEdit(self)
        self.agency.setPlaceholderText("Agency for files that do not name one (optional)")
        self.agency.setAccessibleName("Agency for files that do not name one")
        self.agency.setMinimumWidth(320)
        self.preview = QTableWidget(self)
        self.preview.setAccessibleName("Preview of the first rows")
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.preview.setWordWrap(True)
        self.problems = QPlainTextEdit(self)
        self.problems.setReadOnly(True)
        self.problems.setAccessibleName("Rows that will be rejected, with their reasons")
        self.problems.setMaximumHeight(120)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.summary = plain_label("", self, name="import_summary")
        self.summary.setWordWrap(True)
        self.rejects_folder = plain_label("", self, name="fieldHint")
        self.rejects_folder.setWordWrap(True)
        self.rejects_folder_button = QPushButton("Rejects f&older…", self)
        self.rejects_folder_button.setToolTip("Where rows that cannot be imported are written, with their reasons.")
        self.rejects_folder_button.clicked.connect(self._choose_rejects_folder)
        self._show_rejects_folder()
        self.rejects_button = QPushButton("Open the rejects file", self)
        self.rejects_button.setVisible(False)
        self.rejects_button.clicked.connect(self._open_rejects)
        self.import_button = QPushButton("Import", self)
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.files, 1)
        side = QVBoxLayout()
        side.addWidget(self.choose_button)
        side.addWidget(self.agency)
        side.addWidget(self.rejects_folder_button)
        side.addWidget(self.rejects_folder)
        side.addStretch(1)
        top.addLayout(side)
        buttons = QHBoxLayout()
        buttons.addWidget(self.rejects_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(top)
        layout.addWidget(plain_label("Preview (first rows; a reason shows for each row that would be rejected):", self))
        layout.addWidget(self.preview, 1)
        layout.addWidget(plain_label("Problem rows:", self))
        layout.addWidget(self.problems)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.add_files(files)

    @classmethod
    def open_for(cls, parent: QWidget | None, database: Database, user_name: str, meeting_id: int,
                 files: Iterable[str | Path] = ()) -> ImportDialog:
        """Shows the dialog (not blocking); tests replace this classmethod with a stub."""
        dialog = cls(database, user_name, meeting_id, parent, files)
        dialog.show()
        return dialog

    # Files -------------------------------------------------------------------------------------

    def add_files(self, paths: Iterable[str | Path]) -> list[Path]:
        """Adds importable files (others are ignored, and said so) and previews the first new one."""
        paths = list(paths)
        wanted = importable(paths)
        known = {self.files.item(i).text() for i in range(self.files.count())}
        added = [p for p in wanted if str(p) not in known]
        for path in added:
            self.files.addItem(str(path))
        if len(wanted) < len(paths):
            self.summary.setText(
                f"{len(paths) - len(wanted)} item(s) were not added: only .csv and .xlsx files can be imported.")
        self.import_button.setEnabled(self.files.count() > 0)
        if added:
            self.files.setCurrentRow(self.files.count() - len(added))
        return added

    def file_paths(self) -> list[Path]:
        return [Path(self.files.item(i).text()) for i in range(self.files.count())]

    def _choose(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(
            self, "Choose files to import", "", "Spreadsheets (*.csv *.xlsx *.txt)")
        self.add_files(chosen)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Override QWidget.dragEnterEvent.
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Override QWidget.dropEvent.
        self.add_files(url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile())
        event.acceptProposedAction()

    # Preview -----------------------------------------------------------------------------------

    def _agency_text(self) -> str | None:
        return self.agency.text().strip() or None

    def _on_file_selected(self, row: int) -> None:
        if row < 0:
            return
        path = Path(self.files.item(row).text())
        user_name, meeting_id, agency = self._user_name, self._meeting_id, self._agency_text()

        def work(session: Any, _progress: Any) -> ImportPlan:
            actor = find_user(session, user_name)
            if actor is None:
                raise NotFound(f'There is no profile named "{user_name}".')
            return preview_file(session, actor=actor, meeting_id=meeting_id, path=path, agency=agency)

        self._run(BackgroundOp.read_op(self, self._database, work, label=f"Checking {path.name}…"),
                  self._show_preview, doing="check the file")

    def _show_preview(self, plan: ImportPlan) -> None:
        header = list(plan.header.cells)
        columns = [*header, "Problem"]
        self.preview.clear()
        self.preview.setColumnCount(len(columns))
        self.preview.setHorizontalHeaderLabels([readable_header(h) for h in header] + ["Problem"])
        for c, text in enumerate(header):
            item = self.preview.horizontalHeaderItem(c)
            if item is not None:
                item.setToolTip(tooltip(f"In the file: {text}"))
        shown = plan.outcomes[:PREVIEW_ROWS]
        self.preview.setRowCount(len(shown))
        # Row labels are the file's own line numbers, as in the problem list below.
        self.preview.setVerticalHeaderLabels([f"line {o.row.number}" for o in shown])
        for r, outcome in enumerate(shown):
            for c, text in enumerate(outcome.row.cells[: len(header)]):
                self.preview.setItem(r, c, QTableWidgetItem(text))
            status = outcome.reason if outcome.status == REJECTED else (
                "already imported" if outcome.status == "duplicate" else "")
            self.preview.setItem(r, len(columns) - 1, QTableWidgetItem(status))
        # Every header readable in full; long cells are capped and wrap (their tooltip has the rest).
        self.preview.resizeColumnsToContents()
        for c in range(self.preview.columnCount()):
            self.preview.setColumnWidth(c, min(self.preview.columnWidth(c), 260))
        rejected = [o for o in plan.outcomes if o.status == REJECTED]
        self.problems.setPlainText("\n".join(f"line {o.row.number}: {o.reason}" for o in rejected)
                                   or "No problems found.")
        self.summary.setText(
            f"{len(plan.outcomes)} rows: {plan.count('imported')} to import, {plan.count('duplicate')} already "
            f"imported, {len(rejected)} with problems. " + " ".join(plan.notes))
        self.preview_ready.emit(plan)

    # Import ------------------------------------------------------------------------------------

    def start_import(self) -> None:
        """Imports every file in turn on a worker thread; each file is its own transaction."""
        paths = self.file_paths()
        if not paths or (self._op is not None and self._op.running):
            return
        database, user_name, meeting_id, agency = self._database, self._user_name, self._meeting_id, self._agency_text()
        # The default folder is made private; a folder the user chose is left as they keep it.
        rejects_dir = self.rejects_dir
        if rejects_dir == default_rejects_folder():
            private_folder(rejects_dir)

        def work(progress: Any) -> list[ImportResult | tuple[Path, Exception]]:
            out: list[ImportResult | tuple[Path, Exception]] = []
            for number, path in enumerate(paths, start=1):
                label = f"Importing {path.name} ({number} of {len(paths)})"
                with database.session() as session:
                    actor = find_user(session, user_name)
                    if actor is None:
                        raise NotFound(f'There is no profile named "{user_name}".')
                    try:
                        out.append(import_file(
                            session, actor=actor, meeting_id=meeting_id, path=path, agency=agency,
                            rejects_dir=rejects_dir,
                            progress=lambda done, total, label=label: progress(done, total, label)))
                    except Exception as exc:  # One file's failure is reported; the others still import.
                        out.append((path, exc))
            return out

        self.import_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self._run(BackgroundOp(self, work, label="Importing…"), self._show_results, doing="import the files")

    def _show_results(self, outcome: list[ImportResult | tuple[Path, Exception]]) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.import_button.setEnabled(True)
        lines = []
        self.results = []
        for item in outcome:
            if isinstance(item, ImportResult):
                self.results.append(item)
                lines.append(item.describe())
                lines += [f"  {note}" for note in item.notes]
            else:
                path, exc = item
                lines.append(f"{path.name}: not imported – {exc}" if str(exc) else f"{path.name}: not imported.")
        self.summary.setText("\n".join(lines))
        rejects = [r.rejects_file for r in self.results if r.rejects_file]
        self.rejects_button.setVisible(bool(rejects))
        self.rejects_button.setToolTip(tooltip(rejects[0]) if rejects else "")  # a file name may hold "<"
        self.imported.emit(self.results)

    def _show_rejects_folder(self) -> None:
        self.rejects_folder.setText(f"Rejected rows go to: {self.rejects_dir}")

    def _choose_rejects_folder(self) -> None:
        chosen = ImportFolders.rejects_folder(self, self.rejects_dir)
        if chosen is not None:
            self.rejects_dir = chosen
            self._show_rejects_folder()

    def _open_rejects(self) -> None:
        rejects = [r.rejects_file for r in self.results if r.rejects_file]
        if rejects:
            QDesktopServices.openUrl(QUrl.fromLocalFile(rejects[0]))

    # Helpers -----------------------------------------------------------------------------------

    def _run(self, op: BackgroundOp, done: Any, *, doing: str) -> None:
        if self._op is not None:
            self._op.dispose()
        self._op = op
        op.finished.connect(done)
        op.failed.connect(lambda exc: self._failed(exc, doing))
        op.start()

    def _failed(self, exc: object, doing: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.import_button.setEnabled(self.files.count() > 0)
        if isinstance(exc, BaseException):
            self.summary.setText(str(exc) if str(exc) else f"Could not {doing}.")
            from marac_prep.core.errors import MaracError

            if not isinstance(exc, MaracError):
                report_error(self, exc, doing=doing)

    def done(self, result: int) -> None:  # Override QDialog.done: never leave a worker running.
        if self._op is not None:
            self._op.dispose()
            self._op = None
        super().done(result)
