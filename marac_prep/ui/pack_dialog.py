"""The Export pack dialog: scope, marking, optional password, destination, progress and cancel."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QThread, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marac_prep.analysis.language import blaming_matches
from marac_prep.analysis.reading import attach_signals
from marac_prep.core.casefile import load_meeting_files
from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import User
from marac_prep.core.passphrases import passphrase_problem
from marac_prep.core.permissions import allowed
from marac_prep.core.reference import agencies_by_id
from marac_prep.core.settings import current
from marac_prep.pack import PackResult, export_pack
from marac_prep.pack.export import PASSWORD_MIN
from marac_prep.ui.forms import inline_error, show_inline
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.text import plain_label, tooltip

log = logging.getLogger("marac_prep.ui")
WHOLE_MEETING = ""


@dataclass(frozen=True)
class PhraseWarning:
    """A victim-blaming phrase still in an entry that will go into the pack."""

    case_reference: str
    agency: str
    day: str
    phrase: str
    suggestion: str
    why: str

    def line(self) -> str:
        return f"{self.case_reference} · {self.agency} · {self.day}: “{self.phrase}” – {self.suggestion}"


def password_fields_problem(password: str, again: str, *, what: str) -> str | None:
    """What is wrong with a password typed twice to protect a PDF (None when it will do)."""
    if not password:
        return "Type a password twice, or untick the password box."
    if problem := passphrase_problem(password, what="password"):
        return problem
    if password != again:
        return "The two passwords are not the same; type them again."
    if len(password) < PASSWORD_MIN:
        return (f"Use a password of at least {PASSWORD_MIN} characters: the {what} travels by email, and a short "
                "password can be guessed.")
    return None


class _ExportRunner(QThread):
    """Builds the pack on a worker thread with its own session; touches no widgets.

    Signals:
        progressed(int, int): steps done and the total.
        succeeded(object): the PackResult.
        failed(object): the exception (PackCancelled when cancelled).
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QWidget, database: Database, options: dict[str, Any]) -> None:
        super().__init__(parent)
        self._database = database
        self._options = options
        self.cancel_event = threading.Event()

    def run(self) -> None:  # Override QThread.run.
        try:
            with self._database.session() as session:
                actor = session.get(User, self._options.pop("actor_id"))
                if actor is None:
                    raise MaracError("Your profile no longer exists; nothing was exported.")
                result = export_pack(session, actor=actor, progress=self.progressed.emit,
                                     cancelled=self.cancel_event.is_set, **self._options)
        except Exception as exc:  # Shown as one sentence in the GUI thread.
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)


