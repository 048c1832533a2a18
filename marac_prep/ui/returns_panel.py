"""The agency returns tab: who was asked, chased, and what each agency answered."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.dates import display_day
from marac_prep.core.returns import ReturnRow, ReturnState
from marac_prep.core.vocabulary import ANSWERED_STATUSES, RETURN_STATUS_LABELS
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import ALERT, ALERT_TINT, agency_colour, plain_label

AGENCY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
OUTSTANDING_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Agency", "Status", "Requested", "Chased", "Returned", "Representative", "Note")
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ReturnLine(ReturnState):
    """One agency's return for the case, as shown: what it holds (`ReturnState`), its agency,
    whether it is expected, and its version (None when nothing is recorded yet)."""

    agency_id: int
    agency_name: str
    agency_code: str
    expected: bool
    version: int | None

    @property
    def outstanding(self) -> bool:
        """Expected and not answered: the silences the coordinator must chase."""
        return self.expected and self.status not in ANSWERED_STATUSES

    @classmethod
    def from_row(cls, row: ReturnRow) -> ReturnLine:
        return cls(**asdict(ReturnState.of(row.record)), agency_id=row.agency.id or 0, agency_name=row.agency.name,
                   agency_code=row.agency.short_code, expected=row.expected,
                   version=row.record.version if row.record else None)


class ReturnsTableModel(LineTableModel):
    """Adapts the case's `ReturnLine`s; outstanding expected agencies stand out."""

    COLUMNS = COLUMNS

    @staticmethod
    def _status_text(line: ReturnLine) -> str:
        text = RETURN_STATUS_LABELS.get(line.status, line.status)
        if line.status == "chased" and line.chase_count > 1:
            text += f" ({line.chase_count} times)"
        if line.outstanding:
            text = f"⚠ {text} – no return yet"
        elif not line.expected:
            text += " (not expected)"
        return text

    def _display(self, line: ReturnLine, column: int) -> str:
        values = (
            line.agency_name,
            self._status_text(line),
            display_day(line.requested_on),
            display_day(line.chased_on),
            display_day(line.returned_on),
            line.representative,
            " ".join(line.note.split()),
        )
        return values[column]

    def _tooltip_text(self, line: ReturnLine, column: int) -> str:
        return line.note if column == 6 else self._display(line, column)

    def _role(self, line: ReturnLine, column: int, role: int) -> Any:
        if role == AGENCY_ID_ROLE:
            return line.agency_id
        if role == OUTSTANDING_ROLE:
            return line.outstanding
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return agency_colour(line.agency_code)
        if role == Qt.ItemDataRole.BackgroundRole and line.outstanding:
            return ALERT_TINT
        if role == Qt.ItemDataRole.ForegroundRole and line.outstanding and column == 1:
            return ALERT
        if role == Qt.ItemDataRole.FontRole and line.outstanding and column in (0, 1):
            return self._bold
        return None


