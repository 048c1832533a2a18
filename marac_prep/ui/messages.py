"""Errors and questions shown to the user in plain words; details (never personal data) go to the log."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from marac_prep.core.errors import ConflictError, MaracError, PermissionDenied

log = logging.getLogger("marac_prep.ui")


class Messages:
    """Every message box the app shows, as classmethods that tests replace with stubs.

    Each returns what the user chose, so a stub only has to return the answer.
    """

    @classmethod
    def error(cls, parent: QWidget | None, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, text: str, *, yes: str, no: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is yes_button

    @classmethod
    def choose(cls, parent: QWidget | None, title: str, text: str, *, options: list[str]) -> int | None:
        """One of several answers (the first is the default); None when the user cancels."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        buttons = [box.addButton(option, QMessageBox.ButtonRole.AcceptRole) for option in options]
        box.setDefaultButton(buttons[0])
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return buttons.index(clicked) if clicked in buttons else None  # type: ignore[arg-type]

    @classmethod
    def info(cls, parent: QWidget | None, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()


def report_error(parent: QWidget | None, exc: BaseException, *, doing: str) -> None:
    """Shows `exc` as one plain sentence; unexpected errors are logged by class only (no user data)."""
    if isinstance(exc, PermissionDenied):
        Messages.error(parent, "Not allowed", str(exc))
    elif isinstance(exc, ConflictError):
        Messages.error(parent, "Changed by someone else", str(exc))
    elif isinstance(exc, MaracError):
        Messages.error(parent, "Marac Prep", str(exc))
    else:
        # The traceback helps support; the message may hold user text, so it is not logged.
        log.error("unexpected %s while trying to %s", exc.__class__.__name__, doing, exc_info=(type(exc), exc, None))
        Messages.error(
            parent,
            "Marac Prep",
            f"Something went wrong while trying to {doing}; nothing was saved. The details are in the log file.",
        )
