"""Meetings (next first) and the cases on the chosen meeting, with their return progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableView, QVBoxLayout, QWidget

from marac_prep.core.dates import display_day
from marac_prep.core.first_screen import LeanCase, LeanMeeting  # no database code: the first screen's lines
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.text import ALERT, plain_label, tooltip

if TYPE_CHECKING:  # the data stack loads after the first screen is painted (decision 0100)
    from sqlmodel import Session

    from marac_prep.analysis.repeats import RepeatStatus

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ARRIVED = QColor("#fff2b3")  # a soft yellow behind a case whose return has just come in
_Index = QModelIndex | QPersistentModelIndex
REPEAT_PENDING = "Checking…"
PENDING = QColor("#6b7280")  # a value still being worked out: grey, not a finding


@dataclass(frozen=True)
class MeetingLine(LeanMeeting):
    """A meeting in the list: the first screen's line (`core.first_screen.LeanMeeting`) with its title."""

    @classmethod
    def first_screen(cls, lean: LeanMeeting) -> MeetingLine:
        return cls(**{f.name: getattr(lean, f.name) for f in fields(LeanMeeting)})

    @property
    def title(self) -> str:
        return f"{self.meeting_date:%a} {display_day(self.meeting_date)}" + (f" – {self.area}" if self.area else "")


@dataclass(frozen=True)
class CaseLine(LeanCase):
    """One case on a meeting's list, as the coordinator scans it: the first screen's line
    (`core.first_screen.LeanCase`, the same fields) with the repeat finding from the people
    matched across cases."""

    risk_level: str | None = None
    repeat_status: RepeatStatus | None = None
    # On the first screen (read without the ORM, decision 0100) until the normal read replaces it.
    repeat_pending: bool = False

    @classmethod
    def first_screen(cls, lean: LeanCase) -> CaseLine:
        """The first screen's line: all but the repeat finding, which says it is being checked."""
        return cls(**{f.name: getattr(lean, f.name) for f in fields(LeanCase)}, repeat_pending=True)

    @property
    def is_repeat(self) -> bool:
        return self.repeat_status.is_repeat if self.repeat_status is not None else self.repeat

    @property
    def repeat_text(self) -> str:
        """ "↻ Repeat", "↻ Possible repeat", "Earlier Marac" (12+ months ago) or "" – never a plain
        "No" beside a repeat finding: the same reading as the case's findings. "Checking…" while
        the people are still being matched (the first screen, decision 0100)."""
        if self.repeat_pending:
            return REPEAT_PENDING
        if self.repeat_status is None:
            return "↻ Repeat" if self.repeat else ""
        label = self.repeat_status.label
        return f"↻ {label}" if self.repeat_status.is_repeat else label

    @property
    def dash_text(self) -> str:
        if self.dash_score is None:
            return "not recorded"
        return f"{self.dash_score} · {self.risk_level}"

    @property
    def progress_text(self) -> str:
        return f"{self.answered} of {self.expected} agencies"


def load_meeting_lines(session: Session, *, today: date | None = None) -> list[MeetingLine]:
    from sqlalchemy import func
    from sqlmodel import select

    from marac_prep.core.meetings import list_meetings
    from marac_prep.core.models import Case

    # One grouped count, not one query per meeting: a Marac keeps years of meetings.
    counts = dict(session.exec(select(Case.meeting_id, func.count()).group_by(Case.meeting_id)).all())
    return [
        MeetingLine(
            meeting_id=meeting.id or 0,
            meeting_date=meeting.meeting_date,
            area=meeting.area,
            status=meeting.status,
            version=meeting.version,
            case_count=counts.get(meeting.id, 0),
        )
        for meeting in list_meetings(session, today=today)
    ]


