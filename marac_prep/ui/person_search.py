"""Finding a person across every case: the navigator's search box (Ctrl+Shift+F) and its results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.dates import display_day, parse_uk_day
from marac_prep.core.errors import MaracError
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import plain_label

if TYPE_CHECKING:  # the search box is on the first screen, painted before the data stack loads
    from marac_prep.core.db import Database
    from marac_prep.core.people import SearchHit

CASE_ROLE = Qt.ItemDataRole.UserRole + 1
WHY = 5  # the matcher's reasons: the column that stretches and wraps


class SearchHitTableModel(LineTableModel):
    """People found by a search, best match first."""

    COLUMNS = ("Name", "Born", "Role", "Case", "Marac", "Why")

    def _display(self, line: SearchHit, column: int) -> str:
        aliases = f" (also {', '.join(line.aliases)})" if line.aliases else ""
        return (
            line.name + aliases,
            display_day(line.date_of_birth) if line.date_of_birth else "not recorded",
            line.role.capitalize(),
            line.reference,
            display_day(line.meeting_date or line.referral_date),
            "; ".join(line.reasons),
        )[column]

    def _tooltip_text(self, line: SearchHit, column: int) -> str:
        if column == WHY and line.reasons:
            return "Why this record was found:\n" + "\n".join(f"• {reason}" for reason in line.reasons)
        return self._display(line, column)

    def _role(self, line: SearchHit, column: int, role: int) -> Any:
        return line.case_id if role == CASE_ROLE else None


class PersonSearchDialog(QDialog):
    """Search by name, alias or date of birth across every case, with the person matcher.

    Signals:
        case_requested(int): the user opened a case from the results.
    """

    case_requested = Signal(int)

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a person in every case")
        self.database = database
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Name or alias, e.g. Aoife BRENNAN")
        self.name.setAccessibleName("Name or alias")
        self.born = QLineEdit(self)
        self.born.setPlaceholderText("Date of birth (optional), e.g. 3/4/1990")
        self.born.setAccessibleName("Date of birth")
        self.search_button = QPushButton("&Search", self)
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.summary = plain_label("", self)
        self.summary.setWordWrap(True)
        self.model = SearchHitTableModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("People found")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((210, 90, 90, 120, 95)):
            self.table.setColumnWidth(column, width)
        # The reasons wrap onto as many lines as they need; each row grows to show them whole.
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(self._open)
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Born:", self.born)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        open_button = buttons.addButton("&Open case", QDialogButtonBox.ButtonRole.ActionRole)
        open_button.clicked.connect(lambda: self._open(self.table.currentIndex()))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.search_button)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(900, 460)

    def search(self) -> None:
        """Runs the search (a few keyed queries: quick enough for the GUI thread)."""
        try:
            born = parse_uk_day(self.born.text()) if self.born.text().strip() else None
            with self.database.read_session() as session:
                from marac_prep.core.people import find_people

                hits = find_people(session, name=self.name.text(), date_of_birth=born)
        except MaracError as exc:
            self.model.set_lines([])
            self.summary.setText(str(exc))
            return
        self.model.set_lines(hits)
        if hits:
            self.summary.setText(
                f"{len(hits)} record{'s' if len(hits) != 1 else ''} found, closest first. "
                "Open one with Enter or a double-click."
            )
            self.table.setCurrentIndex(self.model.index(0, 0))
        else:
            self.summary.setText("Nobody found under that name or date of birth.")

    def _open(self, index: Any) -> None:
        if index.isValid():
            self.case_requested.emit(int(index.data(CASE_ROLE)))


class PersonSearchBox(QLineEdit):
    """The navigator's search box: Enter opens the results for what was typed.

    Signals:
        search_requested(str): the text to search for.
    """

    search_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Find a person… (Ctrl+Shift+F)")
        self.setAccessibleName("Find a person in every case")
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(lambda: self.search_requested.emit(self.text()))


def show_search(parent: QWidget, database: Database, text: str, open_case: Any) -> PersonSearchDialog:
    """Opens (non-modal) the results for `text`; choosing a result opens its case."""
    dialog = PersonSearchDialog(database, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.case_requested.connect(open_case)
    dialog.name.setText(text)
    dialog.show()
    if text.strip():
        dialog.search()
    return dialog
