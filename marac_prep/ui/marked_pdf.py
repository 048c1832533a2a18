"""What the dialogs exporting a marked PDF (pack, minutes) share: the marking, password and
destination rows, the worker that writes the file, and what is said when it is done or fails."""

from __future__ import annotations

import threading
from collections.abc import Callable
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
    QWidget,
)

from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError
from marac_prep.core.models import User
from marac_prep.core.passphrases import passphrase_problem
from marac_prep.pack.export import PASSWORD_MIN
from marac_prep.ui.forms import inline_error, run_modal, show_inline
from marac_prep.ui.messages import Messages, report_error


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


def documents_folder() -> Path:
    """Where a suggested file goes: the user's Documents folder, or their home folder without one."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


class MarkedPdfForm(QFormLayout):
    """The rows "Marking", the password box, "Password", "Password again" and "Save as".

    A dialog adds its own rows around them (`insertRow`), so they line up as one form.

    Attributes:
        marking, protect, password, password_again, destination, browse: the fields.
    """

    def __init__(self, parent: QWidget, *, what: str, marking: str, choose: Callable[[str], str],
                 suggested: Callable[[], str]) -> None:
        """`what` names the document in sentences ("pack", "minutes"); `choose(suggested)` asks for
        a file name ("" when the user cancels); `suggested()` is the name offered first."""
        super().__init__()
        self._what, self._choose, self._suggested = what, choose, suggested
        self.marking = QLineEdit(marking, parent)
        self.marking.setAccessibleName("Protective marking")
        self.marking.setMaxLength(60)
        self.protect = QCheckBox("Protect the PDF with a password (AES-256)", parent)
        self.password = QLineEdit(parent)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password_again = QLineEdit(parent)
        self.password_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_again.setAccessibleName("Password again")
        self.destination = QLineEdit(parent)
        self.destination.setAccessibleName(f"Save the {what} as")
        self.browse = QPushButton("Choose…", parent)
        self.browse.clicked.connect(self._on_browse)
        destination_row = QHBoxLayout()
        destination_row.addWidget(self.destination, 1)
        destination_row.addWidget(self.browse)
        self.addRow("&Marking", self.marking)
        self.addRow("", self.protect)
        self.addRow("&Password", self.password)
        self.addRow("Password a&gain", self.password_again)
        save_as = QLabel("Save &as", parent)
        save_as.setBuddy(self.destination)
        self.addRow(save_as, destination_row)
        self.protect.toggled.connect(self._on_protect_toggled)
        self._on_protect_toggled(False)

    def problem(self) -> str | None:
        """Why the form cannot be exported as it is (None when it can)."""
        if self.protect.isChecked() and (problem := password_fields_problem(
                self.password.text(), self.password_again.text(), what=self._what)):
            return problem
        if not self.path():
            return f"Choose where to save the {self._what}."
        return None

    def chosen_password(self) -> str | None:
        return self.password.text() if self.protect.isChecked() else None

    def path(self) -> str:
        return self.destination.text().strip()

    def set_running(self, running: bool) -> None:
        """Locks the fields while the document is being written."""
        for widget in (self.marking, self.protect, self.destination, self.browse):
            widget.setEnabled(not running)
        self._on_protect_toggled(self.protect.isChecked() and not running)

    def clear_passwords(self) -> None:
        self.password.clear()
        self.password_again.clear()

    def _on_browse(self) -> None:
        chosen = self._choose(self.destination.text() or self._suggested())
        if chosen:
            if not chosen.casefold().endswith(".pdf"):
                chosen += ".pdf"
            self.destination.setText(chosen)

    def _on_protect_toggled(self, on: bool) -> None:
        self.password.setEnabled(on)
        self.password_again.setEnabled(on)


class MarkedPdfRunner(QThread):
    """Writes the document on a worker thread with its own session; touches no widgets.

    `write(session, actor, runner)` does the export (the runner's `progressed.emit` and
    `cancel_event.is_set` are there for a long one to report and stop).

    Signals:
        progressed(int, int): steps done and the total.
        succeeded(object): what `write` returned.
        failed(object): the exception (PackCancelled when cancelled).
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QWidget, database: Database, actor_id: int | None,
                 write: Callable[[Any, User, MarkedPdfRunner], Any]) -> None:
        super().__init__(parent)
        self._database, self._actor_id, self._write = database, actor_id, write
        self.cancel_event = threading.Event()

    def run(self) -> None:  # Override QThread.run.
        try:
            with self._database.session() as session:
                actor = session.get(User, self._actor_id)
                if actor is None:
                    raise MaracError("Your profile no longer exists; nothing was exported.")
                result = self._write(session, actor, self)
        except Exception as exc:  # Shown as one sentence in the GUI thread.
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)

    def stop(self) -> None:
        """Asks the work to stop and waits for the thread (a dialog never leaves a worker running)."""
        self.cancel_event.set()
        self.wait()


