"""Asking for an encrypted database's passphrase before it is opened."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QVBoxLayout, QWidget

from marac_prep.core.db import Database, open_database
from marac_prep.core.errors import StorageError, ValidationError
from marac_prep.ui.text import plain_label


class PassphraseDialog(QDialog):
    """A small dialog with the passphrase typed unseen; `problem` is the last attempt's error."""

    def __init__(self, location: str, problem: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Encrypted database – Marac Prep")
        self.setMinimumWidth(460)
        self.prompt = plain_label(f"{location} is encrypted. Type its passphrase to open it.", self)
        self.prompt.setWordWrap(True)
        self.problem = plain_label(problem, self, name="fieldError")
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(problem))
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.problem)
        layout.addWidget(self.passphrase)
        layout.addWidget(buttons)

    @classmethod
    def ask(cls, parent: QWidget | None, location: str, problem: str = "") -> str | None:
        """The typed passphrase, or None when the user cancels; tests replace this with a stub."""
        dialog = cls(location, problem, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.passphrase.text()


def open_encrypted(
    target: str, *, opener: Callable[..., Database] = open_database, parent: QWidget | None = None
) -> Database | None:
    """Opens an encrypted file, asking until the passphrase is right; None when the user cancels.

    A wrong passphrase leaves the file unchanged (`open_database` promises that), so asking again
    is safe; the refusal's own sentence is shown above the field.
    """
    problem = ""
    while True:
        passphrase = PassphraseDialog.ask(parent, target, problem)
        if passphrase is None:
            return None
        try:
            return opener(target, passphrase=passphrase)
        except (StorageError, ValidationError) as exc:
            problem = str(exc)
