"""The Settings dialog: this Marac's thresholds and windows, each with what it does.

Only Qt is imported at the top: the main window makes the menu action before its first paint,
and the data stack loads when the dialog opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from marac_prep.ui.text import plain_label

if TYPE_CHECKING:
    from marac_prep.core.db import Database
    from marac_prep.core.models import User
    from marac_prep.core.settings import SettingLine
    from marac_prep.ui.main_window import MainWindow


class SettingsDialog(QDialog):
    """Every setting: its value (editable by a coordinator) and a description under it.

    Attributes:
        fields: setting name -> its line edit (settable settings only).
        saved: whether a change was saved.
    """

    def __init__(self, database: Database, actor: User, parent: QWidget | None = None) -> None:
        from marac_prep.core.permissions import allowed
        from marac_prep.core.settings import setting_lines
        from marac_prep.ui.forms import inline_error

        super().__init__(parent)
        self._database, self._actor = database, actor
        self.saved = False
        self.setWindowTitle("Settings")
        self.setMinimumSize(640, 560)
        with database.read_session() as session:
            self._lines = setting_lines(session)
        may_change = allowed(actor, "manage_settings") and not database.read_only
        self.fields: dict[str, QLineEdit] = {}
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        row = 0
        for line in self._lines:
            name = plain_label(line.name.replace("_", " ").capitalize(), self)
            name.setObjectName("settingName")
            grid.addWidget(name, row, 0)
            if line.settable:
                edit = QLineEdit(line.value_text, self)
                edit.setAccessibleName(line.name)
                edit.setEnabled(may_change)
                self.fields[line.name] = edit
                grid.addWidget(edit, row, 1)
            else:
                fixed = plain_label(line.value_text + " (fixed)", self)
                fixed.setWordWrap(True)
                grid.addWidget(fixed, row, 1)
            grid.addWidget(self._description(line), row + 1, 0, 1, 2)
            row += 2
        body = QWidget(self)
        body.setLayout(grid)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        note = plain_label(
            "Local practice: these values are kept in this database and survive upgrades."
            + ("" if may_change else " Only a coordinator can change them."),
            self,
        )
        note.setWordWrap(True)
        self.error = inline_error(self)
        buttons = QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(buttons if may_change else QDialogButtonBox.StandardButton.Close, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(scroll)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _description(self, line: SettingLine) -> QLabel:
        from marac_prep.core.settings import value_text

        text = line.description
        if line.changed:
            text += f" (Packaged default: {value_text(line.default)}.)"
        label = plain_label(text, self, name="settingHelp")
        label.setWordWrap(True)
        return label

    def changes(self) -> dict[str, Any]:
        """The values typed that differ from those in force, checked (ValidationError if not)."""
        from marac_prep.core.errors import ValidationError
        from marac_prep.core.settings import parse_value

        out: dict[str, Any] = {}
        for line in self._lines:
            edit = self.fields.get(line.name)
            if edit is None or edit.text().strip() == line.value_text:
                continue
            try:
                value = parse_value(line.name, edit.text())
            except ValidationError:
                edit.setFocus()
                raise
            if value != line.value:
                out[line.name] = value
        return out

    def save(self) -> bool:
        from marac_prep.core.errors import ConflictError, ValidationError
        from marac_prep.core.settings import set_settings
        from marac_prep.ui.forms import saving

        with saving(self, self.error, doing="save the settings") as saved:
            values = self.changes()
            if values:
                # The versions this dialog showed: another coordinator's save since then is refused
                # with a sentence (shown in the dialog) instead of being overwritten.
                with self._database.interactive_session() as session:
                    try:
                        set_settings(session, actor=self._actor, values=values,
                                     expected_versions={line.name: line.version for line in self._lines})
                    except ConflictError as exc:
                        # Said on the dialog's own error line, like a bad value; what was typed stays.
                        raise ValidationError(str(exc)) from None
                self.saved = True
        return saved.ok

    @classmethod
    def open_settings(cls, parent: QWidget | None, database: Database, actor: User) -> bool:
        """Shows the dialog; True when a change was saved. Tests replace this."""
        dialog = cls(database, actor, parent=parent)
        return dialog.exec() == QDialog.DialogCode.Accepted and dialog.saved


def settings_action(window: MainWindow) -> QAction:
    """The View ▸ Settings… action: opens the dialog and, after a change, applies it at once."""
    action = QAction("&Settings…", window)
    action.setStatusTip("This Marac's thresholds, windows and marking, with what each does")

    def open_dialog() -> None:
        if not window.attached:
            return
        if SettingsDialog.open_settings(window, window.database, window.actor):
            from marac_prep.core.settings import current
            from marac_prep.ui.idle_lock import idle_minutes

            if window.idle_lock is not None:
                with window.database.read_session() as session:
                    window.idle_lock.set_timeout_ms(int(idle_minutes(current(session)) * 60_000))
            window.refresh()

    action.triggered.connect(open_dialog)
    return action