def load_case_lines(session: Session, meeting_id: int) -> list[CaseLine]:
    """The meeting's agenda lines, read with a few queries for the whole meeting (not per case)."""
    from sqlmodel import col, select

    from marac_prep.analysis.repeats import repeat_statuses
    from marac_prep.core.cases import cases_for_meeting
    from marac_prep.core.models import Agency, AgencyReturn, Person
    from marac_prep.core.returns import return_progress, return_rows
    from marac_prep.core.settings import current

    agencies_in_order = list(session.exec(select(Agency).order_by(col(Agency.id))).all())
    agencies = {a.id: a for a in agencies_in_order}
    cases = cases_for_meeting(session, meeting_id)
    ids = [c.id or 0 for c in cases]
    victims: dict[int, str] = {}
    with_children: set[int] = set()
    people: dict[int, list[Person]] = {i: [] for i in ids}
    for person in session.exec(select(Person).where(col(Person.case_id).in_(ids))).all():
        people[person.case_id].append(person)
        if person.role == "victim":
            victims.setdefault(person.case_id, person.name)
        elif person.role == "child":
            with_children.add(person.case_id)
    records: dict[int, dict[int, AgencyReturn]] = {i: {} for i in ids}
    for record in session.exec(select(AgencyReturn).where(col(AgencyReturn.case_id).in_(ids))).all():
        records[record.case_id][record.agency_id] = record
    repeats = repeat_statuses(session, cases, people)
    in_force = current(session)
    lines = []
    for case in cases:
        case_id = case.id or 0
        rows = return_rows(agencies_in_order, records[case_id], has_children=case_id in with_children)
        answered, expected = return_progress(rows)
        agency = agencies.get(case.referring_agency_id)
        lines.append(
            CaseLine(
                case_id=case_id,
                reference=case.reference,
                victim=victims.get(case_id, ""),
                referring_agency=agency.name if agency else "",
                dash_score=case.dash_score,
                repeat=case.repeat,
                answered=answered,
                expected=expected,
                status=case.status,
                repeat_status=repeats.get(case_id),
                risk_level=in_force.risk_level(case.dash_score),
            )
        )
    return lines


def _cases(count: int) -> str:
    return f"{count} case" + ("" if count == 1 else "s")


class MeetingListModel(QAbstractListModel):
    """The meetings, next meeting first (the core's order)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lines: list[MeetingLine] = []

    def set_lines(self, lines: Iterable[MeetingLine]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def row_of(self, meeting_id: int) -> int:
        return next((i for i, m in enumerate(self.lines) if m.meeting_id == meeting_id), -1)

    def update_lines(self, lines: list[MeetingLine]) -> bool:
        """Shows the same meetings with new counts or status in place (selection and scroll stay);
        False when meetings came or went, which needs `set_lines`."""
        if [m.meeting_id for m in lines] != [m.meeting_id for m in self.lines]:
            return False
        self.lines = list(lines)
        if lines:
            self.dataChanged.emit(self.index(0), self.index(len(lines) - 1))
        return True

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  Override QAbstractItemModel.rowCount.
        return 0 if parent.isValid() else len(self.lines)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel.data."""
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line = self.lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            cases = _cases(line.case_count)
            area = f"\n{line.area}" if line.area else ""
            return f"{line.meeting_date:%a} {display_day(line.meeting_date)}{area}\n{cases} · {line.status}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(line.title)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Meeting {line.title}, {_cases(line.case_count)}, {line.status}"
        if role == ID_ROLE:
            return line.meeting_id
        return None


CASE_COLUMNS = ("Reference", "Victim", "Referring agency", "Dash", "Repeat", "Returns", "Status")


