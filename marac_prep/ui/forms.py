"""Small form pieces shared by the dialogs: UK date fields, inline errors, agency choices, file names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid
from sqlmodel import Session, select

from marac_prep.core.dates import PartialDate, parse_uk_date, parse_uk_day
from marac_prep.core.errors import MaracError, ValidationError
from marac_prep.core.models import Agency
from marac_prep.ui.messages import report_error
from marac_prep.ui.text import plain_label

_PRECISION = {"day": "exact day", "month": "month only", "year": "year only"}


def inline_error(parent: QWidget) -> QLabel:
    label = plain_label("", parent, name="inlineError")
    label.setWordWrap(True)
    label.hide()
    return label


def show_inline(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


def scrolling(parent: QWidget, body: QLayout) -> QScrollArea:
    """A dialog's fields in a scroll area, so the dialog never needs more room than the screen has
    (a 1366×768 laptop, or 200 % scaling); the buttons and the error line stay outside it."""
    inner = QWidget(parent)
    inner.setLayout(body)
    area = QScrollArea(parent)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(inner)
    return area


def fit_to_screen(dialog: QDialog, area: QScrollArea | None = None) -> None:
    """Sizes the dialog to show all its fields when the screen has room, and never past the screen.

    Qt caps a scroll area's own size hint at a few dozen lines, so the room the fields want is
    asked of the widget inside it.
    """
    screen = dialog.screen() or QGuiApplication.primaryScreen()
    room = screen.availableGeometry().size()
    # A window frame and a little margin around the dialog.
    room.setWidth(max(200, room.width() - 16))
    room.setHeight(max(200, room.height() - 48))
    dialog.setMaximumSize(room)
    for widget in dialog.findChildren(QWidget):
        if widget.minimumWidth() > room.width():
            widget.setMinimumWidth(room.width())
    if dialog.minimumWidth() > room.width():
        dialog.setMinimumWidth(room.width())
    if dialog.minimumHeight() > room.height():
        dialog.setMinimumHeight(room.height())
    hint = dialog.sizeHint()
    width, height = hint.width(), hint.height()
    if area is not None and area.widget() is not None:
        inner = area.widget().sizeHint()
        extra = area.verticalScrollBar().sizeHint().width() + 2 * area.frameWidth() + 4
        width = max(width, inner.width() + extra + (hint.width() - area.sizeHint().width()))
        height = max(height, inner.height() + (hint.height() - area.sizeHint().height()) + 4)
    dialog.resize(min(width, room.width()), min(height, room.height()))


def fit_window(window: QWidget, width: int, height: int) -> None:
    """Gives a separate window (meeting mode, statistics, audit) `width` × `height` where the
    screen has room, and otherwise the screen less its title bar and task bar: a 1366×768 laptop
    or 200 % scaling must still show the window's edges and buttons."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    room = screen.availableGeometry()
    # The same allowance for a frame and a title bar as fit_to_screen.
    window.resize(min(width, max(200, room.width() - 16)), min(height, max(200, room.height() - 48)))


def clear_when_edited(dialog: QWidget, error: QLabel) -> None:
    """Hides the inline error as soon as the user changes anything, so a fixed value leaves no
    stale complaint behind (the next save checks again)."""

    def clear(*_args: object) -> None:
        if not isValid(error):  # the dialog is being taken down (its models empty themselves)
            return
        if error.isVisible() or error.text():
            show_inline(error, "")

    for edit in dialog.findChildren(QLineEdit):
        edit.textEdited.connect(clear)
    for text in dialog.findChildren(QPlainTextEdit):
        text.textChanged.connect(clear)
    for combo in dialog.findChildren(QComboBox):
        combo.activated.connect(clear)
    for button in dialog.findChildren(QAbstractButton):
        if button.isCheckable():
            button.clicked.connect(clear)
    for spin in dialog.findChildren(QAbstractSpinBox):
        spin.editingFinished.connect(clear)
    for view in dialog.findChildren(QAbstractItemView):
        model: QObject | None = view.model()
        if model is not None:
            for signal in ("rowsInserted", "rowsRemoved", "modelReset", "dataChanged"):
                getattr(model, signal).connect(clear)


@dataclass
class Saved:
    """Whether the block under `saving` went through (and the dialog was accepted)."""

    ok: bool = False


@contextmanager
def saving(dialog: QDialog, error: QLabel, *, doing: str, accept: bool = True) -> Iterator[Saved]:
    """Runs a dialog's save: the error line is cleared first; a problem with what was typed goes
    on it and any other refusal in a message, the dialog staying open with everything typed; on
    success the dialog is accepted (unless `accept` is False: a dialog that saves line by line
    stays open). `doing` ends "Something went wrong while trying to …"."""
    show_inline(error, "")
    saved = Saved()
    try:
        yield saved
    except ValidationError as exc:
        show_inline(error, str(exc))
        return
    except MaracError as exc:
        report_error(dialog, exc, doing=doing)
        return
    saved.ok = True
    if accept:
        dialog.accept()


