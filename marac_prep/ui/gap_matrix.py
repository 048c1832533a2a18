"""The meeting's gap matrix: cases down, agencies across, each cell the agency's return status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from marac_prep.core.dates import display_day
from marac_prep.core.vocabulary import RETURN_STATUS_LABELS
from marac_prep.ui.text import plain_label, tooltip

if TYPE_CHECKING:  # the data stack loads after the first screen is painted (decision 0100)
    from sqlmodel import Session

    from marac_prep.core.casefile import CaseFile
    from marac_prep.core.first_screen import LeanAgency, LeanReturnRow
    from marac_prep.core.models import Agency
    from marac_prep.core.returns import ReturnRow

    # The first screen's rows (read without the ORM) have the same attributes as the ORM's.
    AnyReturnRow = ReturnRow | LeanReturnRow
    AnyAgency = Agency | LeanAgency

CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
AGENCY_ID_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
SILENT_ROLE = Qt.ItemDataRole.UserRole + 4
_Index = QModelIndex | QPersistentModelIndex

# Short cell texts; the tooltip carries the full story.
_CELL_TEXT = {
    "returned": "Returned",
    "nothing_known": "Nothing known",
    "chased": "Chased",
    "requested": "Requested",
    "not_requested": "Not requested",
    "declined": "Declined",
}
_CELL_COLOUR = {
    "returned": QColor("#d5efd9"),
    "nothing_known": QColor("#e8f2e2"),
    "declined": QColor("#fbe3c4"),
}
_SILENT_COLOUR = QColor("#f6c4c0")
_NOT_EXPECTED_COLOUR = QColor("#f3f3f3")


@dataclass(frozen=True)
class GapMatrixRow:
    """One case in the matrix.

    Attributes:
        returns: the case's return rows (expected agencies and any with a record).
        agencies_with_entries: agencies holding chronology entries on the case (so not silent).
    """

    case_id: int
    reference: str
    returns: tuple[AnyReturnRow, ...]
    agencies_with_entries: frozenset[int]

    @classmethod
    def from_case_file(cls, case_file: CaseFile) -> GapMatrixRow:
        return cls(
            case_id=case_file.case.id or 0,
            reference=case_file.case.reference,
            returns=tuple(case_file.returns),
            agencies_with_entries=frozenset(e.agency_id for e in case_file.entries),
        )

    def row_for(self, agency_id: int) -> AnyReturnRow | None:
        return next((r for r in self.returns if r.agency.id == agency_id), None)

    def silent(self, agency_id: int) -> bool:
        """The same reading as the gap analysis: expected, unanswered and holding no entries."""
        row = self.row_for(agency_id)
        return row is not None and row.expected and not row.answered and agency_id not in self.agencies_with_entries


def load_matrix_rows(session: Session, meeting_id: int) -> list[GapMatrixRow]:
    """The meeting's matrix rows, in agenda order: the rows `GapMatrixRow.from_case_file` gives for
    each of `load_meeting_files`' case files, read with a few small queries.

    The matrix needs only each case's return records, whether it has children (who make more
    agencies expected) and which agencies hold current entries – not the entries themselves, the
    people matched across the workspace or the earlier Maracs a full case file carries. This keeps
    the meeting page quick to fill on a large workspace (the `startup_usable` benchmark).
    """
    from sqlmodel import col, select

    from marac_prep.core.cases import cases_for_meeting
    from marac_prep.core.meetings import get_meeting
    from marac_prep.core.models import Agency, AgencyReturn, ChronologyEntry, Person
    from marac_prep.core.returns import return_rows

    get_meeting(session, meeting_id)  # a meeting deleted meanwhile is said so, as for the full read
    cases = cases_for_meeting(session, meeting_id)
    if not cases:
        return []
    ids = [c.id or 0 for c in cases]
    agencies = list(session.exec(select(Agency).order_by(col(Agency.id))).all())
    with_children = set(
        session.exec(select(Person.case_id).where(col(Person.case_id).in_(ids), Person.role == "child")).all()
    )
    records: dict[int, dict[int, AgencyReturn]] = {i: {} for i in ids}
    for record in session.exec(select(AgencyReturn).where(col(AgencyReturn.case_id).in_(ids))).all():
        records[record.case_id][record.agency_id] = record
    with_entries: dict[int, set[int]] = {i: set() for i in ids}
    entries: Any = ChronologyEntry.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    # Current entries only, as `entry_records` reads them: a withdrawn entry does not answer for its agency.
    for case_id, agency_id in session.exec(
        select(entries.c.case_id, entries.c.agency_id)
        .where(entries.c.case_id.in_(ids), entries.c.withdrawn_at.is_(None))
        .distinct()
    ).all():
        with_entries[case_id].add(agency_id)
    return [
        GapMatrixRow(
            case_id=case.id or 0,
            reference=case.reference,
            returns=tuple(return_rows(agencies, records[case.id or 0], has_children=case.id in with_children)),
            agencies_with_entries=frozenset(with_entries[case.id or 0]),
        )
        for case in cases
    ]


class GapMatrixModel(QAbstractTableModel):
    """Adapts loaded rows for the view; never opens a session.

    Columns are every agency that appears in any case, in agency order.
    """

    def __init__(self, rows: list[GapMatrixRow] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[GapMatrixRow] = []
        self._agencies: list[AnyAgency] = []
        self.set_rows(rows or [])

    def set_rows(self, rows: list[GapMatrixRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        agencies: dict[int, AnyAgency] = {}
        for row in rows:
            for ret in row.returns:
                agencies.setdefault(ret.agency.id or 0, ret.agency)
        self._agencies = [agencies[k] for k in sorted(agencies)]
        self.endResetModel()

    def agency(self, column: int) -> AnyAgency:
        return self._agencies[column]

    def case_row(self, row: int) -> GapMatrixRow:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  # Override.
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  # Override.
        return 0 if parent.isValid() else len(self._agencies)

    def headerData(  # Override QAbstractItemModel.headerData.
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._agencies):
            agency = self._agencies[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return agency.short_code
            if role == Qt.ItemDataRole.ToolTipRole:
                return tooltip(agency.name)
        vertical = orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows)
        if vertical and role == Qt.ItemDataRole.DisplayRole:
            return self._rows[section].reference
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # Override.
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not 0 <= index.column() < len(self._agencies):
            return None
        case = self._rows[index.row()]
        agency = self._agencies[index.column()]
        agency_id = agency.id or 0
        ret = case.row_for(agency_id)
        silent = case.silent(agency_id)
        status = ret.status if ret else None
        if role == Qt.ItemDataRole.DisplayRole:
            if ret is None:
                return "–"
            text = _CELL_TEXT.get(ret.status, ret.status)
            if ret.status == "chased" and ret.record is not None and ret.record.chase_count > 1:
                text += f" ×{ret.record.chase_count}"
            return text
        if role == Qt.ItemDataRole.BackgroundRole:
            if silent:
                return QBrush(_SILENT_COLOUR)
            if ret is None or not ret.expected:
                return QBrush(_NOT_EXPECTED_COLOUR)
            colour = _CELL_COLOUR.get(ret.status)
            return QBrush(colour) if colour else None
        if role == Qt.ItemDataRole.ForegroundRole and silent:
            return QBrush(QColor("#7a1010"))
        if role == Qt.ItemDataRole.FontRole and silent:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(_explain(case, agency, ret, silent))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _explain(case, agency, ret, silent)
        if role == CASE_ID_ROLE:
            return case.case_id
        if role == AGENCY_ID_ROLE:
            return agency_id
        if role == STATUS_ROLE:
            return status
        if role == SILENT_ROLE:
            return silent
        return None


def _explain(case: GapMatrixRow, agency: AnyAgency, ret: AnyReturnRow | None, silent: bool) -> str:
    """The tooltip sentence(s) for one cell."""
    if ret is None:
        return f"{agency.name} is not expected on {case.reference} and has no return."
    lines = [f"{agency.name} on {case.reference}: {RETURN_STATUS_LABELS.get(ret.status, ret.status)}."]
    record = ret.record
    if record is not None:
        if record.requested_on:
            lines.append(f"Requested {display_day(record.requested_on)}.")
        if record.chased_on:
            times = f"{record.chase_count} time{'s' if record.chase_count != 1 else ''}"
            lines.append(f"Chased {times}, last {display_day(record.chased_on)}.")
        if record.returned_on:
            lines.append(f"Answered {display_day(record.returned_on)}.")
    if silent:
        lines.append("Expected on this case and silent: no entries and no 'nothing known'.")
    elif ret.status == "nothing_known":
        lines.append("Checked its records and holds nothing: an answer, not a gap.")
    elif not ret.expected:
        lines.append("Not expected on this case.")
    lines.append("Double-click to open the case's returns.")
    return "\n".join(lines)


class GapMatrixView(QWidget):
    """The matrix with a one-line key; silent cells stand out in red.

    Signals:
        case_activated(int): a case id, when a row header or cell is double-clicked or Enter pressed.
        return_activated(int, int): (case id, agency id) of the activated cell, to open that return.
    """

    case_activated = Signal(int)
    return_activated = Signal(int, int)

    def __init__(self, rows: list[GapMatrixRow] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = GapMatrixModel(rows, self)
        self.table = QTableView(self)
        self.table.setObjectName("gap_matrix")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(self._on_activated)
        self.table.verticalHeader().sectionDoubleClicked.connect(self._on_row_header)
        self.summary = plain_label("", self, name="gap_matrix_summary")
        key = plain_label(
            "Red: expected agency silent (no entries, no 'nothing known'). Green: answered. Grey: not expected.",
            self,
        )
        key.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(key)
        self._update_summary()

    def set_rows(self, rows: list[GapMatrixRow]) -> None:
        """Shows the rows; the chosen cell (by case and agency) and the scroll position stay."""
        index = self.table.currentIndex()
        kept = None
        if index.isValid():
            kept = (self.model.case_row(index.row()).case_id, self.model.agency(index.column()).id)
        scroll = (self.table.verticalScrollBar().value(), self.table.horizontalScrollBar().value())
        self.model.set_rows(rows)
        if kept is not None:
            self._choose(*kept)
        self.table.verticalScrollBar().setValue(scroll[0])
        self.table.horizontalScrollBar().setValue(scroll[1])
        self._update_summary()

    def _choose(self, case_id: int, agency_id: int | None) -> None:
        for row in range(self.model.rowCount()):
            if self.model.case_row(row).case_id != case_id:
                continue
            for column in range(self.model.columnCount()):
                if self.model.agency(column).id == agency_id:
                    self.table.setCurrentIndex(self.model.index(row, column))
                    return

    @classmethod
    def from_case_files(cls, case_files: list[CaseFile], parent: QWidget | None = None) -> GapMatrixView:
        return cls([GapMatrixRow.from_case_file(cf) for cf in case_files], parent)

    def silent_count(self) -> int:
        return sum(
            1
            for r in range(self.model.rowCount())
            for c in range(self.model.columnCount())
            if self.model.index(r, c).data(SILENT_ROLE)
        )

    def _update_summary(self) -> None:
        cases = self.model.rowCount()
        silent = self.silent_count()
        self.summary.setText(
            f"{cases} case{'s' if cases != 1 else ''}; {silent} expected return{'s' if silent != 1 else ''} "
            "still silent."
        )

    def _on_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        case_id = int(index.data(CASE_ID_ROLE))
        self.case_activated.emit(case_id)
        self.return_activated.emit(case_id, int(index.data(AGENCY_ID_ROLE)))

    def _on_row_header(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.case_activated.emit(self.model.case_row(row).case_id)