class ReturnsPanel(QWidget):
    """The returns table with the coordinator's actions; several rows can be requested or chased at once.

    Signals:
        action_requested(object, str): the selected agency ids (a list) and the status to record
            ("requested", "chased", "nothing_known", "declined").
        note_requested(int): the agency whose note to edit.
        undo_requested(): undo the last return action.
    """

    action_requested = Signal(object, str)
    note_requested = Signal(int)
    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ReturnsTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("returnsTable")
        self.table.setAccessibleName("Agency returns")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((210, 280, 110, 110, 110, 170)):
            self.table.setColumnWidth(column, width)
        self.summary = plain_label("", self, name="returnsSummary")
        self.summary.setWordWrap(True)
        self.request_button = QPushButton("Mark re&quested", self)
        self.chase_button = QPushButton("Recor&d chase", self)
        self.nothing_button = QPushButton("&Nothing known", self)
        self.declined_button = QPushButton("Dec&lined…", self)
        self.note_button = QPushButton("N&ote…", self)
        self.undo_button = QPushButton("&Undo", self)
        self.request_button.setToolTip(
            "Record that the research request was sent to the selected agencies today "
            "(an earlier request keeps its date)."
        )
        self.chase_button.setToolTip("Record that the selected agencies were chased for their return today.")
        self.nothing_button.setToolTip(
            "Record that this agency checked its records and holds nothing: an answer, not a silence."
        )
        self.declined_button.setToolTip("Record that this agency declined to share, with its reason.")
        self.note_button.setToolTip("Edit the note on this agency's return.")
        self.undo_button.setToolTip("Nothing to undo yet.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        for button, status in (
            (self.request_button, "requested"),
            (self.chase_button, "chased"),
            (self.nothing_button, "nothing_known"),
            (self.declined_button, "declined"),
        ):
            button.clicked.connect(lambda _checked=False, s=status: self._on_action(s))
        self.note_button.clicked.connect(self._on_note)
        self.undo_button.clicked.connect(self.undo_requested.emit)
        for button in (
            self.request_button,
            self.chase_button,
            self.nothing_button,
            self.declined_button,
            self.note_button,
            self.undo_button,
        ):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
            buttons.addWidget(button)
        self.table.doubleClicked.connect(lambda _index: self._on_note())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._may_set = lambda _agency_id: True
        self._undo_text: str | None = None
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self._update_buttons()

    def set_lines(self, lines: list[ReturnLine], *, may_set: Any = None) -> None:
        """Shows the returns; `may_set(agency_id)` says whether the user may change that agency's."""
        current = self.current_agency_id()
        if may_set is not None:
            self._may_set = may_set
        self.model.set_lines(lines)
        expected = [line for line in lines if line.expected]
        answered = sum(1 for line in expected if not line.outstanding)
        waiting = len(expected) - answered
        self.summary.setText(
            f"{answered} of {len(expected)} agencies have returned"
            + (f"; {waiting} still to return" if waiting else "; all expected agencies have answered")
        )
        if current is None:
            # Start on the first silence: that is the agency the coordinator will act on.
            current = next((line.agency_id for line in lines if line.outstanding), None)
        if current is not None:
            self.select_agency(current)
        self._update_buttons()

    def current_agency_id(self) -> int | None:
        index = self.table.currentIndex()
        return int(index.data(AGENCY_ID_ROLE)) if index.isValid() else None

    def selected_lines(self) -> list[ReturnLine]:
        """The selected rows in table order (the current row when nothing else is selected)."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return [self.model.lines[row] for row in rows if 0 <= row < len(self.model.lines)]

    def select_agency(self, agency_id: int) -> None:
        for row, line in enumerate(self.model.lines):
            if line.agency_id == agency_id:
                self.table.setCurrentIndex(self.model.index(row, 0))
                self.table.selectRow(row)
                return

    def select_agencies(self, agency_ids: list[int]) -> None:
        """Selects several rows (as a user would with Ctrl+click)."""
        from PySide6.QtCore import QItemSelectionModel

        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row, line in enumerate(self.model.lines):
            if line.agency_id in agency_ids:
                selection.select(self.model.index(row, 0), flags)
                selection.setCurrentIndex(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        self._update_buttons()

    def set_undo(self, description: str | None) -> None:
        """What the Undo button undoes (None: nothing)."""
        self._undo_text = description
        self.undo_button.setEnabled(description is not None)
        self.undo_button.setToolTip(f"Undo: {description}." if description else "Nothing to undo yet.")

    def _update_buttons(self, *_args: object) -> None:
        lines = [line for line in self.selected_lines() if self._may_set(line.agency_id)]
        some = bool(lines) and len(lines) == len(self.selected_lines())
        one = some and len(lines) == 1
        self.request_button.setEnabled(some)
        # A chase follows a request: an agency never asked cannot have been chased.
        asked = some and all(line.requested_on is not None and line.status in ("requested", "chased") for line in lines)
        self.chase_button.setEnabled(asked)
        self.chase_button.setToolTip(
            "Record that the selected agencies were chased for their return today."
            if asked or not some
            else "Only agencies that were asked and have not answered can be chased: mark them requested first."
        )
        for button in (self.nothing_button, self.declined_button, self.note_button):
            button.setEnabled(one)
        self.undo_button.setEnabled(self._undo_text is not None)

    def _on_action(self, status: str) -> None:
        ids = [line.agency_id for line in self.selected_lines()]
        if ids:
            self.action_requested.emit(ids, status)

    def _on_note(self) -> None:
        lines = self.selected_lines()
        if len(lines) == 1 and self._may_set(lines[0].agency_id):
            self.note_requested.emit(lines[0].agency_id)
