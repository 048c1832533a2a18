"""The chronology tab: a filter bar over the combined multi-agency table."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.dates import parse_uk_date
from marac_prep.core.errors import ValidationError
from marac_prep.core.vocabulary import event_types
from marac_prep.ui.chronology_model import (
    ENTRY_ID_ROLE,
    SUMMARY,
    ChronologyFilterProxyModel,
    ChronologyRow,
    ChronologyTableModel,
)
from marac_prep.ui.text import literal_menu_text, plain_label

_HEADER_KEY = "chronology/header"


class ChoiceButton(QToolButton):
    """A drop-down of checkable choices ("Agencies: all"); several may be chosen at once.

    Signals:
        changed(): the set of chosen values changed.
    """

    changed = Signal()

    def __init__(self, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._noun = noun
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(QMenu(self))
        self.setAccessibleName(f"Filter by {noun.lower()}")
        self._refresh_text()

    def set_choices(self, choices: list[tuple[object, str]]) -> None:
        menu = self.menu()
        menu.clear()
        for value, label in choices:
            action = QAction(literal_menu_text(label), menu)
            action.setCheckable(True)
            action.setData(value)
            action.toggled.connect(self._on_toggled)
            menu.addAction(action)
        self._refresh_text()

    def actions_by_label(self) -> dict[str, QAction]:
        return {a.text().replace("&&", "&"): a for a in self.menu().actions()}

    def chosen(self) -> list[object] | None:
        """The chosen values, or None when nothing is ticked (meaning: all)."""
        values = [a.data() for a in self.menu().actions() if a.isChecked()]
        return values or None

    def clear_choice(self) -> None:
        for action in self.menu().actions():
            action.blockSignals(True)
            action.setChecked(False)
            action.blockSignals(False)
        self._refresh_text()

    def _on_toggled(self, _checked: bool) -> None:
        self._refresh_text()
        self.changed.emit()

    def _refresh_text(self) -> None:
        ticked = [a.text() for a in self.menu().actions() if a.isChecked()]
        if not ticked:
            self.setText(f"{self._noun}: all")
        elif len(ticked) == 1:
            self.setText(f"{self._noun}: {ticked[0]}")
        else:
            self.setText(f"{self._noun}: {len(ticked)} chosen")


class ChronologyPanel(QWidget):
    """Filters, the chronology table and a count.

    Signals:
        entry_activated(int): the user opened an entry (double-click or Enter).
    """

    entry_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ChronologyTableModel(self)
        self.proxy = ChronologyFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)

        self.agencies = ChoiceButton("Agencies", self)
        self.event_types = ChoiceButton("Event types", self)
        self.event_types.set_choices([(e.id, e.label) for e in event_types()])
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find in the chronology (Ctrl+F)")
        self.search.setAccessibleName("Find text in the chronology")
        self.search.setClearButtonEnabled(True)
        self.date_from = QLineEdit(self)
        self.date_from.setPlaceholderText("From, e.g. 01/01/2025")
        self.date_from.setAccessibleName("Show entries from this date")
        self.date_to = QLineEdit(self)
        self.date_to.setPlaceholderText("To, e.g. Mar 2026")
        self.date_to.setAccessibleName("Show entries up to this date")
        for field in (self.date_from, self.date_to):
            field.setMaximumWidth(150)
        self.risk_only = QCheckBox("Risk indicators only", self)
        self.clear_button = QPushButton("Clear filters", self)
        self.count = plain_label("", self, name="chronologyCount")
        self.filter_error = plain_label("", self, name="inlineError")
        self.filter_error.hide()

        self.table = QTableView(self)
        self.table.setObjectName("chronologyTable")
        self.table.setAccessibleName("Combined chronology")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the chronology's own order
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(SUMMARY, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((150, 150, 150, 400, 180, 150)):
            self.table.setColumnWidth(column, width)
        # activated covers a double-click and Enter, so keyboard users can open entries too.
        self.table.activated.connect(self._on_activated)

        bar = QHBoxLayout()
        bar.addWidget(self.agencies)
        bar.addWidget(self.event_types)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.date_from)
        bar.addWidget(self.date_to)
        bar.addWidget(self.risk_only)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.filter_error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)

        self.agencies.changed.connect(self._on_filter_changed)
        self.event_types.changed.connect(self._on_filter_changed)
        self.search.textChanged.connect(self._on_filter_changed)
        self.date_from.editingFinished.connect(self._on_filter_changed)
        self.date_to.editingFinished.connect(self._on_filter_changed)
        self.risk_only.toggled.connect(self._on_filter_changed)
        self.clear_button.clicked.connect(self.clear_filters)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)

    def set_rows(self, rows: list[ChronologyRow], agencies: list[tuple[int, str]]) -> None:
        """Shows a case's chronology; agency choices are those the case involves."""
        chosen = self.agencies.chosen()
        self.agencies.set_choices([(i, name) for i, name in agencies])
        if chosen:
            for action in self.agencies.menu().actions():
                action.setChecked(action.data() in chosen)
        self.model.set_rows(rows)  # the proxy filters the new rows as it stands
        if self.agencies.chosen() != chosen:
            # A chosen agency is not in this case (none left means "all"): filter by what the button says.
            self._on_filter_changed()
        else:
            self._update_count()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def clear_filters(self) -> None:
        for widget in (self.search, self.date_from, self.date_to):
            widget.blockSignals(True)
            widget.clear()
            widget.blockSignals(False)
        self.risk_only.blockSignals(True)
        self.risk_only.setChecked(False)
        self.risk_only.blockSignals(False)
        self.agencies.clear_choice()
        self.event_types.clear_choice()
        self._on_filter_changed()

    def current_entry_id(self) -> int | None:
        index = self.table.currentIndex()
        return int(index.data(ENTRY_ID_ROLE)) if index.isValid() else None

    def select_entry(self, entry_id: int) -> None:
        source_row = self.model.row_of_entry(entry_id)
        if source_row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)

    def save_state(self, settings: QSettings) -> None:
        settings.setValue(_HEADER_KEY, self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value(_HEADER_KEY) if settings.contains(_HEADER_KEY) else None
        if state is not None:
            self.table.horizontalHeader().restoreState(state)

    def _parse_day(self, field: QLineEdit, *, end: bool) -> date | None:
        text = field.text().strip()
        if not text:
            return None
        parsed = parse_uk_date(text)
        return parsed.last_day() if end else parsed.value

    def _on_filter_changed(self, *_args: object) -> None:
        try:
            date_from = self._parse_day(self.date_from, end=False)
            date_to = self._parse_day(self.date_to, end=True)
        except ValidationError as exc:
            self.filter_error.setText(str(exc))
            self.filter_error.show()
            return
        self.filter_error.hide()
        agencies = self.agencies.chosen()
        kinds = self.event_types.chosen()
        current = self.current_entry_id()  # kept selected when it still passes the filters
        self.proxy.set_filters(
            agency_ids=None if agencies is None else [int(str(a)) for a in agencies],
            event_types=None if kinds is None else [str(k) for k in kinds],
            text=self.search.text(),
            date_from=date_from,
            date_to=date_to,
            risk_only=self.risk_only.isChecked(),
        )
        if current is not None:
            self.select_entry(current)
        self._update_count()

    def _update_count(self, *_args: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = "entry" if total == 1 else "entries"
        self.count.setText(f"{total} {noun}" if shown == total else f"{shown} of {total} {noun} shown")

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.entry_activated.emit(int(index.data(ENTRY_ID_ROLE)))