class UkDateField(QWidget):
    """A date typed the UK way, read back unambiguously underneath ("Shown as: 12 Jan 2026").

    Signals:
        changed(): the text changed.
    """

    changed = Signal()

    def __init__(
        self, name: str, parent: QWidget | None = None, *, partial: bool = True, required: bool = True
    ) -> None:
        super().__init__(parent)
        self._partial, self._required = partial, required
        self.edit = QLineEdit(self)
        self.edit.setAccessibleName(name)
        self.edit.setPlaceholderText(
            "e.g. 12/01/2026, 12 Jan 2026, Jan 2026, ?12/01/2026" if partial else "e.g. 12/01/2026"
        )
        self.feedback = plain_label("", self, name="fieldHint")
        self.feedback.setWordWrap(True)  # a long complaint wraps; it never widens the dialog
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.feedback)
        self.edit.textChanged.connect(self._on_text_changed)

    def set_partial(self, value: PartialDate | None) -> None:
        self.edit.setText(value.display() if value else "")

    def set_day(self, value: date | None) -> None:
        self.edit.setText(PartialDate(value).display() if value else "")

    def text(self) -> str:
        return self.edit.text()

    def partial(self) -> PartialDate | None:
        """The date typed, or None when empty and optional; raises `ValidationError` otherwise."""
        text = self.edit.text().strip()
        if not text:
            if self._required:
                raise ValidationError(f"{self.edit.accessibleName()} is required, e.g. 12/01/2026.")
            return None
        if self._partial:
            return parse_uk_date(text)
        return PartialDate(parse_uk_day(text))

    def day(self) -> date | None:
        value = self.partial()
        return value.value if value else None

    def _on_text_changed(self, _text: str) -> None:
        self.feedback.setObjectName("fieldHint")
        try:
            value = self.partial()
        except ValidationError as exc:
            self.feedback.setObjectName("inlineError")
            self.feedback.setText(str(exc) if self.edit.text().strip() else "")
        else:
            if value is None:
                self.feedback.setText("")
            else:
                approx = ", approximate" if value.approximate else ""
                self.feedback.setText(f"Read as {value.display()} ({_PRECISION[value.precision]}{approx})")
        # The object name switches the stylesheet colour; re-polish so it takes effect.
        self.feedback.style().unpolish(self.feedback)
        self.feedback.style().polish(self.feedback)
        self.changed.emit()


def agencies(session: Session) -> list[Agency]:
    return list(session.exec(select(Agency).where(Agency.active == True).order_by(Agency.id)).all())  # noqa: E712


# Stands for "no value" in combo boxes. None is never stored or read back as item data:
# PySide6 6.12 drops a reference to None each time a None comes back from a QVariant, and
# enough of those crash the interpreter ("deallocating None").
NO_VALUE = ""


def add_choice(combo: QComboBox, label: str, value: Any) -> None:
    combo.addItem(label, NO_VALUE if value is None else value)


def choice(combo: QComboBox) -> Any:
    """The chosen item's value; None for the "no value" item or an empty combo."""
    if combo.currentIndex() < 0:
        return None
    value = combo.currentData()
    return None if isinstance(value, str) and value == NO_VALUE else value


def fill_agency_combo(combo: QComboBox, items: list[Agency], *, none_label: str | None = None) -> None:
    combo.clear()
    if none_label is not None:
        add_choice(combo, none_label, None)
    for agency in items:
        combo.addItem(agency.name, agency.id)


def select_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(NO_VALUE if value is None else value)
    if index >= 0:
        combo.setCurrentIndex(index)


def ask_save_path(parent: QWidget | None, title: str, suggested: str, kinds: dict[str, str]) -> Path | None:
    """The file the user names in a save dialog offering `kinds` (suffix → what it is, e.g.
    {".xlsx": "Excel workbook"}), with the chosen kind's suffix added when the name has none of
    them; None when they cancel."""
    filters = {f"{label} (*{suffix})": suffix for suffix, label in kinds.items()}
    name, chosen = QFileDialog.getSaveFileName(parent, title, suggested, ";;".join(filters))
    if not name:
        return None
    path = Path(name)
    if path.suffix.casefold() in kinds:
        return path
    return path.with_name(path.name + filters.get(chosen, next(iter(kinds))))


Shown = TypeVar("Shown", bound=QDialog)


def run_modal(parent: QWidget | None, make: Callable[[], Shown], *, doing: str) -> Shown | None:
    """Makes a dialog with `make()` and runs it modally; the dialog, once closed. A refusal while
    making it (no permission, a record gone) is said as a sentence ("… while trying to `doing`")
    and None returned."""
    try:
        dialog = make()
    except MaracError as exc:
        report_error(parent, exc, doing=doing)
        return None
    dialog.exec()
    return dialog
