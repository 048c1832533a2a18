"""The combined chronology as a Qt table: rows already loaded, filtered and sorted by a proxy."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from operator import attrgetter
from typing import Any

from PySide6.QtCore import (
    QAbstractProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from sqlmodel import Session

from marac_prep.core.casefile import CaseFile
from marac_prep.core.dates import PartialDate
from marac_prep.core.vocabulary import event_type_label, high_risk_indicators, risk_indicator_label
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import agency_colour, agency_tint

ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_ROLE = Qt.ItemDataRole.UserRole + 3

COLUMNS = ("Date", "Agency", "Event type", "Summary", "Risk indicators", "Source")
DATE, AGENCY, EVENT, SUMMARY, RISK, SOURCE = range(len(COLUMNS))
# A withheld entry says so in words at the start of its summary (not by colour alone).
WITHHELD_MARK = "[Withheld] "
WITHHELD_COLOUR = QColor("#6b5b00")
WITHDRAWN_MARK = "[Withdrawn] "
WITHDRAWN_COLOUR = QColor("#6b7280")
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
    shareable: bool = True
    withheld_reason: str = ""
    withdrawn: bool = False
    withdrawn_reason: str = ""

    @property
    def withdrawn_text(self) -> str:
        return "Withdrawn: no longer part of the chronology" + (
            f" ({self.withdrawn_reason})" if self.withdrawn_reason else ""
        )

    @property
    def withheld(self) -> bool:
        """Not to be shared at the Marac: left out of the pack and of shareable exports."""
        return not self.shareable

    @property
    def withheld_text(self) -> str:
        return "Withheld: not shared at the Marac or in the pack" + (
            f" ({self.withheld_reason})" if self.withheld_reason else ""
        )

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


def entry_row(entry: Any, agency: Any) -> ChronologyRow:
    """One entry (a stored `ChronologyEntry` or a case file's record) as a display row."""
    withdrawn_at = getattr(entry, "withdrawn_at", None)
    return ChronologyRow(
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
        shareable=entry.shareable,
        withheld_reason=entry.withheld_reason,
        withdrawn=withdrawn_at is not None,
        withdrawn_reason=getattr(entry, "withdrawn_reason", "") if withdrawn_at is not None else "",
    )


def chronology_rows(case_file: CaseFile, progress: Callable[[int, int], None] | None = None) -> list[ChronologyRow]:
    """The case's entries as display rows, by date then sequence (the core's order)."""
    rows: list[ChronologyRow] = []
    total = len(case_file.entries)
    for number, entry in enumerate(case_file.entries, start=1):
        rows.append(entry_row(entry, case_file.agencies.get(entry.agency_id)))
        if progress is not None and (number % 500 == 0 or number == total):
            progress(number, total)
    return rows


def withdrawn_rows(session: Session, case_file: CaseFile) -> list[ChronologyRow]:
    """The case's withdrawn entries as rows (the case file leaves them out), shown struck through."""
    from sqlmodel import col, select

    from marac_prep.core.models import ChronologyEntry

    query = select(ChronologyEntry).where(
        ChronologyEntry.case_id == (case_file.case.id or 0), col(ChronologyEntry.withdrawn_at).is_not(None)
    )
    return [entry_row(e, case_file.agencies.get(e.agency_id)) for e in session.exec(query).all()]


def fold_search_texts(rows: Iterable[ChronologyRow]) -> None:
    """Works out each row's find-box text now (off the GUI thread), so the first keystroke is as
    quick as the rest."""
    for row in rows:
        _ = row.search_text


_ENTRY_ID = attrgetter("entry_id")


def position_of_entry(rows: Sequence[ChronologyRow], entry_id: int) -> int:
    """Where an entry's row is in `rows` (-1 if absent): the scan runs in C (`map` and
    `list.index`), a fraction of a Python loop's cost over a 10,000-row case – it is on the
    path of every save."""
    try:
        return list(map(_ENTRY_ID, rows)).index(entry_id)
    except ValueError:
        return -1


class ChronologyTableModel(LineTableModel):
    """Adapts a list of `ChronologyRow` to a table; one row per entry, in the chronology's order."""

    COLUMNS = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids: set[int] = set()
        self._hint = (0, -1)  # (entry id, row) of the last row put in, checked before use

    @property
    def rows(self) -> list[ChronologyRow]:
        return self.lines

    def set_rows(self, rows: Iterable[ChronologyRow]) -> None:
        self.set_lines(rows)

    def set_lines(self, lines: Iterable[Any]) -> None:  # Override LineTableModel.set_lines.
        self.beginResetModel()
        self.lines = list(lines)
        # The entries shown, so that asking where a new entry is does not scan 10,000 rows to
        # learn it is nowhere (entry_save); kept by every change below, the only ones made.
        self._ids = {line.entry_id for line in self.lines}
        self._hint = (0, -1)
        self.endResetModel()

    def has_entry(self, entry_id: int) -> bool:
        return entry_id in self._ids

    def put_row(self, row: ChronologyRow) -> None:
        """Shows one saved entry without resetting the table: replaced in place, or inserted in date order."""
        at = self.row_of_entry(row.entry_id)
        if at >= 0 and self.lines[at].sort_key == row.sort_key:
            self.lines[at] = row
            self.dataChanged.emit(self.index(at, 0), self.index(at, len(self.COLUMNS) - 1))
            return
        if at >= 0:
            self.remove_entry(row.entry_id)
        # Bisect on the rows themselves: no list of 10,000 keys built for one insertion.
        position = bisect.bisect_right(self.lines, row.sort_key, key=lambda line: line.sort_key)
        self.beginInsertRows(QModelIndex(), position, position)
        self.lines.insert(position, row)
        self._ids.add(row.entry_id)
        self._hint = (row.entry_id, position)  # the row is selected next: found without a scan
        self.endInsertRows()

    def remove_entry(self, entry_id: int) -> None:
        at = self.row_of_entry(entry_id)
        if at >= 0:
            self.beginRemoveRows(QModelIndex(), at, at)
            del self.lines[at]
            self._ids.discard(entry_id)
            self.endRemoveRows()

    def row_of_entry(self, entry_id: int) -> int:
        if entry_id not in self._ids:
            return -1
        hinted_id, at = self._hint
        if hinted_id == entry_id and 0 <= at < len(self.lines) and self.lines[at].entry_id == entry_id:
            return at
        return position_of_entry(self.lines, entry_id)

    # Wrapped rows show the whole summary; unwrapped rows one line of it (set by the view).
    wrap = False

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.data: a wrapped summary cell shows the whole text."""
        if self.wrap and role == Qt.ItemDataRole.DisplayRole and index.isValid() and index.column() == SUMMARY:
            row = self.lines[index.row()] if 0 <= index.row() < len(self.lines) else None
            if row is not None:
                marks = (WITHHELD_MARK if row.withheld else "") + (WITHDRAWN_MARK if row.withdrawn else "")
                return marks + row.summary
        return super().data(index, role)

    def _role(self, row: ChronologyRow, column: int, role: int) -> Any:
        if role == ROW_ROLE:
            return row
        if role == ENTRY_ID_ROLE:
            return row.entry_id
        if role == SORT_ROLE:
            return self.sort_value(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == AGENCY:
            return agency_colour(row.agency_code)
        if role == Qt.ItemDataRole.BackgroundRole and column == AGENCY:
            return agency_tint(row.agency_code)
        if role == Qt.ItemDataRole.FontRole and row.withdrawn:
            return self._struck
        if role == Qt.ItemDataRole.ForegroundRole and row.withdrawn:
            return WITHDRAWN_COLOUR
        if role == Qt.ItemDataRole.FontRole and column == RISK and row.has_high_risk:
            return self._bold
        if role == Qt.ItemDataRole.FontRole and row.withheld and column == SUMMARY:
            return self._italic
        if role == Qt.ItemDataRole.ForegroundRole and row.withheld and column == SUMMARY:
            return WITHHELD_COLOUR
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
            marks = (WITHHELD_MARK if row.withheld else "") + (WITHDRAWN_MARK if row.withdrawn else "")
            return marks + " ".join(row.summary.split())
        if column == RISK:
            return row.risk_text
        return row.source_text

    @staticmethod
    def _tooltip_text(row: ChronologyRow, column: int) -> str:
        text = ChronologyTableModel._plain_tooltip(row, column)
        if row.withheld and column != SUMMARY:
            text += f"\n\n{row.withheld_text}"
        if row.withdrawn:
            text += f"\n\n{row.withdrawn_text}"
        return text

    @staticmethod
    def _plain_tooltip(row: ChronologyRow, column: int) -> str:
        if column == DATE:
            precision = _PRECISION_WORDS.get(row.when.precision, row.when.precision)
            approx = ", approximate" if row.when.approximate else ""
            return f"{row.when.display()} ({precision}{approx})"
        if column == SUMMARY:
            text = row.summary + (f"\n\n{row.detail}" if row.detail else "")
            withheld = f"\n\n{row.withheld_text}" if row.withheld else ""
            return f"{text}\n\n({row.fact_or_opinion}){withheld}"
        return ChronologyTableModel._display(row, column)

    @staticmethod
    def sort_value(row: ChronologyRow, column: int) -> str:
        if column in (DATE, -1):
            return row.sort_key
        return f"{ChronologyTableModel._display(row, column).casefold()}|{row.sort_key}"


class ChronologyFilterProxyModel(QAbstractProxyModel):
    """Filters the chronology by agencies, event types, free text, date range and risk, and sorts it.

    A proxy of our own rather than a QSortFilterProxyModel: that one asks Python about every row
    (10,000 calls on a long chronology) on each keystroke in the find box, and announces the rows
    it hides range by range. Here the rows shown are worked out in one pass and announced once.
    The source model changes by a reset (`LineTableModel.set_lines`) or, for one saved entry, by
    one inserted row (`put_row`), followed here by one inserted row when it passes the filters;
    any other change is followed by filtering afresh.

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
        self._shown: list[int] = []  # source rows, in the order shown
        self._proxy_rows: dict[int, int] | None = {}  # source row -> row shown; None until asked for
        self._sort_column = -1  # -1: the chronology's own order
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._sort_keys: dict[int, list[str]] = {}  # per column, worked out on the first sort by it

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
        self.agency_ids = None if agency_ids is None else frozenset(agency_ids)
        self.event_types = None if event_types is None else frozenset(event_types)
        self.text = text.strip().casefold()
        self.words = self.text.split()
        self.date_from, self.date_to, self.risk_only = date_from, date_to, risk_only
        self.beginResetModel()
        self._refilter()
        self.endResetModel()

    def source_row(self, proxy_row: int) -> ChronologyRow:
        return self._lines()[self._shown[proxy_row]]

    def setSourceModel(self, model: Any) -> None:  # Override QAbstractProxyModel.setSourceModel.
        if not isinstance(model, ChronologyTableModel):
            raise TypeError("the chronology proxy shows a ChronologyTableModel")
        self.beginResetModel()
        super().setSourceModel(model)
        for about_to, done in (
            (model.modelAboutToBeReset, model.modelReset),
            (model.rowsAboutToBeRemoved, model.rowsRemoved),
            (model.layoutAboutToBeChanged, model.layoutChanged),
        ):
            about_to.connect(self._source_changing)
            done.connect(self._source_changed)
        # One saved entry inserted (`put_row`) is one row inserted here too, not a reset: on a
        # 10,000-entry case the view keeps its state and the save repaints sooner (entry_save).
        model.rowsInserted.connect(self._source_rows_inserted)
        model.dataChanged.connect(self._source_data_changed)
        self._refilter()
        self.endResetModel()

    def _source_changing(self, *_args: Any) -> None:
        self.beginResetModel()

    def _source_changed(self, *_args: Any) -> None:
        self._sort_keys.clear()
        self._refilter()
        self.endResetModel()

    def _source_rows_inserted(self, _parent: Any, first: int, last: int) -> None:
        lines = self._lines()
        count = last - first + 1
        if self._sort_column >= 0 or count != 1:
            # Sorted by a column (the new row's place needs the sort keys) or several rows: filter afresh.
            self.beginResetModel()
            self._source_changed()
            return
        self._sort_keys.clear()
        # Unsorted, the rows shown are in source order: the source rows after `first` move down one.
        # First the same rows shown, their source rows renumbered: what a view reads while told
        # of the insertion is still the rows it had.
        position = bisect.bisect_left(self._shown, first)
        shifted = self._shown[:position] + [source + 1 for source in self._shown[position:]]
        self._set_shown(shifted)
        if not self.accepts(lines[first]):
            return
        self.beginInsertRows(QModelIndex(), position, position)
        self._set_shown([*shifted[:position], first, *shifted[position:]])
        self.endInsertRows()

    def _set_shown(self, shown: list[int]) -> None:
        self._shown = shown
        self._proxy_rows = None  # worked out when first asked for: a saved row changes it twice

    @property
    def _proxy_row(self) -> dict[int, int]:
        if self._proxy_rows is None:
            self._proxy_rows = {source: proxy for proxy, source in enumerate(self._shown)}
        return self._proxy_rows

    def _source_data_changed(self, *_args: Any) -> None:
        self._source_changing()
        self._source_changed()

    def _lines(self) -> list[ChronologyRow]:
        model = self.sourceModel()
        return model.lines if isinstance(model, ChronologyTableModel) else []

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

    def _matching(self, lines: list[ChronologyRow]) -> list[int]:
        """The source rows passing the filters, in one pass; typing in the find box (text only,
        the commonest change) is a substring test per row and nothing else."""
        others = (self.agency_ids, self.event_types, self.date_from, self.date_to)
        if all(value is None for value in others) and not self.risk_only:
            if not self.words:
                return list(range(len(lines)))
            if len(self.words) == 1:
                word = self.words[0]
                return [i for i, row in enumerate(lines) if word in row.search_text]
        accepts = self.accepts
        return [i for i, row in enumerate(lines) if accepts(row)]

    def _refilter(self) -> None:
        lines = self._lines()
        shown = self._matching(lines)
        if self._sort_column >= 0:
            keys = self._keys(self._sort_column, lines)
            shown.sort(key=keys.__getitem__, reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        self._set_shown(shown)

    def _keys(self, column: int, lines: list[ChronologyRow]) -> list[str]:
        if column not in self._sort_keys:
            self._sort_keys[column] = [ChronologyTableModel.sort_value(row, column) for row in lines]
        return self._sort_keys[column]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Override QAbstractItemModel.sort: rows keep their selection and place in the view."""
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        sources = [self._shown[index.row()] for index in before]
        self._sort_column, self._sort_order = column, order
        self._refilter()
        after = [
            self.index(self._proxy_row[source], index.column())
            for source, index in zip(sources, before, strict=True)
        ]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def mapToSource(self, proxy_index: _Index) -> QModelIndex:  # Override QAbstractProxyModel.mapToSource.
        model = self.sourceModel()
        if model is None or not proxy_index.isValid() or not 0 <= proxy_index.row() < len(self._shown):
            return QModelIndex()
        return model.index(self._shown[proxy_index.row()], proxy_index.column())

    def mapFromSource(self, source_index: _Index) -> QModelIndex:  # Override QAbstractProxyModel.mapFromSource.
        if not source_index.isValid():
            return QModelIndex()
        source = source_index.row()
        if self._sort_column < 0:
            # In the chronology's own order the rows shown are in source order: a bisect, not the
            # dict of every row shown (rebuilt after each saved row, on a 10,000-row case).
            row = bisect.bisect_left(self._shown, source)
            found = row < len(self._shown) and self._shown[row] == source
            return self.createIndex(row, source_index.column()) if found else QModelIndex()
        proxy = self._proxy_row.get(source)
        return QModelIndex() if proxy is None else self.createIndex(proxy, source_index.column())

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008  Override.
        if parent.isValid() or not 0 <= row < len(self._shown) or not 0 <= column < len(COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, _index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008  a flat table
        return QModelIndex()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  Override QAbstractItemModel.rowCount.
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  Override QAbstractItemModel.columnCount.
        return 0 if parent.isValid() else len(COLUMNS)

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008  Override QAbstractItemModel.hasChildren.
        return not parent.isValid() and bool(self._shown)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.headerData: column titles from the source, rows unnumbered."""
        model = self.sourceModel()
        if orientation == Qt.Orientation.Horizontal and model is not None:
            return model.headerData(section, orientation, role)
        return None
