"""The chronology tab: a filter bar over the combined multi-agency table, and a reading pane.

Several rows can be selected and copied (plain text and an HTML table on the clipboard, so they
paste into Word and Excel); columns can be hidden, moved and sorted (remembered); long text can
wrap; the reading pane shows the selected entry in full.
"""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.dates import parse_uk_date
from marac_prep.core.errors import ValidationError
from marac_prep.core.vocabulary import event_type_label, event_types
from marac_prep.ui.chronology_model import (
    AGENCY,
    COLUMNS,
    ENTRY_ID_ROLE,
    ROW_ROLE,
    SUMMARY,
    ChronologyFilterProxyModel,
    ChronologyRow,
    ChronologyTableModel,
)
from marac_prep.ui.text import literal_menu_text, plain_label

_HEADER_KEY = "chronology/header"
_READING_KEY = "chronology/reading"
_WRAP_KEY = "chronology/wrap"
_SPLIT_KEY = "chronology/split"


def reading_text(row: ChronologyRow) -> str:
    """The whole entry as plain text, for the reading pane."""
    lines = [
        f"{row.date_text} · {row.agency_name} · {event_type_label(row.event_type)}",
        "",
        row.summary,
    ]
    if row.detail:
        lines += ["", row.detail]
    facts = [("Risk indicators", row.risk_text), ("Source", row.source_ref), ("Recorded by", row.recorded_by)]
    lines.append("")
    lines += [f"{label}: {value}" for label, value in facts if value]
    lines.append("Professional opinion" if row.fact_or_opinion == "opinion" else "Fact")
    if row.withheld:
        lines += ["", row.withheld_text]
    if row.withdrawn:
        lines += ["", row.withdrawn_text]
    return "\n".join(lines)


def rows_as_table(header: list[str], rows: list[list[str]]) -> QMimeData:
    """Rows for the clipboard: tab-separated plain text and an HTML table (Word and Excel read both)."""
    plain = "\n".join("\t".join(" ".join(cell.split()) for cell in line) for line in [header, *rows])
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c).replace(chr(10), '<br/>')}</td>" for c in line) + "</tr>"
        for line in rows
    )
    data = QMimeData()
    data.setText(plain)
    data.setHtml(f"<table border='1' cellspacing='0' cellpadding='3'><tr>{cells}</tr>{body}</table>")
    return data