class CaseTableModel(LineTableModel):
    """The cases on one meeting."""

    COLUMNS = CASE_COLUMNS

    @staticmethod
    def _display(line: CaseLine, column: int) -> str:
        return (
            line.reference,
            line.victim,
            line.referring_agency,
            line.dash_text,
            line.repeat_text,
            line.progress_text,
            line.status.capitalize(),
        )[column]

    def _tooltip_text(self, line: CaseLine, column: int) -> str:
        if column == 4 and line.repeat_pending:
            return "Checking earlier Maracs for the same victim and perpetrator…"
        if column == 4 and line.repeat_status is not None:
            return line.repeat_status.describe()  # which earlier Marac, confirmed or not
        return self._display(line, column)

    # Cases whose returns have just arrived from another desk, shown in a soft colour for a moment.
    highlighted: frozenset[int] = frozenset()

    def update_lines(self, lines: list[CaseLine]) -> bool:
        """The same cases with new figures, in place (the selection and scroll stay); False when
        cases came, went or moved, which needs `set_lines`."""
        if [c.case_id for c in lines] != [c.case_id for c in self.lines]:
            return False
        self.lines = list(lines)
        self._repaint_all()
        return True

    def set_highlighted(self, case_ids: frozenset[int]) -> None:
        self.highlighted = case_ids
        self._repaint_all()

    def _repaint_all(self) -> None:
        if self.lines:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.lines) - 1, len(self.COLUMNS) - 1))

    def _role(self, line: CaseLine, column: int, role: int) -> Any:
        if role == ID_ROLE:
            return line.case_id
        if role == Qt.ItemDataRole.BackgroundRole and line.case_id in self.highlighted:
            return ARRIVED
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 4 and line.repeat_pending:
                return PENDING
            if column == 5 and line.answered < line.expected:
                return ALERT
            if column == 3 and line.risk_level == "high":
                return ALERT
        if role == Qt.ItemDataRole.FontRole and column in (0, 4):
            return self._bold
        return None