def open_in_viewer(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def offer_to_open(parent: QWidget, title: str, text: str, path: Path, opener: Callable[[Path], bool]) -> None:
    """Says where the file was saved and opens it with `opener` if the user wants."""
    if Messages.ask(parent, title, text, yes="Open", no="Not now") and not opener(path):
        Messages.error(parent, "Marac Prep", "The PDF could not be opened; open it from its folder instead.")


def show_failure(parent: QWidget, error: QLabel, exc: BaseException, *, what: str) -> None:
    """A refusal or a file error on the dialog's error line; anything else as a message."""
    if isinstance(exc, MaracError):  # PackCancelled included: "cancelled; no file was written"
        show_inline(error, str(exc))
    elif isinstance(exc, OSError):
        show_inline(error, f"The {what} could not be saved ({exc.strerror or 'file error'}); "
                           "nothing was written. Choose another folder.")
    else:
        report_error(parent, exc, doing=f"export the {what}")


class MarkedPdfDialog(QDialog):
    """What the Export pack and Export minutes dialogs share: the form's fields, the progress bar,
    the error line and the buttons, and the worker that writes the file (never left running).

    A subclass makes its own widgets, calling `_make_form` and `_make_controls` where those go
    (so Tab follows the order the widgets are made in), starts the export with `_start`, and says
    what was written in `_saved_message`. `WHAT` names the document in sentences.

    Attributes:
        form: the MarkedPdfForm; its fields also as marking, protect, password, password_again,
            destination and browse.
        result: what the export returned once the file is written, else None.

    Signals:
        exported(object): the result, after the file is written.
    """

    exported = Signal(object)
    WHAT = "document"

    def __init__(self, database: Database, actor: User, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._database, self._actor = database, actor
        self._runner: MarkedPdfRunner | None = None
        self.result: Any = None

    def _make_form(self, marking: str) -> MarkedPdfForm:
        self.form = MarkedPdfForm(self, what=self.WHAT, marking=marking, suggested=self.suggested_name,
                                  choose=lambda suggested: self.choose_destination(self, suggested))
        self.marking, self.protect, self.destination = self.form.marking, self.form.protect, self.form.destination
        self.password, self.password_again, self.browse = self.form.password, self.form.password_again, self.form.browse
        return self.form

    def _make_controls(self) -> None:
        """The progress bar (hidden), the error line, and the Export and Cancel buttons."""
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Export progress")
        self.progress.hide()
        self.error = inline_error(self)
        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self._on_cancel)

    # ----- hooks tests replace -----------------------------------------------------------------
    @classmethod
    def choose_destination(cls, parent: QWidget, suggested: str) -> str:
        """The file the user picks in a save dialog ("" when they cancel)."""
        name, _filter = QFileDialog.getSaveFileName(parent, f"Save the {cls.WHAT} as", suggested,
                                                    "PDF files (*.pdf)")
        return name

    @classmethod
    def open_in_viewer(cls, path: Path) -> bool:
        return open_in_viewer(path)

    # ----- what a subclass says ----------------------------------------------------------------
    def suggested_name(self) -> str:
        """A file name in the Documents folder naming the meeting, never a person."""
        raise NotImplementedError

    def start_export(self) -> bool:
        """Checks the form and starts the export on a worker thread; False if the form is refused."""
        raise NotImplementedError

    def _saved_message(self, result: Any) -> tuple[str, str]:
        """The title and text saying where `result` was saved, ending with the question to open it."""
        raise NotImplementedError

    # ----- behaviour ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.isRunning()

    def _start(self, write: Callable[[Any, User, MarkedPdfRunner], Any]) -> bool:
        """Starts `write` on a worker thread if the form will do; False (and why, on the error line) if not."""
        show_inline(self.error, "")
        if problem := self.form.problem():
            show_inline(self.error, problem)
            return False
        self._runner = MarkedPdfRunner(self, self._database, self._actor.id, write)
        self._runner.progressed.connect(self._on_progress)
        self._runner.succeeded.connect(self._on_succeeded)
        self._runner.failed.connect(self._on_failed)
        self._set_running(True)
        self._runner.start()
        return True

    def _set_running(self, running: bool) -> None:
        self.form.set_running(running)
        self.export_button.setEnabled(not running)
        self.progress.setVisible(running)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total))

    def _on_cancel(self) -> None:
        self.reject()

    def _finish_run(self) -> None:
        if self._runner is not None:
            self._runner.wait()
            self._runner.deleteLater()
            self._runner = None
        self.cancel_button.setEnabled(True)
        self.progress.setFormat("%p%")
        self._set_running(False)

    def _on_succeeded(self, result: Any) -> None:
        self._finish_run()
        self.result = result
        self.form.clear_passwords()
        self.exported.emit(result)
        title, text = self._saved_message(result)
        offer_to_open(self, title, text, result.path, self.open_in_viewer)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish_run()
        show_failure(self, self.error, exc, what=self.WHAT)

    def reject(self) -> None:  # Override QDialog.reject: never leave a worker running.
        if self._runner is not None:
            self._runner.stop()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # Override QWidget.closeEvent.
        if self._runner is not None:
            self._runner.stop()
        super().closeEvent(event)

    @classmethod
    def _show_modal(cls, parent: QWidget | None, *args: Any, **kwargs: Any) -> Any:
        """Shows the dialog made with `args` and `kwargs` modally; its result (None if nothing was written)."""
        dialog = run_modal(parent, lambda: cls(*args, parent=parent, **kwargs), doing=f"prepare the {cls.WHAT}")
        return dialog.result if dialog is not None else None