class PackDialog(QDialog):
    """Exports the pre-Marac pack for a meeting or one of its cases.

    Attributes:
        result: the PackResult once a pack has been written, else None.

    Signals:
        exported(object): the PackResult, after the file is written.
    """

    exported = Signal(object)

    def __init__(self, database: Database, actor: User, *, meeting_id: int, case_reference: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export pack")
        self.setMinimumWidth(560)
        self._database, self._actor, self._meeting_id = database, actor, meeting_id
        self._runner: _ExportRunner | None = None
        self.result: PackResult | None = None
        with database.read_session() as session:
            meeting = get_meeting(session, meeting_id)
            self._meeting_date = meeting.meeting_date
            references, self._warnings = _load_scope(session, meeting_id)
            marking = current(session).default_marking
            recipients = [(a.name, a.short_code) for a in agencies_by_id(session).values() if a.active]

        self.scope = QComboBox(self)
        self.scope.setAccessibleName("Scope")
        self.scope.addItem(f"Whole meeting ({len(references)} case{'s' if len(references) != 1 else ''})",
                           WHOLE_MEETING)
        for reference in references:
            self.scope.addItem(f"One case: {reference}", reference)
        if case_reference:
            index = self.scope.findData(case_reference)
            self.scope.setCurrentIndex(max(index, 0))
        self.recipient = QComboBox(self)
        self.recipient.setAccessibleName("Prepared for")
        self.recipient.addItem("The meeting (no recipient watermark)", None)
        for name, code in sorted(recipients):
            self.recipient.addItem(f"{name}'s representative", code)
        self.marking = QLineEdit(marking, self)
        self.marking.setAccessibleName("Protective marking")
        self.marking.setMaxLength(60)
        # The coordinator's working notes are not information shared for the meeting: off unless asked.
        self.include_notes = QCheckBox("Include the coordinator's case &notes", self)
        self.include_notes.setToolTip("Left out unless ticked; only a coordinator can include them.")
        self.include_notes.setVisible(allowed(actor, "case_notes"))
        self.protect = QCheckBox("Protect the PDF with a password (AES-256)", self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password_again = QLineEdit(self)
        self.password_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_again.setAccessibleName("Password again")
        self.destination = QLineEdit(self)
        self.destination.setAccessibleName("Save the pack as")
        self.browse = QPushButton("Choose…", self)
        self.browse.clicked.connect(self._on_browse)
        destination_row = QHBoxLayout()
        destination_row.addWidget(self.destination, 1)
        destination_row.addWidget(self.browse)

        self.phrases_title = plain_label("", self, name="phrasesTitle")
        self.phrases_title.setWordWrap(True)
        self.phrases = QListWidget(self)
        self.phrases.setAccessibleName("Victim-blaming phrases still in the entries")
        self.phrases.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Export progress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.error = inline_error(self)

        form = QFormLayout()
        form.addRow("&Scope", self.scope)
        form.addRow("&Marking", self.marking)
        form.addRow("Prepared &for", self.recipient)
        form.addRow("", self.include_notes)
        form.addRow("", self.protect)
        form.addRow("&Password", self.password)
        form.addRow("Password a&gain", self.password_again)
        save_as = QLabel("Save &as", self)
        save_as.setBuddy(self.destination)
        form.addRow(save_as, destination_row)
        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self._on_cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.phrases_title)
        layout.addWidget(self.phrases, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.protect.toggled.connect(self._on_protect_toggled)
        self.scope.currentIndexChanged.connect(self._on_scope_changed)
        self._on_protect_toggled(False)
        self._on_scope_changed()

    # ----- hooks tests replace -----------------------------------------------------------------
    @classmethod
    def choose_destination(cls, parent: QWidget, suggested: str) -> str:
        """The file the user picks in a save dialog ("" when they cancel)."""
        name, _filter = QFileDialog.getSaveFileName(parent, "Save the pack as", suggested, "PDF files (*.pdf)")
        return name

    @classmethod
    def open_in_viewer(cls, path: Path) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # ----- behaviour ---------------------------------------------------------------------------
    def selected_reference(self) -> str | None:
        return self.scope.currentData() or None

    def suggested_name(self) -> str:
        """A file name naming the meeting date or case reference, never a person."""
        reference = self.selected_reference()
        stem = f"marac-pack-{self._meeting_date.isoformat()}"
        if reference:
            stem += "-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in reference)
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        folder = Path(documents) if documents and Path(documents).is_dir() else Path.home()
        return str(folder / f"{stem}.pdf")

    def _on_browse(self) -> None:
        chosen = self.choose_destination(self, self.destination.text() or self.suggested_name())
        if chosen:
            if not chosen.casefold().endswith(".pdf"):
                chosen += ".pdf"
            self.destination.setText(chosen)

    def _on_protect_toggled(self, on: bool) -> None:
        self.password.setEnabled(on)
        self.password_again.setEnabled(on)

    def _on_scope_changed(self) -> None:
        reference = self.selected_reference()
        warnings = [w for w in self._warnings if reference is None or w.case_reference == reference]
        self.phrases.clear()
        for warning in warnings:
            item = QListWidgetItem(warning.line())
            item.setToolTip(tooltip(warning.why))
            self.phrases.addItem(item)
        if warnings:
            self.phrases_title.setText(
                f"{len(warnings)} phrase{'s' if len(warnings) != 1 else ''} that can read as blaming the victim "
                "will go into the pack as written. You can still export; consider asking the authors to revise."
            )
        else:
            self.phrases_title.setText("No victim-blaming phrases were found in the entries going into the pack.")
        self.phrases.setVisible(bool(warnings))
        current = self.destination.text()
        if not current or Path(current).name.startswith("marac-pack-"):
            self.destination.setText(self.suggested_name())

    def start_export(self) -> bool:
        """Checks the form and starts the export on a worker thread; False if the form is refused."""
        show_inline(self.error, "")
        password: str | None = None
        if self.protect.isChecked():
            if problem := password_fields_problem(self.password.text(), self.password_again.text(), what="pack"):
                show_inline(self.error, problem)
                return False
            password = self.password.text()
        if not self.destination.text().strip():
            show_inline(self.error, "Choose where to save the pack.")
            return False
        options: dict[str, Any] = {
            "actor_id": self._actor.id,
            "meeting_id": self._meeting_id,
            "destination": self.destination.text().strip(),
            "case_reference": self.selected_reference(),
            "marking": self.marking.text(),
            "password": password,
            "for_agency": self.recipient.currentData(),
            "include_notes": self.include_notes.isChecked(),
        }
        self._runner = _ExportRunner(self, self._database, options)
        self._runner.progressed.connect(self._on_progress)
        self._runner.succeeded.connect(self._on_succeeded)
        self._runner.failed.connect(self._on_failed)
        self._set_running(True)
        self._runner.start()
        return True

    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.isRunning()

    def _set_running(self, running: bool) -> None:
        for widget in (self.scope, self.marking, self.recipient, self.include_notes, self.protect, self.destination,
                       self.browse, self.export_button):
            widget.setEnabled(not running)
        self.password.setEnabled(not running and self.protect.isChecked())
        self.password_again.setEnabled(not running and self.protect.isChecked())
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)
        self.cancel_button.setText("Stop" if running else "Close")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total))

    def _on_cancel(self) -> None:
        if self.running and self._runner is not None:
            self._runner.cancel_event.set()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("Stopping…")
            return
        self.reject()

    def _finish_run(self) -> None:
        if self._runner is not None:
            self._runner.wait()
            self._runner.deleteLater()
            self._runner = None
        self.cancel_button.setEnabled(True)
        self.progress.setFormat("%p%")
        self._set_running(False)

    def _on_succeeded(self, result: PackResult) -> None:
        self._finish_run()
        self.result = result
        self.password.clear()
        self.password_again.clear()
        self.exported.emit(result)
        protected = " It is protected with your password." if result.encrypted else ""
        withheld = (f" {result.withheld} withheld entr{'y was' if result.withheld == 1 else 'ies were'} left out."
                    if result.withheld else "")
        wants_to_open = Messages.ask(
            self, "Pack exported",
            f"The pack ({result.pages} pages) was saved as {result.path}.{protected}{withheld}\n\nOpen it now?",
            yes="Open", no="Not now",
        )
        if wants_to_open and not self.open_in_viewer(result.path):
            Messages.error(self, "Marac Prep", "The PDF could not be opened; open it from its folder instead.")
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish_run()
        if isinstance(exc, MaracError):  # PackCancelled included: "cancelled; no file was written"
            show_inline(self.error, str(exc))
        elif isinstance(exc, OSError):
            show_inline(self.error, f"The pack could not be saved ({exc.strerror or 'file error'}); "
                                    "nothing was written. Choose another folder.")
        else:
            report_error(self, exc, doing="export the pack")

    def reject(self) -> None:  # Override QDialog.reject: never leave a worker running.
        if self.running and self._runner is not None:
            self._runner.cancel_event.set()
            self._runner.wait()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # Override QWidget.closeEvent.
        if self.running and self._runner is not None:
            self._runner.cancel_event.set()
            self._runner.wait()
        super().closeEvent(event)

    @classmethod
    def export(cls, parent: QWidget | None, database: Database, actor: User, *, meeting_id: int,
               case_reference: str | None = None) -> PackResult | None:
        """Shows the dialog modally; the PackResult if a pack was written."""
        try:
            dialog = cls(database, actor, meeting_id=meeting_id, case_reference=case_reference, parent=parent)
        except MaracError as exc:
            report_error(parent, exc, doing="prepare the pack")
            return None
        dialog.exec()
        return dialog.result


def _load_scope(session: Any, meeting_id: int) -> tuple[list[str], list[PhraseWarning]]:
    """The meeting's case references and the victim-blaming phrases in its shareable entries
    (from the signals read from each entry's text, kept once read: no re-reading here)."""
    _meeting, files = load_meeting_files(session, meeting_id)
    attach_signals(session, files)
    references: list[str] = []
    warnings: list[PhraseWarning] = []
    for case_file in files:
        references.append(case_file.case.reference)
        for entry in case_file.entries:
            if not entry.shareable:
                continue  # withheld entries are not in the pack
            for match in blaming_matches(case_file.signals.get(entry.id, ())):
                warnings.append(PhraseWarning(
                    case_reference=case_file.case.reference, agency=case_file.agency_name(entry.agency_id),
                    day=entry.partial_date.display(), phrase=match.phrase, suggestion=match.suggestion,
                    why=match.why,
                ))
    return references, warnings