def _hint_width(field: QLineEdit) -> int:
    """The width that shows `field`'s whole placeholder (its frame and margins included).

    QLineEdit's size hint is room for 17 "x"s plus its frame and margins; the frame and margins
    are that hint less the 17 "x"s, whatever the style and font.
    """
    metrics = field.fontMetrics()
    frame = field.sizeHint().width() - 17 * metrics.horizontalAdvance("x")
    return metrics.horizontalAdvance(field.placeholderText()) + frame + metrics.averageCharWidth()


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
    """Filters, the chronology table, a reading pane and a count.

    Signals:
        entry_activated(int): the user opened an entry (double-click or Enter).
        history_requested(int): the user asked for an entry's earlier versions.
        withdraw_requested(int): the user asked to withdraw an entry.
        show_withdrawn_changed(bool): "Show withdrawn" was ticked or unticked.
    """

    entry_activated = Signal(int)
    history_requested = Signal(int)
    withdraw_requested = Signal(int)
    show_withdrawn_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ChronologyTableModel(self)
        self.proxy = ChronologyFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)

        self.agencies = ChoiceButton("Agencies", self)
        self.event_types = ChoiceButton("Event types", self)
        self.event_types.set_choices([(e.id, e.label) for e in event_types()])
        self.search = QLineEdit(self)
        # Short enough to show whole beside the date fields at 1366 wide (its accessible name says more).
        self.search.setPlaceholderText("Find text (Ctrl+F)")
        self.search.setAccessibleName("Find text in the chronology")
        self.search.setClearButtonEnabled(True)
        self.date_from = QLineEdit(self)
        self.date_from.setPlaceholderText("From, e.g. 01/01/2025")
        self.date_from.setAccessibleName("Show entries from this date")
        self.date_to = QLineEdit(self)
        self.date_to.setPlaceholderText("To, e.g. Mar 2026")
        self.date_to.setAccessibleName("Show entries up to this date")
        for field in (self.search, self.date_from, self.date_to):
            field.setMinimumWidth(_hint_width(field))
        self.risk_only = QCheckBox("Risk indicators only", self)
        self.clear_button = QPushButton("Clear filters", self)
        self.view_button = QToolButton(self)
        self.view_button.setText("View")
        self.view_button.setAccessibleName("Chronology view options: reading pane, wrapping, columns")
        self.view_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.view_menu = QMenu(self.view_button)
        self.view_button.setMenu(self.view_menu)
        self.reading_action = self.view_menu.addAction("Reading pane")
        self.reading_action.setCheckable(True)
        self.reading_action.setChecked(True)
        self.wrap_action = self.view_menu.addAction("Wrap long text")
        self.wrap_action.setCheckable(True)
        self.show_withdrawn = self.view_menu.addAction("Show withdrawn entries (struck through)")
        self.show_withdrawn.setCheckable(True)
        self.columns_menu = self.view_menu.addMenu("Columns")
        self.column_actions: list[QAction] = []
        for column, name in enumerate(COLUMNS):
            action = self.columns_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda shown, c=column: self._set_column_shown(c, shown))
            self.column_actions.append(action)
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
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(SUMMARY, QHeaderView.ResizeMode.Stretch)
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda _pos: self.columns_menu.exec(self.cursor().pos()))
        for column, width in enumerate((150, 150, 150, 400, 180, 150)):
            self.table.setColumnWidth(column, width)
        self._fit_agency = True  # until the user's own column widths are restored (restore_state)
        self.copy_action = QAction("&Copy rows", self.table)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selected)
        self.table.addAction(self.copy_action)
        self.history_action = QAction("&History…", self.table)
        self.history_action.triggered.connect(lambda: self._emit_for_current(self.history_requested))
        self.withdraw_action = QAction("&Withdraw…", self.table)
        self.withdraw_action.triggered.connect(lambda: self._emit_for_current(self.withdraw_requested))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.reading = QPlainTextEdit(self)
        self.reading.setObjectName("readingPane")
        self.reading.setAccessibleName("The selected entry in full")
        self.reading.setReadOnly(True)
        self.reading.setPlaceholderText("Select an entry to read it in full here.")
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.reading)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
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
        bar.addWidget(self.view_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.filter_error)
        layout.addWidget(self.splitter, 1)
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
        self.show_withdrawn.toggled.connect(self.show_withdrawn_changed.emit)
        self.reading_action.toggled.connect(self.reading.setVisible)
        self.wrap_action.toggled.connect(self._set_wrap)
        self.table.selectionModel().currentRowChanged.connect(self._update_reading)
        self.proxy.modelReset.connect(self._update_reading)

    def set_rows(self, rows: list[ChronologyRow], agencies: list[tuple[int, str]]) -> None:
        """Shows a case's chronology; agency choices are those the case involves."""
        chosen = self.agencies.chosen()
        self.agencies.set_choices([(i, name) for i, name in agencies])
        if chosen:
            for action in self.agencies.menu().actions():
                action.setChecked(action.data() in chosen)
        self.model.set_rows(rows)  # the proxy filters the new rows as it stands
        self._fit_agency_column()
        if self.agencies.chosen() != chosen:
            # A chosen agency is not in this case (none left means "all"): filter by what the button says.
            self._on_filter_changed()
        else:
            self._update_count()

    # The Agency column grows to its longest name ("Children's Social Care") up to this width; a
    # longer name is elided, its full text in the tooltip.
    AGENCY_MAX_WIDTH = 260
    _CELL_PADDING = 8  # a little air after the name

    def _fit_agency_column(self) -> None:
        """Widens the Agency column to fit the case's longest agency name, swatch and all (never
        narrows it), unless the user's own widths were restored."""
        if not self._fit_agency or self.model.rowCount() == 0:
            return
        metrics = self.table.fontMetrics()
        longest: dict[str, int] = {}
        for row in range(self.model.rowCount()):
            index = self.model.index(row, AGENCY)
            longest.setdefault(str(index.data()), row)
        name = max(longest, key=metrics.horizontalAdvance)
        shown = self.proxy.mapFromSource(self.model.index(longest[name], AGENCY))
        if shown.isValid():  # the delegate's own measure: the colour swatch, margins and the text
            wanted = self.table.sizeHintForIndex(shown).width()
        else:  # filtered out just now: the text and a swatch's room
            wanted = metrics.horizontalAdvance(name) + self.table.iconSize().width() + 3 * self._CELL_PADDING
        wanted = min(self.AGENCY_MAX_WIDTH, wanted + self._CELL_PADDING)
        if wanted > self.table.columnWidth(AGENCY):
            self.table.setColumnWidth(AGENCY, wanted)

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
        settings.setValue(_SPLIT_KEY, self.splitter.saveState())
        settings.setValue(_READING_KEY, self.reading_action.isChecked())
        settings.setValue(_WRAP_KEY, self.wrap_action.isChecked())

    def restore_state(self, settings: QSettings) -> None:
        """Column order, widths and hidden columns, the reading pane and wrapping, as last left."""
        state = settings.value(_HEADER_KEY) if settings.contains(_HEADER_KEY) else None
        if state is not None:
            self.table.horizontalHeader().restoreState(state)
            self._fit_agency = False  # the widths the user left
        split = settings.value(_SPLIT_KEY) if settings.contains(_SPLIT_KEY) else None
        if split is not None:
            self.splitter.restoreState(split)
        for key, action in ((_READING_KEY, self.reading_action), (_WRAP_KEY, self.wrap_action)):
            if settings.contains(key):
                action.setChecked(str(settings.value(key)).lower() in ("true", "1"))
        header = self.table.horizontalHeader()
        for column, action in enumerate(self.column_actions):
            action.blockSignals(True)
            action.setChecked(not header.isSectionHidden(column))
            action.blockSignals(False)

    # ----- reading, copying, columns --------------------------------------------------------------
    def selected_rows(self) -> list[ChronologyRow]:
        """The selected entries in the order shown."""
        indexes = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [i.data(ROW_ROLE) for i in indexes if i.data(ROW_ROLE) is not None]

    def visible_columns(self) -> list[int]:
        """The shown columns in the order the user arranged them."""
        header = self.table.horizontalHeader()
        logical = [header.logicalIndex(v) for v in range(header.count())]
        return [c for c in logical if not header.isSectionHidden(c)]

    def copy_selected(self) -> None:
        """Copies the selected rows (shown columns, in their order) with full summaries."""
        rows = self.selected_rows()
        if not rows:
            return
        columns = self.visible_columns()
        header = [COLUMNS[c] for c in columns]
        body = [[self._cell_text(row, c) for c in columns] for row in rows]
        QGuiApplication.clipboard().setMimeData(rows_as_table(header, body))

    @staticmethod
    def _cell_text(row: ChronologyRow, column: int) -> str:
        if column == SUMMARY:
            full = row.summary + (f"\n{row.detail}" if row.detail else "")
            marks = ("[Withheld] " if row.withheld else "") + ("[Withdrawn] " if row.withdrawn else "")
            return marks + full
        return str(ChronologyTableModel._display(row, column))

    def _set_column_shown(self, column: int, shown: bool) -> None:
        if not shown and len(self.visible_columns()) <= 1:
            self.column_actions[column].setChecked(True)  # at least one column stays
            return
        self.table.horizontalHeader().setSectionHidden(column, not shown)

    def _set_wrap(self, wrap: bool) -> None:
        self.table.setWordWrap(wrap)
        self.model.wrap = wrap
        mode = QHeaderView.ResizeMode.ResizeToContents if wrap else QHeaderView.ResizeMode.Fixed
        self.table.verticalHeader().setSectionResizeMode(mode)
        current = self.current_entry_id()
        self.model.layoutAboutToBeChanged.emit()
        self.model.layoutChanged.emit()
        if current is not None:
            self.select_entry(current)

    def _update_reading(self, *_args: object) -> None:
        index = self.table.currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        self.reading.setPlainText(reading_text(row) if row is not None else "")

    def _emit_for_current(self, signal: Signal) -> None:
        entry_id = self.current_entry_id()
        if entry_id is not None:
            signal.emit(entry_id)  # type: ignore[attr-defined]

    def _on_context_menu(self, pos: QPoint) -> None:
        row = self.table.currentIndex().data(ROW_ROLE) if self.table.currentIndex().isValid() else None
        menu = QMenu(self)
        open_action = menu.addAction("&Open entry…")
        open_action.triggered.connect(lambda: self._emit_for_current(self.entry_activated))
        menu.addAction(self.copy_action)
        menu.addSeparator()
        menu.addAction(self.history_action)
        menu.addAction(self.withdraw_action)
        withdrawn = row is not None and row.withdrawn
        for action in (open_action, self.history_action, self.withdraw_action):
            action.setEnabled(row is not None)
        self.withdraw_action.setEnabled(row is not None and not withdrawn and self.may_withdraw(row))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def may_withdraw(self, row: ChronologyRow) -> bool:
        """Whether to offer withdrawing `row` (the window sets this from the profile)."""
        return True

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