class MeetingView(QWidget):
    """A meeting's heading, its case list and room for the gap matrix below.

    Signals:
        case_activated(int): the user opened a case.
        overdue_requested(): the user asked for the overdue actions (the "N overdue actions" link).
    """

    case_activated = Signal(int)
    overdue_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = plain_label("", self, name="viewTitle")
        self.subtitle = plain_label("", self, name="viewSubtitle")
        self.subtitle.setWordWrap(True)  # at 200 % beside the overdue link it would be cut mid-word
        self.model = CaseTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("caseTable")
        self.table.setAccessibleName("Cases on this meeting")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((160, 240, 220, 110, 170, 160)):
            self.table.setColumnWidth(column, width)
        self.table.activated.connect(self._on_activated)
        self.extra = QVBoxLayout()  # the gap matrix goes here when it is available
        # Actions agreed earlier and still open after their due date (issue 18): a word and a count.
        self.overdue_button = QPushButton("", self)
        self.overdue_button.setObjectName("overdueActions")
        self.overdue_button.setFlat(True)
        self.overdue_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.overdue_button.setStyleSheet(f"color: {ALERT.name()}; font-weight: bold; text-decoration: underline;")
        self.overdue_button.setToolTip("Open the Actions window on every overdue action (View › Actions)")
        self.overdue_button.hide()
        self.overdue_button.clicked.connect(self.overdue_requested)
        heading = QHBoxLayout()
        heading.addWidget(self.subtitle, 1)
        heading.addWidget(self.overdue_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addWidget(self.title)
        layout.addLayout(heading)
        layout.addWidget(self.table, 2)
        layout.addLayout(self.extra, 3)
        self.meeting: MeetingLine | None = None
        self.loading = False
        self.show_loading(None)  # until the first rows arrive: never an empty "0 cases" list

    LOADING_TEXT = "Loading…"

    def show_loading(self, meeting: MeetingLine | None) -> None:
        """Says the cases are on their way (no count, no "No cases yet") until `show_meeting`."""
        self.loading = True
        self.meeting = meeting
        self.title.setText(f"Marac meeting {meeting.title}" if meeting is not None else "")
        self.subtitle.setText(self.LOADING_TEXT)  # before the rows go, so no moment shows the old count
        self.model.set_lines([])
        self.table.setAccessibleDescription("Loading the meeting's cases")

    def show_meeting(self, meeting: MeetingLine | None, cases: list[CaseLine]) -> None:
        current = self.current_case_id()
        self.loading = False
        self.table.setAccessibleDescription("")
        self.meeting = meeting
        # The heading first, then the rows: the list never shows one meeting's rows under another's count.
        if meeting is None:
            self.title.setText("No meeting yet")
            self.subtitle.setText("Create a meeting with File › New meeting (Ctrl+Shift+M).")
        elif not cases:
            self.title.setText(f"Marac meeting {meeting.title}")
            self.subtitle.setText(
                "No cases yet – File › Import a Marac list (Ctrl+I) or File › New case from referral (Ctrl+Shift+N)."
            )
        else:
            self.title.setText(f"Marac meeting {meeting.title}")
            self.subtitle.setText(agenda_summary(meeting, cases))
        self.model.set_lines(cases)
        if meeting is None or not cases:
            return
        if current is not None:
            self.select_case(current)
        else:
            self.table.setCurrentIndex(self.model.index(0, 0))

    # How long a case whose return has just arrived stays highlighted.
    ARRIVED_MS = 4000

    def show_overdue(self, count: int) -> None:
        """"N overdue actions" beside the heading (hidden when none is overdue)."""
        self.overdue_button.setText(f"⚠ {count} overdue action{'s' if count != 1 else ''}")
        self.overdue_button.setAccessibleName(f"{count} overdue actions: show them")
        self.overdue_button.setVisible(count > 0)

    def apply_changes(self, cases: list[CaseLine]) -> list[int]:
        """Shows the meeting's cases as now stored after others' changes, keeping the chosen case
        and the scroll position; returns the cases with more agencies answered than before."""
        before = {line.case_id: line.answered for line in self.model.lines}
        risen = [c.case_id for c in cases if c.case_id in before and c.answered > before[c.case_id]]
        if self.meeting is None or self.loading:
            return []
        if self.model.update_lines(cases):
            if cases:
                self.subtitle.setText(agenda_summary(self.meeting, cases))
        else:
            scroll = self.table.verticalScrollBar().value()
            self.show_meeting(self.meeting, cases)
            self.table.verticalScrollBar().setValue(scroll)
        if risen:
            self.model.set_highlighted(self.model.highlighted | frozenset(risen))
            QTimer.singleShot(self.ARRIVED_MS, self, lambda: self.model.set_highlighted(frozenset()))
        return risen

    def current_case_id(self) -> int | None:
        index = self.table.currentIndex()
        return int(index.data(ID_ROLE)) if index.isValid() else None

    def select_case(self, case_id: int) -> None:
        for row, line in enumerate(self.model.lines):
            if line.case_id == case_id:
                self.table.setCurrentIndex(self.model.index(row, 0))
                return

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("meeting/header", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("meeting/header") if settings.contains("meeting/header") else None
        if state is not None:
            self.table.horizontalHeader().restoreState(state)

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.case_activated.emit(int(index.data(ID_ROLE)))


def agenda_summary(meeting: MeetingLine, cases: list[CaseLine]) -> str:
    """The line under a meeting's title: its cases, repeats and returns still awaited."""
    waiting = sum(1 for c in cases if c.answered < c.expected)
    repeats = sum(1 for c in cases if c.is_repeat)
    # Never a count that may still rise: while the first screen checks repeats, it says so.
    repeat_text = "repeats being checked" if any(c.repeat_pending for c in cases) else f"{repeats} repeat"
    return (
        f"{_cases(len(cases))} · {repeat_text} · {waiting} still waiting for agency returns · "
        f"status {meeting.status}"
    )


def meeting_of(lines: list[MeetingLine], meeting_id: int | None) -> MeetingLine | None:
    return next((m for m in lines if m.meeting_id == meeting_id), None)
