"""The case's "Other cases" tab: its people's earlier Marac cases, and possible matches to confirm or reject."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
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
from marac_prep.core.people import HistoryItem, PersonMatch
from marac_prep.core.vocabulary import criteria
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import ALERT, plain_label

if TYPE_CHECKING:
    from marac_prep.analysis.repeats import RepeatStatus

MATCH_ROLE = Qt.ItemDataRole.UserRole + 1
_ROLE_WORDS = {"victim": "Victim", "perpetrator": "Perpetrator", "child": "Child", "other": "Other"}


def _role(role: str) -> str:
    return _ROLE_WORDS.get(role, role.capitalize())


class HistoryTableModel(LineTableModel):
    """Earlier Marac cases of the case's victim and perpetrators (`core.people.HistoryItem`)."""

    COLUMNS = ("Case", "Marac", "Who here", "Role there", "Relationship", "Criteria", "Link")

    def _display(self, line: HistoryItem, column: int) -> str:
        labels = dict(criteria())
        marac = line.meeting_date or line.referral_date
        return (
            line.reference,
            display_day(marac),
            _role(line.role_here),
            _role(line.role_there),
            line.relationship,
            ", ".join(labels.get(c, c) for c in line.criteria),
            "Confirmed" if line.status == "confirmed" else "Possible – not yet confirmed",
        )[column]

    def _tooltip_text(self, line: HistoryItem, column: int) -> str:
        return "; ".join(line.reasons) if column == 6 else self._display(line, column)


class MatchTableModel(LineTableModel):
    """This case's people and the records in other cases that are, or may be, the same person."""

    COLUMNS = ("Here", "Other case", "Marac", "Recorded there as", "Why", "Decision")

    def __init__(self, names: dict[int, str] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.names = names or {}

    def _display(self, line: PersonMatch, column: int) -> str:
        return (
            f"{self.names.get(line.person_id, '')} ({_role(line.role).lower()})",
            line.other_reference,
            display_day(line.other_marac_date),
            f"{line.other_name} ({_role(line.other_role).lower()})",
            "; ".join(line.reasons),
            "Confirmed" if line.confirmed else "Possible",
        )[column]

    def _role(self, line: PersonMatch, column: int, role: int) -> Any:
        if role == MATCH_ROLE:
            return line
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and not line.confirmed:
            return ALERT
        return None


class OtherCasesPanel(QWidget):
    """Earlier Marac cases of this case's people, and who elsewhere may be one of them.

    Signals:
        decision_requested(int, int, bool): this case's person id, the other record's id, and
            whether they are the same person (Confirm) or not (Not the same person).
        case_requested(int): the user wants to open another case.
    """

    decision_requested = Signal(int, int, bool)
    case_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.may_decide: Callable[[], bool] = lambda: False
        self.summary = plain_label("", self)
        self.summary.setWordWrap(True)
        self.history_model = HistoryTableModel(self)
        self.history = self._table(self.history_model, "Earlier Marac cases of this case's people")
        self.history.activated.connect(self._open_history_case)
        self.match_model = MatchTableModel(parent=self)
        self.matches = self._table(self.match_model, "Possible and confirmed matches in other cases")
        self.matches.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())
        self.confirm_button = QPushButton("Confirm: same person", self)
        self.confirm_button.setToolTip("Link the two records: every analysis and pack will treat them as one person")
        self.reject_button = QPushButton("Not the same person", self)
        self.reject_button.setToolTip("This pair will not be suggested again")
        self.confirm_button.clicked.connect(lambda: self._decide(True))
        self.reject_button.clicked.connect(lambda: self._decide(False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(plain_label("Earlier Marac cases", self, name="sectionTitle"))
        layout.addWidget(self.history, 1)
        layout.addWidget(plain_label("The same person in other cases? A coordinator decides.", self,
                                     name="sectionTitle"))
        layout.addWidget(self.matches, 2)
        layout.addLayout(buttons)
        self._update_buttons()

    def _table(self, model: LineTableModel, name: str) -> QTableView:
        table = QTableView(self)
        table.setAccessibleName(name)
        table.setModel(model)
        table.verticalHeader().hide()
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.horizontalHeader().setStretchLastSection(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.setWordWrap(False)
        return table

    def set_people(
        self,
        *,
        names: dict[int, str],
        history: Iterable[HistoryItem],
        matches: Iterable[PersonMatch],
        repeat: RepeatStatus | None,
    ) -> None:
        history, matches = list(history), list(matches)
        self.history_model.set_lines(history)
        self.match_model.names = names
        self.match_model.set_lines(matches)
        for column, width in enumerate((190, 130, 100, 210, 380)):
            self.matches.setColumnWidth(column, width)
        for column, width in enumerate((130, 100, 100, 110, 120, 260)):
            self.history.setColumnWidth(column, width)
        possible = sum(1 for m in matches if not m.confirmed)
        parts = [f"Repeat: {repeat.describe()}." if repeat is not None else ""]
        cases = len({h.case_id for h in history})
        parts.append(
            f"{cases} earlier Marac case{'s' if cases != 1 else ''} of this case's people; "
            f"{possible} possible match{'es' if possible != 1 else ''} to confirm or reject."
        )
        self.summary.setText(" ".join(p for p in parts if p))
        if matches:
            self.matches.setCurrentIndex(self.match_model.index(0, 0))
        self._update_buttons()

    def clear(self, text: str) -> None:
        self.history_model.set_lines([])
        self.match_model.set_lines([])
        self.summary.setText(text)
        self._update_buttons()

    def current_match(self) -> PersonMatch | None:
        index = self.matches.currentIndex()
        value = index.data(MATCH_ROLE) if index.isValid() else None
        return value if isinstance(value, PersonMatch) else None

    def _update_buttons(self) -> None:
        match = self.current_match()
        may = self.may_decide()
        self.confirm_button.setEnabled(may and match is not None and not match.confirmed)
        self.reject_button.setEnabled(may and match is not None)

    def _decide(self, same: bool) -> None:
        match = self.current_match()
        if match is not None:
            self.decision_requested.emit(match.person_id, match.other_person_id, same)

    def _open_history_case(self, index: Any) -> None:
        if index.isValid():
            self.case_requested.emit(self.history_model.lines[index.row()].case_id)
