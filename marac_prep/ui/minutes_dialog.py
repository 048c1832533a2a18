"""The Export minutes dialog: marking, optional password, destination; the PDF built in the background."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QThread, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.attendance import list_attendance, running_order
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import User
from marac_prep.core.settings import current
from marac_prep.pack.minutes import MinutesResult, export_minutes
from marac_prep.ui.forms import fit_to_screen, inline_error, show_inline
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.pack_dialog import password_fields_problem
from marac_prep.ui.text import plain_label


class _MinutesRunner(QThread):
    """Writes the minutes on a worker thread with its own session; touches no widgets.

    Signals:
        succeeded(object): the MinutesResult.
        failed(object): the exception.
    """

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QWidget, database: Database, options: dict[str, Any]) -> None:
        super().__init__(parent)
        self._database = database
        self._options = options

    def run(self) -> None:  # Override QThread.run.
        try:
            with self._database.session() as session:
                actor = session.get(User, self._options.pop("actor_id"))
                if actor is None:
                    raise MaracError("Your profile no longer exists; nothing was exported.")
                result = export_minutes(session, actor=actor, **self._options)
        except Exception as exc:  # Shown as one sentence in the GUI thread.
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)


def minutes_readiness(session: Any, meeting_id: int) -> str:
    """One line on what the minutes will hold, so a missing record is seen before the export."""
    cases = cases_for_meeting(session, meeting_id)
    hearings = {h.case_id: h for h in running_order(session, meeting_id=meeting_id)}
    levels = sum(1 for c in cases if c.id in hearings and hearings[c.id].agreed_risk_level)
    notes = sum(1 for c in cases if c.id in hearings and hearings[c.id].discussion_note)
    attendance = list_attendance(session, meeting_id=meeting_id)
    present = sum(1 for a in attendance if a.attendance == "present")
    apologies = len(attendance) - present
    return (f"{len(cases)} case{'s' if len(cases) != 1 else ''}: agreed risk level recorded for {levels}, "
            f"discussion note for {notes}. Attendance: {present} present, {apologies} "
            f"apolog{'y' if apologies == 1 else 'ies'}.")


class MinutesDialog(QDialog):
    """Exports a meeting's minutes (marked, numbered, optionally encrypted) as the pack is exported.

    Attributes:
        result: the MinutesResult once written, else None.

    Signals:
        exported(object): the MinutesResult, after the file is written.
    """

    exported = Signal(object)

    def __init__(self, database: Database, actor: User, *, meeting_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export minutes")
        self.setMinimumWidth(520)
        self._database, self._actor, self._meeting_id = database, actor, meeting_id
        self._runner: _MinutesRunner | None = None
        self.result: MinutesResult | None = None
        with database.read_session() as session:
            meeting = get_meeting(session, meeting_id)
            self._meeting_date = meeting.meeting_date
            marking = current(session).default_marking
            summary = minutes_readiness(session, meeting_id)
        self.summary = plain_label(f"Marac meeting {meeting.meeting_date:%a %d %b %Y}. {summary}", self)
        self.summary.setWordWrap(True)
        self.marking = QLineEdit(marking, self)
        self.marking.setAccessibleName("Protective marking")
        self.marking.setMaxLength(60)
        self.protect = QCheckBox("Protect the PDF with a password (AES-256)", self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password_again = QLineEdit(self)
        self.password_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_again.setAccessibleName("Password again")
        self.destination = QLineEdit(self.suggested_name(), self)
        self.destination.setAccessibleName("Save the minutes as")
        self.browse = QPushButton("Choose…", self)
        self.browse.clicked.connect(self._on_browse)
        destination_row = QHBoxLayout()
        destination_row.addWidget(self.destination, 1)
        destination_row.addWidget(self.browse)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Export progress")
        self.progress.setRange(0, 0)  # the minutes are short: busy, not counted
        self.progress.hide()
        self.error = inline_error(self)
        form = QFormLayout()
        form.addRow("&Marking", self.marking)
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
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.protect.toggled.connect(self._on_protect_toggled)
        self._on_protect_toggled(False)
        fit_to_screen(self)

    # ----- hooks tests replace -----------------------------------------------------------------
    @classmethod
    def choose_destination(cls, parent: QWidget, suggested: str) -> str:
        name, _filter = QFileDialog.getSaveFileName(parent, "Save the minutes as", suggested, "PDF files (*.pdf)")
        return name

    @classmethod
    def open_in_viewer(cls, path: Path) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # ----- behaviour ---------------------------------------------------------------------------
    def suggested_name(self) -> str:
        """A file name naming the meeting date, never a person."""
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        folder = Path(documents) if documents and Path(documents).is_dir() else Path.home()
        return str(folder / f"marac-minutes-{self._meeting_date.isoformat()}.pdf")

    def _on_browse(self) -> None:
        chosen = self.choose_destination(self, self.destination.text() or self.suggested_name())
        if chosen:
            if not chosen.casefold().endswith(".pdf"):
                chosen += ".pdf"
            self.destination.setText(chosen)

    def _on_protect_toggled(self, on: bool) -> None:
        self.password.setEnabled(on)
        self.password_again.setEnabled(on)

    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.isRunning()

    def start_export(self) -> bool:
        """Checks the form and starts writing the minutes on a worker thread; False if refused."""
        show_inline(self.error, "")
        password: str | None = None
        if self.protect.isChecked():
            if problem := password_fields_problem(self.password.text(), self.password_again.text(),
                                                  what="minutes"):
                show_inline(self.error, problem)
                return False
            password = self.password.text()
        if not self.destination.text().strip():
            show_inline(self.error, "Choose where to save the minutes.")
            return False
        options: dict[str, Any] = {
            "actor_id": self._actor.id, "meeting_id": self._meeting_id,
            "destination": self.destination.text().strip(), "marking": self.marking.text(), "password": password,
        }
        self._runner = _MinutesRunner(self, self._database, options)
        self._runner.succeeded.connect(self._on_succeeded)
        self._runner.failed.connect(self._on_failed)
        self._set_running(True)
        self._runner.start()
        return True

    def _set_running(self, running: bool) -> None:
        for widget in (self.marking, self.protect, self.destination, self.browse, self.export_button,
                       self.cancel_button):
            widget.setEnabled(not running)
        self.password.setEnabled(not running and self.protect.isChecked())
        self.password_again.setEnabled(not running and self.protect.isChecked())
        self.progress.setVisible(running)
        self.progress.setFormat("Writing the minutes…")

    def _finish_run(self) -> None:
        if self._runner is not None:
            self._runner.wait()
            self._runner.deleteLater()
            self._runner = None
        self._set_running(False)

    def _on_succeeded(self, result: MinutesResult) -> None:
        self._finish_run()
        self.result = result
        self.password.clear()
        self.password_again.clear()
        self.exported.emit(result)
        protected = " It is protected with your password." if result.encrypted else ""
        if Messages.ask(self, "Minutes exported",
                        f"The minutes ({result.pages} page{'s' if result.pages != 1 else ''}, {result.cases} "
                        f"case{'s' if result.cases != 1 else ''}) were saved as {result.path}.{protected}"
                        "\n\nOpen them now?", yes="Open", no="Not now") and not self.open_in_viewer(result.path):
            Messages.error(self, "Marac Prep", "The PDF could not be opened; open it from its folder instead.")
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish_run()
        if isinstance(exc, MaracError):
            show_inline(self.error, str(exc))
        elif isinstance(exc, OSError):
            show_inline(self.error, f"The minutes could not be saved ({exc.strerror or 'file error'}); "
                                    "nothing was written. Choose another folder.")
        else:
            report_error(self, exc, doing="export the minutes")

    def reject(self) -> None:  # Override QDialog.reject: the minutes are short; never leave a worker running.
        if self._runner is not None:
            self._runner.wait()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # Override QWidget.closeEvent.
        if self._runner is not None:
            self._runner.wait()
        super().closeEvent(event)

    @classmethod
    def export(cls, parent: QWidget | None, database: Database, actor: User, *, meeting_id: int
               ) -> MinutesResult | None:
        """Shows the dialog modally; the MinutesResult if minutes were written."""
        try:
            dialog = cls(database, actor, meeting_id=meeting_id, parent=parent)
        except MaracError as exc:
            report_error(parent, exc, doing="prepare the minutes")
            return None
        dialog.exec()
        return dialog.result
