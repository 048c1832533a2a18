"""The Actions window (issue 18): a meeting's agreed actions or every open one, overdue ones marked,
their status reported and their wording edited by the owning agency or the coordinator."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.actions import ACTION_STATUSES, PROTECTS, ActionRow, list_actions, report_status
from marac_prep.core.actions import update_action as update_action_service
from marac_prep.core.dates import display_day
from marac_prep.core.meetings import list_meetings
from marac_prep.core.permissions import allowed
from marac_prep.ui.background import BackgroundOp, RunningOps
from marac_prep.ui.forms import UkDateField, fit_to_screen, inline_error, saving
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.messages import report_error
from marac_prep.ui.text import ALERT, ALERT_TINT, literal_menu_text, plain_label

if TYPE_CHECKING:
    from marac_prep.core.changes import Change
    from marac_prep.core.db import Database
    from marac_prep.core.models import User

log = logging.getLogger("marac_prep.ui")

ALL_OPEN = -1  # the meeting chooser's "every open action" entry
# Others' changes the window follows (decision 0090): the actions, and the cases and meetings they name.
FOLLOWED_KINDS = frozenset({"marac_action", "case", "meeting"})
OVERDUE_WORD = "OVERDUE"
PROTECTS_LABELS = {"victim": "&Victim", "child": "C&hild", "perpetrator": "P&erpetrator", "other": "O&ther"}
_STATUS_MNEMONICS = {
    "open": "&Open",
    "done": "&Done",
    "not_done_circumstances": "Not done: &circumstances changed",
    "not_done_agency": "Not done: agency did &not act",
}


def _day(value: date | None) -> str:
    return display_day(value) if value else ""


def reported_text(row: ActionRow) -> str:
    if row.status_reported_on is None:
        return ""
    by = f" by {row.status_reported_by}" if row.status_reported_by else ""
    return f"{_day(row.status_reported_on)}{by}"


def status_text(row: ActionRow) -> str:
    """The status as read in the table; an overdue action says so in words, not by colour alone."""
    if row.overdue:
        return f"{OVERDUE_WORD} – open"
    if row.status == "done" and row.done_on:
        return f"Done {_day(row.done_on)}"
    return row.status_label


class ActionTableModel(LineTableModel):
    """One `ActionRow` per row; an overdue row has the alert tint and its due date and status in alert red."""

    COLUMNS = ("Case", "Victim", "Agency", "Owner", "Action", "Due", "Protects", "Status", "Reported")

    @staticmethod
    def _display(line: ActionRow, column: int) -> str:
        return (
            line.case_reference,
            line.victim_initials,
            line.agency,
            line.owner,
            line.text,
            f"⚠ {_day(line.due_date)}" if line.overdue else _day(line.due_date),  # seen before scrolling right
            ", ".join(line.protects),
            status_text(line),
            reported_text(line),
        )[column]

    def update_lines(self, lines: list[ActionRow]) -> bool:
        """The same actions with what others changed, in place (the selection and scroll stay);
        False when actions came, went or moved, which needs `set_lines`."""
        if [line.id for line in lines] != [line.id for line in self.lines]:
            return False
        self.lines = list(lines)
        if lines:
            self.dataChanged.emit(self.index(0, 0), self.index(len(lines) - 1, len(self.COLUMNS) - 1))
        return True

    def _tooltip_text(self, line: ActionRow, column: int) -> str:
        if column == 7 and line.outcome:
            return f"{line.status_label}: {line.outcome}"
        return self._display(line, column)

    def _role(self, line: ActionRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.UserRole:
            return line.id
        if not line.overdue:
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return ALERT_TINT
        if role == Qt.ItemDataRole.ForegroundRole and column in (5, 7):
            return ALERT
        if role == Qt.ItemDataRole.FontRole and column == 7:
            return self._bold
        return None


class StatusDialog(QDialog):
    """Reports one action's status: the four statuses, the done-on date (done only) and the outcome."""

    def __init__(self, database: Database, actor: User, row: ActionRow, parent: QWidget | None = None, *,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self._database, self._actor, self.row = database, actor, row
        self._today = today
        self.setWindowTitle("Report the action's status")
        summary = plain_label(f"{row.case_reference} – {row.agency}: {row.text}", self)
        summary.setWordWrap(True)
        self.statuses = QButtonGroup(self)
        self.status_buttons: dict[str, QRadioButton] = {}
        status_box = QVBoxLayout()
        for number, status in enumerate(ACTION_STATUSES):
            button = QRadioButton(_STATUS_MNEMONICS[status], self)
            self.statuses.addButton(button, number)
            self.status_buttons[status] = button
            status_box.addWidget(button)
        self.status_buttons[row.status if row.status in ACTION_STATUSES else "open"].setChecked(True)
        self.done_on = UkDateField("Done on", self, partial=False, required=False)
        self.done_on.set_day(row.done_on)
        self.outcome = QPlainTextEdit(self)
        self.outcome.setAccessibleName("Outcome: what was done, or why not")
        self.outcome.setTabChangesFocus(True)
        self.outcome.setPlainText(row.outcome)
        self.outcome.setFixedHeight(self.outcome.fontMetrics().lineSpacing() * 4 + 12)
        self.error = inline_error(self)
        form = QFormLayout()
        done_label = QLabel("Da&te done", self)
        done_label.setBuddy(self.done_on.edit)
        outcome_label = QLabel("O&utcome", self)
        outcome_label.setBuddy(self.outcome)
        form.addRow(plain_label("Status", self), status_box)
        form.addRow(done_label, self.done_on)
        form.addRow(outcome_label, self.outcome)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(480)  # fit_to_screen narrows it on a small screen
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.statuses.idToggled.connect(lambda _id, _on: self._follow_status())
        self._follow_status()
        fit_to_screen(self)

    def chosen_status(self) -> str:
        return ACTION_STATUSES[max(self.statuses.checkedId(), 0)]

    def _follow_status(self) -> None:
        done = self.chosen_status() == "done"
        self.done_on.setEnabled(done)
        if done and not self.done_on.text().strip():
            self.done_on.set_day(self._today or date.today())

    def save(self) -> bool:
        """Reports the chosen status; a refusal leaves the dialog open with what was typed."""
        with saving(self, self.error, doing="report the action's status") as saved:
            status = self.chosen_status()
            done_on = self.done_on.day() if status == "done" else None
            with self._database.session() as session:
                report_status(session, actor=self._actor, action_id=self.row.id, expected_version=self.row.version,
                              status=status, outcome=self.outcome.toPlainText(), done_on=done_on,
                              reported_on=self._today)
        return saved.ok


class EditActionDialog(QDialog):
    """Changes what an action says: owner, the action itself, due date, whom it protects."""

    def __init__(self, database: Database, actor: User, row: ActionRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database, self._actor, self.row = database, actor, row
        self.setWindowTitle("Edit the action")
        self.owner = QLineEdit(row.owner, self)
        self.owner.setAccessibleName("Owner")
        self.action_text = QPlainTextEdit(self)
        self.action_text.setAccessibleName("Action: what exactly")
        self.action_text.setTabChangesFocus(True)
        self.action_text.setPlainText(row.text)
        self.action_text.setFixedHeight(self.action_text.fontMetrics().lineSpacing() * 4 + 12)
        self.due = UkDateField("Due date", self, partial=False, required=False)
        self.due.set_day(row.due_date)
        self.protects: dict[str, QCheckBox] = {}
        protects_row = QGridLayout()  # two by two: the four boxes fit a narrow (200 %) dialog
        for number, value in enumerate(PROTECTS):
            box = QCheckBox(PROTECTS_LABELS[value], self)
            box.setChecked(value in row.protects)
            self.protects[value] = box
            protects_row.addWidget(box, number // 2, number % 2)
        self.error = inline_error(self)
        form = QFormLayout()
        form.addRow(plain_label("Case", self), plain_label(f"{row.case_reference} – {row.agency}", self))
        for text, widget, buddy in (("O&wner", self.owner, self.owner),
                                    ("&Action (what exactly)", self.action_text, self.action_text),
                                    ("D&ue date", self.due, self.due.edit)):
            label = QLabel(text, self)
            label.setBuddy(buddy)
            form.addRow(label, widget)
        form.addRow(plain_label("Protects", self), protects_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        fit_to_screen(self)

    def save(self) -> bool:
        with saving(self, self.error, doing="change the action") as saved:
            due = self.due.day()
            with self._database.session() as session:
                update_action_service(
                    session, actor=self._actor, action_id=self.row.id, expected_version=self.row.version,
                    text=self.action_text.toPlainText(), owner=self.owner.text(), due_date=due,
                    protects=[p for p, box in self.protects.items() if box.isChecked()],
                )
        return saved.ok


def last_held_meeting(meetings: list[tuple[int, date]], today: date) -> int | None:
    """The latest meeting on or before today (its actions are the ones being tracked)."""
    held = [(day, meeting_id) for meeting_id, day in meetings if day <= today]
    return max(held)[1] if held else None


class ActionsView(QWidget):
    """Actions of a chosen meeting (default: the last held) or every open action; filters, status, export.

    Signals:
        changed(): an action's status or wording was saved (the main window refreshes its count).
    """

    changed = Signal()

    def __init__(self, database: Database, actor: User, parent: QWidget | None = None, *,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor = database, actor
        self.today = today
        self._ops = RunningOps()
        self._rows: list[ActionRow] = []
        self.setWindowTitle("Actions – Marac Prep")
        self.meeting = QComboBox(self)
        self.meeting.setAccessibleName("Meeting")
        meeting_label = QLabel("&Meeting", self)
        meeting_label.setBuddy(self.meeting)
        self.overdue_only = QCheckBox("O&verdue only", self)
        self.my_agency_only = QCheckBox("My a&gency only", self)
        self.my_agency_only.setVisible(actor.agency_id is not None)
        self.summary = plain_label("", self)
        self.summary.setWordWrap(True)
        self.model = ActionTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Agreed actions")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((0, 0, 120, 120, 270, 0, 100, 160, 160)):
            if width:
                self.table.setColumnWidth(column, width)
        # The reference, initials and date are read whole; the action keeps a readable width (the
        # table scrolls sideways on a smaller screen rather than squeezing it to a word a line).
        # Together they fit the window on a 1366-wide screen, "Reported" included.
        for column in (0, 1, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setMinimumSectionSize(self.fontMetrics().lineSpacing() * 2 + 6)  # rows alike
        self.status_button = QPushButton("&Report status…", self)
        self.status_button.setToolTip("Open, done (when and what), or not done and why (Enter)")
        self.edit_button = QPushButton("&Edit action…", self)
        self.export_button = QPushButton("E&xport tracking form…", self)
        self.export_button.setToolTip("The action tracking form as an XLSX file")
        self.export_button.setEnabled(allowed(actor, "export"))
        self.detail = plain_label("", self)
        self.detail.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(meeting_label)
        top.addWidget(self.meeting, 1)
        top.addWidget(self.overdue_only)
        top.addWidget(self.my_agency_only)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)

        self._fill_meetings()
        self.meeting.currentIndexChanged.connect(lambda _i: self.load())
        self.overdue_only.toggled.connect(lambda _on: self._show())
        self.my_agency_only.toggled.connect(lambda _on: self._show())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._follow_selection())
        self.table.activated.connect(lambda _index: self.report_selected())  # double-click and Enter
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.report_selected)
        self.status_button.clicked.connect(self.report_selected)
        self.edit_button.clicked.connect(self.edit_selected)
        self.export_button.clicked.connect(self.export)
        self._follow_selection()

    # ----- reading ------------------------------------------------------------------------------
    def _day_today(self) -> date:
        return self.today or date.today()

    def _fill_meetings(self, keep: int | None = None) -> None:
        """Lists the meetings; chooses `keep` (a meeting id or ALL_OPEN) if still there, else the last held."""
        with self.database.read_session() as session:
            meetings = [(m.id, m.meeting_date, m.area) for m in list_meetings(session) if m.id is not None]
        self.meeting.blockSignals(True)
        self.meeting.clear()
        self.meeting.addItem("Every open action (all meetings)", ALL_OPEN)
        for meeting_id, day, area in sorted(meetings, key=lambda m: m[1], reverse=True):
            where = f" – {area}" if area else ""
            self.meeting.addItem(literal_menu_text(f"{display_day(day)}{where}"), meeting_id)
        held = last_held_meeting([(m, d) for m, d, _ in meetings], self._day_today())
        index = self.meeting.findData(keep) if keep is not None else -1
        if index < 0:
            index = self.meeting.findData(held if held is not None else ALL_OPEN)
        self.meeting.setCurrentIndex(max(index, 0))
        self.meeting.blockSignals(False)

    def chosen_meeting(self) -> int | None:
        data = self.meeting.currentData()
        return None if data is None or int(data) == ALL_OPEN else int(data)

    def choose_meeting(self, meeting_id: int | None) -> None:
        """Shows `meeting_id`'s actions (None: every open action)."""
        index = self.meeting.findData(ALL_OPEN if meeting_id is None else meeting_id)
        if index >= 0:
            self.meeting.setCurrentIndex(index)

    def _read(self) -> list[ActionRow]:
        meeting_id = self.chosen_meeting()
        with self.database.read_session() as session:
            rows = list_actions(session, meeting_id=meeting_id, today=self._day_today())
        return rows if meeting_id is not None else [r for r in rows if r.status == "open"]

    def load(self) -> None:
        """Reads the chosen meeting's actions (a short read: one meeting's actions, or the open ones)."""
        try:
            self._rows = self._read()
        except Exception as exc:  # shown as a sentence; the window stays usable
            report_error(self, exc, doing="read the actions")
            return
        self._show()

    def apply_changes(self, changes: list[Change]) -> bool:
        """Shows what others changed - an action added, edited or reported, a case or meeting
        renamed - keeping the chosen action and the scroll position (decision 0090). Returns
        True when the actions were read again.

        A failed read leaves the rows as they were, without a message: the status bar already
        says when the connection is lost, and the window is read again once it is back.
        """
        kinds = {change.kind for change in changes}
        if not kinds & FOLLOWED_KINDS:
            return False
        try:
            if "meeting" in kinds:
                self._fill_meetings(keep=self.meeting.currentData())
            rows = self._read()
        except Exception as exc:  # a lost connection: the status bar says so; all is read again once back
            log.warning("actions window: could not read others' changes (%s)", exc.__class__.__name__)
            return False
        self._rows = rows
        scroll = self.table.verticalScrollBar().value()
        self._show()
        self.table.verticalScrollBar().setValue(scroll)
        return True

    def _show(self, select_id: int | None = None) -> None:
        current = self.selected()
        select_id = select_id if select_id is not None else (current.id if current else None)
        rows = self._rows
        if self.overdue_only.isChecked():
            rows = [r for r in rows if r.overdue]
        if self.my_agency_only.isChecked() and self.actor.agency_id is not None:
            rows = [r for r in rows if r.agency_id == self.actor.agency_id]
        if not self.model.update_lines(rows):
            self.model.set_lines(rows)
        overdue = sum(r.overdue for r in rows)
        shown = f"{len(rows)} action{'s' if len(rows) != 1 else ''}"
        if overdue:
            shown += f", {overdue} {OVERDUE_WORD.lower()} (open after the due date, marked {OVERDUE_WORD})"
        elif rows:
            shown += ", none overdue"
        self.summary.setText(shown + ".")
        row_number = next((n for n, r in enumerate(rows) if r.id == select_id), 0 if rows else -1)
        if row_number >= 0:
            self.table.setCurrentIndex(self.model.index(row_number, 0))
        self._follow_selection()

    def selected(self) -> ActionRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not 0 <= index.row() < len(self.model.lines):
            return None
        line: ActionRow = self.model.lines[index.row()]
        return line

    def may_update(self, row: ActionRow | None) -> bool:
        """The owning agency's representative or the coordinator (the service checks again)."""
        return row is not None and not self.database.read_only and allowed(
            self.actor, "update_action", agency_id=row.agency_id)

    def _follow_selection(self) -> None:
        row = self.selected()
        may = self.may_update(row)
        self.status_button.setEnabled(may)
        self.edit_button.setEnabled(may)
        if row is None:
            self.detail.setText("")
        else:
            outcome = f" – {row.outcome}" if row.outcome else ""
            who = "" if may else " Only the owning agency's representative or the coordinator may update it."
            said = f"{row.case_reference}, {row.agency}: {status_text(row)}{outcome}".rstrip(".")
            self.detail.setText(f"{said}.{who}")

    # ----- changing ---------------------------------------------------------------------------------
    def report_selected(self) -> StatusDialog | None:
        row = self.selected()
        if row is None or not self.may_update(row):
            return None
        dialog = StatusDialog(self.database, self.actor, row, self, today=self.today)
        dialog.accepted.connect(lambda: self._saved(row.id))
        dialog.open()
        return dialog

    def edit_selected(self) -> EditActionDialog | None:
        row = self.selected()
        if row is None or not self.may_update(row):
            return None
        dialog = EditActionDialog(self.database, self.actor, row, self)
        dialog.accepted.connect(lambda: self._saved(row.id))
        dialog.open()
        return dialog

    def _saved(self, action_id: int) -> None:
        self.load()
        self._show(select_id=action_id)
        self.changed.emit()

    def export(self) -> BackgroundOp | None:
        from marac_prep.ui.operations.actions import export_tracking

        return export_tracking(self, self.database, self.actor, self.chosen_meeting(), keep=self._ops.keep)

    def wait(self) -> None:
        self._ops.wait()

    def closeEvent(self, event: Any) -> None:  # Override QWidget.closeEvent.
        self.wait()
        super().closeEvent(event)
