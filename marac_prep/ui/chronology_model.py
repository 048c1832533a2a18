"""The combined chronology as a Qt table: rows already loaded, filtered and sorted by a proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from marac_prep.core.casefile import CaseFile
from marac_prep.core.dates import PartialDate
from marac_prep.core.vocabulary import event_type_label, high_risk_indicators, risk_indicator_label
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import agency_colour, agency_tint, tooltip

ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_ROLE = Qt.ItemDataRole.UserRole + 3

COLUMNS = ("Date", "Agency", "Event type", "Summary", "Risk indicators", "Source")
DATE, AGENCY, EVENT, SUMMARY, RISK, SOURCE = range(len(COLUMNS))
_PRECISION_WORDS = {"day": "exact day", "month": "month only", "year": "year only"}

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ChronologyRow:
    """One chronology entry, formatted once for display (the model never opens a session)."""

    entry_id: int
    version: int
    when: PartialDate
    time: str
    sequence: int
    agency_id: int
    agency_name: str
    agency_code: str
    event_type: str
    summary: str
    detail: str
    risk_indicators: tuple[str, ...]
    source_ref: str
    recorded_by: str
    fact_or_opinion: str

    @property
    def date_text(self) -> str:
        return self.when.display() + (f" {self.time}" if self.time else "")

    @property
    def risk_text(self) -> str:
        return ", ".join(risk_indicator_label(r) for r in self.risk_indicators)

    @property
    def source_text(self) -> str:
        return " · ".join(part for part in (self.source_ref, self.recorded_by) if part)

    @cached_property
    def sort_key(self) -> str:
        return f"{self.when.value.isoformat()}|{self.sequence:06d}|{self.time or '99:99'}|{self.entry_id:09d}"

    @cached_property
    def search_text(self) -> str:
        """Everything the find box searches, folded once (not on every keystroke)."""
        return " ".join(
            (
                self.summary,
                self.detail,
                self.agency_name,
                event_type_label(self.event_type),
                self.risk_text,
                self.source_ref,
                self.recorded_by,
                self.when.display(),
            )
        ).casefold()

    @property
    def has_high_risk(self) -> bool:
        return bool(set(self.risk_indicators) & high_risk_indicators())


def chronology_rows(case_file: CaseFile, progress: Callable[[int, int], None] | None = None) -> list[ChronologyRow]:
    """The case's entries as display rows, by date then sequence (the core's order)."""
    rows: list[ChronologyRow] = []
    total = len(case_file.entries)
    for number, entry in enumerate(case_file.entries, start=1):
        agency = case_file.agencies.get(entry.agency_id)
        rows.append(
            ChronologyRow(
                entry_id=entry.id or 0,
                version=entry.version,
                when=entry.partial_date,
                time=entry.event_time or "",
                sequence=entry.sequence,
                agency_id=entry.agency_id,
                agency_name=agency.name if agency else "",
                agency_code=agency.short_code if agency else "",
                event_type=entry.event_type,
                summary=entry.summary,
                detail=entry.detail,
                risk_indicators=tuple(entry.risk_indicators),
                source_ref=entry.source_ref,
                recorded_by=entry.recorded_by,
                fact_or_opinion=entry.fact_or_opinion,
            )
        )
        # Folded here, on the loading thread, so the first keystroke in the find box is as quick as the rest.
        _ = rows[-1].search_text, rows[-1].sort_key
        if progress is not None and (number % 500 == 0 or number == total):
            progress(number, total)
    return rows


class ChronologyTableModel(LineTableModel):
    """Adapts a list of `ChronologyRow` to a table; one row per entry, in the chronology's order."""

    COLUMNS = COLUMNS

    @property
    def rows(self) -> list[ChronologyRow]:
        return self.lines

    def set_rows(self, rows: Iterable[ChronologyRow]) -> None:
        self.set_lines(rows)

    def row_at(self, row: int) -> ChronologyRow:
        return self.lines[row]

    def row_of_entry(self, entry_id: int) -> int:
        return next((i for i, r in enumerate(self.lines) if r.entry_id == entry_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.data."""
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == ENTRY_ID_ROLE:
            return row.entry_id
        if role == SORT_ROLE:
            return self._sort_value(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == AGENCY:
            return agency_colour(row.agency_code)
        if role == Qt.ItemDataRole.BackgroundRole and column == AGENCY:
            return agency_tint(row.agency_code)
        if role == Qt.ItemDataRole.FontRole and column == RISK and row.has_high_risk:
            return self._bold
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[column]}: {self._display(row, column)}"
        return None

    @staticmethod
    def _display(row: ChronologyRow, column: int) -> str:
        if column == DATE:
            return row.date_text
        if column == AGENCY:
            return row.agency_name
        if column == EVENT:
            return event_type_label(row.event_type)
        if column == SUMMARY:
            # One line in the table; the full text is in the tooltip and the entry.
            return " ".join(row.summary.split())
        if column == RISK:
            return row.risk_text
        return row.source_text

    @staticmethod
    def _tooltip(row: ChronologyRow, column: int) -> str:
        if column == DATE:
            precision = _PRECISION_WORDS.get(row.when.precision, row.when.precision)
            approx = ", approximate" if row.when.approximate else ""
            return tooltip(f"{row.when.display()} ({precision}{approx})")
        if column == SUMMARY:
            text = row.summary + (f"\n\n{row.detail}" if row.detail else "")
            return tooltip(f"{text}\n\n({row.fact_or_opinion})")
        return tooltip(ChronologyTableModel._display(row, column))

    @staticmethod
    def _sort_value(row: ChronologyRow, column: int) -> str:
        if column in (DATE, -1):
            return row.sort_key
        return f"{ChronologyTableModel._display(row, column).casefold()}|{row.sort_key}"


class ChronologyFilterProxyModel(QSortFilterProxyModel):
    """Filters the chronology by agencies, event types, free text, date range and risk.

    Attributes:
        agency_ids: agencies shown, or None for all.
        event_types: event type ids shown, or None for all.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.agency_ids: frozenset[int] | None = None
        self.event_types: frozenset[str] | None = None
        self.text = ""
        self.words: list[str] = []
        self.date_from: date | None = None
        self.date_to: date | None = None
        self.risk_only = False
        self._generation = 0  # bumped on every filter change
        self._accepted: list[bool] = []
        self._accepted_key: tuple[int, int] | None = None
        self.setSortRole(SORT_ROLE)

    def set_filters(
        self,
        *,
        agency_ids: Iterable[int] | None = None,
        event_types: Iterable[str] | None = None,
        text: str = "",
        date_from: date | None = None,
        date_to: date | None = None,
        risk_only: bool = False,
    ) -> None:
        self.beginFilterChange()
        self.agency_ids = None if agency_ids is None else frozenset(agency_ids)
        self.event_types = None if event_types is None else frozenset(event_types)
        self.text = text.strip().casefold()
        self.words = self.text.split()
        self.date_from, self.date_to, self.risk_only = date_from, date_to, risk_only
        self._generation += 1
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def source_row(self, proxy_row: int) -> ChronologyRow:
        model = self.sourceModel()
        assert isinstance(model, ChronologyTableModel)
        return model.row_at(self.mapToSource(self.index(proxy_row, 0)).row())

    def setSourceModel(self, model: Any) -> None:  # Override QSortFilterProxyModel.setSourceModel.
        super().setSourceModel(model)
        # New or changed rows make the worked-out answers stale.
        # The "about to" signals come before the proxy's own handling of the change.
        for signal in (
            model.modelAboutToBeReset,
            model.rowsAboutToBeInserted,
            model.rowsAboutToBeRemoved,
            model.layoutAboutToBeChanged,
            model.modelReset,
            model.rowsInserted,
            model.rowsRemoved,
            model.dataChanged,
            model.layoutChanged,
        ):
            signal.connect(self._forget_accepted)

    def _forget_accepted(self, *_args: Any) -> None:
        self._generation += 1

    def accepts(self, row: ChronologyRow) -> bool:
        """Whether one row passes the current filters."""
        if self.agency_ids is not None and row.agency_id not in self.agency_ids:
            return False
        if self.event_types is not None and row.event_type not in self.event_types:
            return False
        if self.risk_only and not row.risk_indicators:
            return False
        # A partial date is kept when any day of its period falls in the range.
        if self.date_from is not None and row.when.last_day() < self.date_from:
            return False
        if self.date_to is not None and row.when.value > self.date_to:
            return False
        if self.words:
            haystack = row.search_text
            return all(word in haystack for word in self.words)
        return True

    def _accepted_rows(self, lines: list[ChronologyRow]) -> list[bool]:
        # Worked out once per filter change, in one pass: Qt then asks row by row, and each of
        # those 10,000 calls must be a lookup, not the filtering itself.
        key = (len(lines), self._generation)
        if self._accepted_key != key:
            self._accepted = [self.accepts(row) for row in lines]
            self._accepted_key = key
        return self._accepted

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        """Override QSortFilterProxyModel.filterAcceptsRow."""
        model = self.sourceModel()
        if not isinstance(model, ChronologyTableModel) or source_parent.isValid():
            return True
        accepted = self._accepted_rows(model.lines)
        return accepted[source_row] if source_row < len(accepted) else True
