"""The table model shared by the app's tables: a list of plain line records, fixed columns.

A subclass says what a cell shows (`_display`) and anything else it adds (`_role`); the text,
the tooltip (always shown literally, as user text may hold `<b>`) and the screen-reader text of
every cell are worked out here, the same way for every table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from marac_prep.ui.text import tooltip

_Index = QModelIndex | QPersistentModelIndex


class LineTableModel(QAbstractTableModel):
    """Rows are `lines` (plain records prepared off the GUI thread); subclasses supply `_display`.

    Attributes:
        COLUMNS: the column titles, set by each subclass.
        lines: the records shown, one per row.
    """

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lines: list[Any] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)
        self._struck = QFont()
        self._struck.setStrikeOut(True)

    def set_lines(self, lines: Iterable[Any]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  Override QAbstractItemModel.rowCount.
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  Override QAbstractItemModel.columnCount.
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.headerData."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.data."""
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line = self.lines[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(line, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(self._tooltip_text(line, column))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.COLUMNS[column]}: {self._display(line, column)}"
        return self._role(line, column, role)

    def _display(self, line: Any, column: int) -> str:
        """The cell's text."""
        raise NotImplementedError

    def _tooltip_text(self, line: Any, column: int) -> str:
        """The cell's tooltip, unescaped (the cell's text unless a subclass says more)."""
        return self._display(line, column)

    def _role(self, line: Any, column: int, role: int) -> Any:
        """Any other role's value for the cell (ids, colours, fonts), or None."""
        return None
