"""Meeting mode: one case at a time in the running order, with its front sheet and findings at hand
and the meeting's record of it (agreed risk level, discussion note, actions) typed as it is agreed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlmodel import Session, select

from marac_prep.analysis.findings import GapFinding, headline
from marac_prep.core.access_log import CaseOpenings
from marac_prep.core.actions import PROTECTS, ActionRow, add_action, list_actions
from marac_prep.core.attendance import plan_hearing
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError, ValidationError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import CaseHearing, User
from marac_prep.core.permissions import allowed
from marac_prep.core.vocabulary import RISK_LEVELS
from marac_prep.ui.background import BackgroundOp, Progress
from marac_prep.ui.forms import UkDateField, add_choice, agencies, choice, inline_error, select_data, show_inline
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.text import ALERT, plain_label

CLOCK_TICK_MS = 15_000  # the clock reads minutes; a tick every 15 s keeps it within a quarter minute
_SEVERITY = {"high": "High", "medium": "Medium", "info": "Note"}
_PROTECTS_LABELS = {"victim": "&Victim", "child": "C&hild", "perpetrator": "P&erpetrator", "other": "O&ther"}


@dataclass(frozen=True)
class Hearing:
    """One case as meeting mode shows it, read off the GUI thread.

    Attributes:
        facts: the pack's front-sheet rows (label, text), redacted as in the pack.
        slot_start / slot_minutes: the time slot in the running order ("" / None when not planned).
        version: the hearing row's version (None before the meeting recorded anything).
    """

    case_id: int
    reference: str
    repeat_mark: str
    facts: tuple[tuple[str, str], ...]
    headline: str
    findings: tuple[GapFinding, ...]
    slot_start: str
    slot_minutes: int | None
    slot_text: str
    agreed_risk_level: str
    discussion_note: str
    version: int | None
    actions: tuple[ActionRow, ...]


def load_hearing(session: Session, *, meeting_id: int, case_id: int) -> Hearing:
    """The case's front sheet and findings (the pack's own, `pack.sections.front_sheet_facts`),
    its time slot, and what the meeting has recorded about it so far."""
    from marac_prep.pack.export import case_summary, slot_text  # ReportLab loads with meeting mode only
    from marac_prep.pack.sections import front_sheet_facts

    summary = case_summary(session, case_id=case_id)
    hearing = session.exec(
        select(CaseHearing).where(CaseHearing.meeting_id == meeting_id, CaseHearing.case_id == case_id)
    ).first()
    return Hearing(
        case_id=case_id,
        reference=summary.reference,
        repeat_mark="POSSIBLE REPEAT" if summary.possible_repeat else "REPEAT" if summary.is_repeat else "",
        facts=tuple(front_sheet_facts(summary)),
        headline=headline(summary.findings),
        findings=summary.findings,
        slot_start=hearing.start_time if hearing else "",
        slot_minutes=hearing.duration_minutes if hearing else None,
        slot_text=slot_text(hearing.start_time, hearing.duration_minutes) if hearing else "",
        agreed_risk_level=hearing.agreed_risk_level if hearing else "",
        discussion_note=hearing.discussion_note if hearing else "",
        version=hearing.version if hearing else None,
        actions=tuple(list_actions(session, meeting_id=meeting_id, case_ids=[case_id])),
    )


def clock_text(
    now: datetime, slot_start: str, slot_minutes: int | None, shown_at: datetime, meeting_day: date | None = None
) -> str:
    """ "10:47 · slot 10:40–10:55 · 8 min left" (or "3 min over", "starts in 5 min"); without a
    slot, the minutes spent on this case since it came up. On another day than `meeting_day`
    (preparing a week ahead) the slot is only named: minutes "over" would mean nothing."""
    time = f"{now:%H:%M}"
    if slot_start and meeting_day is not None and now.date() != meeting_day:
        from marac_prep.pack.export import slot_text

        return f"{time} · slot {slot_text(slot_start, slot_minutes)} on {meeting_day:%a %d %b}"
    if not slot_start:
        spent = max(0, int((now - shown_at).total_seconds() // 60))
        return f"{time} · {spent} min on this case (no time slot planned)"
    hours, minutes = (int(part) for part in slot_start.split(":"))
    start = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    now_minute = now.replace(second=0, microsecond=0)
    from marac_prep.pack.export import slot_text

    slot = f"slot {slot_text(slot_start, slot_minutes)}"
    if now_minute < start:
        return f"{time} · {slot} · starts in {int((start - now_minute).total_seconds() // 60)} min"
    if not slot_minutes:
        return f"{time} · {slot} · {int((now_minute - start).total_seconds() // 60)} min since it started"
    left = slot_minutes - int((now_minute - start).total_seconds() // 60)
    return f"{time} · {slot} · " + (f"{left} min left" if left >= 0 else f"{-left} min over")


def is_over_time(text: str) -> bool:
    return text.endswith(" min over")


class ActionTableModel(LineTableModel):
    """The actions agreed for the case at this meeting."""

    COLUMNS = ("Agency", "Owner", "Action", "Due", "Protects")

    @staticmethod
    def _display(line: ActionRow, column: int) -> str:
        due = f"{line.due_date:%d/%m/%Y}" if line.due_date else ""
        return (line.agency, line.owner, line.text, due, ", ".join(line.protects))[column]


class FindingTableModel(LineTableModel):
    """The case's gap findings, most severe first (the pack's own)."""

    COLUMNS = ("Severity", "Finding")

    @staticmethod
    def _display(line: GapFinding, column: int) -> str:
        return (_SEVERITY.get(line.severity, line.severity), line.message)[column]

    def _tooltip_text(self, line: GapFinding, column: int) -> str:
        return f"{line.message}\n{line.why}"

    def _role(self, line: GapFinding, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and line.severity == "high":
            return ALERT
        if role == Qt.ItemDataRole.FontRole and line.severity == "high" and column == 0:
            return self._bold
        return None


class MeetingModeWindow(QWidget):
    """The meeting, one case at a time, in the agenda's (running) order.

    Attributes:
        case_ids: the agenda's cases in order; `index` the one shown.
        hearing: what is shown for the current case (None while it loads).
        clock: the time now (tests replace it).

    Signals:
        case_shown(int): a case's summary is on screen (its id).
        recorded(): the meeting's record changed (a note, a level or an action saved).
    """

    case_shown = Signal(int)
    recorded = Signal()

    def __init__(self, database: Database, actor: User, *, meeting_id: int, case_openings: CaseOpenings | None = None,
                 start_case_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._database, self._actor, self._meeting_id = database, actor, meeting_id
        self._openings = case_openings or CaseOpenings()
        self.clock: Callable[[], datetime] = datetime.now
        self.hearing: Hearing | None = None
        self.fact_labels: list[tuple[QLabel, QLabel]] = []  # the front sheet's rows as shown
        self._op: BackgroundOp | None = None
        self._old_ops: list[BackgroundOp] = []
        self._shown_at = datetime.now()
        with database.read_session() as session:
            meeting = get_meeting(session, meeting_id)
            self.case_ids = [c.id or 0 for c in cases_for_meeting(session, meeting_id)]
            self._action_agencies = [a for a in agencies(session)
                                     if allowed(actor, "update_action", agency_id=a.id)]
        self.may_record = not database.read_only and allowed(actor, "manage_meeting")
        self.may_add_actions = not database.read_only and bool(self._action_agencies)
        self.index = self.case_ids.index(start_case_id) if start_case_id in self.case_ids else 0
        self.meeting_day = meeting.meeting_date
        self.setWindowTitle(f"Meeting mode – Marac meeting {meeting.meeting_date:%a %d %b %Y} – Marac Prep")
        self.setObjectName("meetingMode")
        self._build()
        self._make_actions()
        self._timer = QTimer(self)
        self._timer.setInterval(CLOCK_TICK_MS)
        self._timer.timeout.connect(self.update_clock)
        self._timer.start()
        if self.case_ids:
            self.show_case(self.index)
        else:
            self.position.setText("This meeting has no cases yet.")
            self._set_editable(False)

    # ----- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.position = plain_label("", self, name="viewTitle")
        self.position.setWordWrap(True)
        self.clock_label = plain_label("", self, name="meetingClock")
        self.clock_label.setAccessibleName("Clock against the time slot")
        self.previous_button = QPushButton("◀ &Previous case", self)
        self.next_button = QPushButton("&Next case ▶", self)
        self.attendance_button = QPushButton("&Attendance…", self)
        self.previous_button.setToolTip("Previous case in the running order (Alt+Left or Ctrl+PgUp)")
        self.next_button.setToolTip("Next case in the running order (Alt+Right or Ctrl+PgDown)")
        self.previous_button.clicked.connect(self.previous_case)
        self.next_button.clicked.connect(self.next_case)
        self.attendance_button.clicked.connect(self.edit_attendance)
        top = QHBoxLayout()
        top.addWidget(self.position, 1)
        top.addWidget(self.clock_label)
        top.addSpacing(12)
        top.addWidget(self.previous_button)
        top.addWidget(self.next_button)
        top.addWidget(self.attendance_button)

        # Left: the front sheet (the pack's rows) and the findings.
        self.facts_holder = QWidget(self)
        self.facts = QGridLayout(self.facts_holder)
        self.facts.setColumnStretch(1, 1)
        self.facts.setAlignment(Qt.AlignmentFlag.AlignTop)
        facts_area = QScrollArea(self)
        facts_area.setWidgetResizable(True)
        facts_area.setFrameShape(QFrame.Shape.NoFrame)
        facts_area.setWidget(self.facts_holder)
        facts_area.setAccessibleName("Front sheet")
        self.headline = plain_label("", self, name="findingsHeadline")
        self.headline.setStyleSheet("font-weight: 600")
        self.headline.setWordWrap(True)
        self.findings_model = FindingTableModel(self)
        self.findings = QTableView(self)
        self.findings.setModel(self.findings_model)
        self.findings.setAccessibleName("Findings")
        self.findings.setWordWrap(True)
        self.findings.verticalHeader().hide()
        self.findings.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.findings.horizontalHeader().setStretchLastSection(True)
        self.findings.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.findings.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        summary = QSplitter(Qt.Orientation.Vertical, self)
        summary.addWidget(facts_area)
        findings_box = QWidget(self)
        findings_layout = QVBoxLayout(findings_box)
        findings_layout.setContentsMargins(0, 0, 0, 0)
        findings_layout.addWidget(self.headline)
        findings_layout.addWidget(self.findings, 1)
        summary.addWidget(findings_box)
        summary.setStretchFactor(0, 3)
        summary.setStretchFactor(1, 2)
        summary.setSizes([600, 400])  # the front sheet first: it is what the chair reads out

        # Right: what the meeting agrees.
        record = QGroupBox("What the meeting agreed", self)
        self.risk_level = QComboBox(self)
        self.risk_level.setAccessibleName("Agreed risk level")
        add_choice(self.risk_level, "Not recorded", None)
        for level in RISK_LEVELS:
            self.risk_level.addItem(level.capitalize(), level)
        self.note = QPlainTextEdit(self)
        self.note.setAccessibleName("Discussion note")
        self.note.setPlaceholderText("A short note of the discussion, printed in the minutes")
        self.note.setTabChangesFocus(True)
        self.save_button = QPushButton("&Save note", self)
        self.save_button.setToolTip("Save the agreed risk level and the note (Ctrl+S); moving to another case "
                                    "saves them too")
        self.save_button.clicked.connect(self.save_record)
        self.saved_label = plain_label("", self, name="fieldHint")
        record_form = QFormLayout(record)
        risk_label = QLabel("Agreed &risk level", self)
        risk_label.setBuddy(self.risk_level)
        note_label = QLabel("D&iscussion note", self)
        note_label.setBuddy(self.note)
        record_form.addRow(risk_label, self.risk_level)
        record_form.addRow(note_label, self.note)
        save_row = QHBoxLayout()
        save_row.addWidget(self.saved_label, 1)
        save_row.addWidget(self.save_button)
        record_form.addRow(save_row)

        actions_box = QGroupBox("Actions", self)
        self.actions_model = ActionTableModel(self)
        self.action_table = QTableView(self)
        self.action_table.setModel(self.actions_model)
        self.action_table.setAccessibleName("Actions agreed for this case")
        self.action_table.setWordWrap(True)
        self.action_table.verticalHeader().hide()
        self.action_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.action_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.action_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.agency = QComboBox(self)
        self.agency.setAccessibleName("Agency")
        for agency in self._action_agencies:
            self.agency.addItem(agency.name, agency.id)
        if self._actor.agency_id is not None:
            select_data(self.agency, self._actor.agency_id)
        self.owner = QLineEdit(self)
        self.owner.setAccessibleName("Owner")
        self.owner.setPlaceholderText("The named person who will do it")
        self.action_text = QPlainTextEdit(self)
        self.action_text.setAccessibleName("Action: what exactly")
        self.action_text.setPlaceholderText("Specific, measurable, with a date: e.g. Fit a door chain by 12 Dec")
        self.action_text.setTabChangesFocus(True)
        self.action_text.setFixedHeight(self.action_text.fontMetrics().lineSpacing() * 3 + 12)
        self.due = UkDateField("Due date", self, partial=False, required=False)
        self.protects: dict[str, QCheckBox] = {}
        protects_row = QHBoxLayout()
        for value in PROTECTS:
            box = QCheckBox(_PROTECTS_LABELS[value], self)
            box.setChecked(value == "victim")
            self.protects[value] = box
            protects_row.addWidget(box)
        protects_row.addStretch(1)
        self.add_button = QPushButton("Add a&ction", self)
        self.add_button.setToolTip("Add the action (Ctrl+Enter)")
        self.add_button.clicked.connect(self.add_action)
        self.action_error = inline_error(self)
        form = QFormLayout()
        for text, widget in (("A&gency", self.agency), ("&Owner", self.owner), ("Action (&what exactly)",
                                                                             self.action_text),
                             ("D&ue", self.due.edit)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            form.addRow(label, widget if widget is not self.due.edit else self.due)
        form.addRow("Protects", protects_row)
        actions_layout = QVBoxLayout(actions_box)
        actions_layout.addWidget(self.action_table, 1)
        actions_layout.addLayout(form)
        add_row = QHBoxLayout()
        add_row.addWidget(self.action_error, 1)
        add_row.addStretch(0)
        add_row.addWidget(self.add_button)
        actions_layout.addLayout(add_row)
        if not self.may_add_actions:
            actions_layout.addWidget(plain_label("Your profile cannot record actions for any agency.", self,
                                                 name="fieldHint"))

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(record, 2)
        right_layout.addWidget(actions_box, 3)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(summary)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([740, 600])  # the front sheet's long lines need the room more than the form
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self.risk_level.currentIndexChanged.connect(self._on_record_edited)
        self.note.textChanged.connect(self._on_record_edited)
        self._dirty = False

    def _make_actions(self) -> None:
        def action(keys: list[str], slot: Callable[[], object]) -> QAction:
            made = QAction(self)
            made.setShortcuts([QKeySequence(k) for k in keys])
            made.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            made.triggered.connect(lambda _checked=False: slot())
            self.addAction(made)
            return made

        self.next_action = action(["Alt+Right", "Ctrl+PgDown"], self.next_case)
        self.previous_action = action(["Alt+Left", "Ctrl+PgUp"], self.previous_case)
        self.save_action = action(["Ctrl+S"], self.save_record)
        self.add_action_shortcut = action(["Ctrl+Return", "Ctrl+Enter"], self.add_action)

    # ----- moving through the running order ------------------------------------------------------
    def next_case(self) -> None:
        if self.index + 1 < len(self.case_ids):
            self.move_to(self.index + 1)

    def previous_case(self) -> None:
        if self.index > 0:
            self.move_to(self.index - 1)

    def move_to(self, index: int) -> bool:
        """Saves what was typed for this case (if anything), then shows case `index`."""
        if self._dirty and not self.save_record():
            return False  # the problem is on screen; the case stays until it is fixed
        self.show_case(index)
        return True

    def show_case(self, index: int) -> None:
        self.index = index
        case_id = self.case_ids[index]
        self.hearing = None
        self.position.setText(f"Case {index + 1} of {len(self.case_ids)} · loading…")
        self._set_editable(False)
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index + 1 < len(self.case_ids))
        try:
            with self._database.session() as session:  # who saw whose file is in the trail
                self._openings.record(session, actor=self._actor, case_id=case_id)
        except MaracError as exc:
            report_error(self, exc, doing="open the case")
            return
        meeting_id = self._meeting_id

        def work(session: Any, progress: Progress) -> Hearing:
            progress(0, 0, "Reading the case's front sheet…")
            return load_hearing(session, meeting_id=meeting_id, case_id=case_id)

        if self._op is not None:
            self._old_ops.append(self._op)  # a superseded read finishes and is then dropped
        op = BackgroundOp.read_op(self, self._database, work, label="Reading the case's front sheet…")
        op.finished.connect(lambda hearing, op=op: self._on_loaded(op, hearing))
        op.failed.connect(lambda exc: report_error(self, exc, doing="show the case"))
        self._op = op.start()

    def _on_loaded(self, op: BackgroundOp, hearing: Hearing) -> None:
        if op is not self._op or hearing.case_id != self.case_ids[self.index]:
            return  # the user has moved on
        self.show_hearing(hearing)

    def show_hearing(self, hearing: Hearing) -> None:
        self.hearing = hearing
        self._shown_at = self.clock()
        mark = f" · {hearing.repeat_mark}" if hearing.repeat_mark else ""
        self.position.setText(f"Case {self.index + 1} of {len(self.case_ids)} · {hearing.reference}{mark}")
        while self.facts.count():
            item = self.facts.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.fact_labels: list[tuple[QLabel, QLabel]] = []
        for row, (label, text) in enumerate(hearing.facts):
            name = plain_label(label, self.facts_holder, name="factLabel")
            name.setStyleSheet("font-weight: 600")
            name.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            value = plain_label(text, self.facts_holder)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addWidget(name, row, 0)
            self.facts.addWidget(value, row, 1)
            self.fact_labels.append((name, value))
        self.headline.setText(f"Findings: {hearing.headline}")
        self.findings_model.set_lines(hearing.findings)
        self.actions_model.set_lines(hearing.actions)
        self.note.blockSignals(True)
        self.risk_level.blockSignals(True)
        self.note.setPlainText(hearing.discussion_note)
        select_data(self.risk_level, hearing.agreed_risk_level or None)
        self.note.blockSignals(False)
        self.risk_level.blockSignals(False)
        self._dirty = False
        self.saved_label.setText("")
        show_inline(self.action_error, "")
        self._set_editable(True)
        self.update_clock()
        self.case_shown.emit(hearing.case_id)

    def _set_editable(self, on: bool) -> None:
        record = on and self.may_record
        for widget in (self.risk_level, self.note, self.save_button):
            widget.setEnabled(record)
        actions = on and self.may_add_actions
        for widget in (self.agency, self.owner, self.action_text, self.due, self.add_button,
                       *self.protects.values()):
            widget.setEnabled(actions)

    def update_clock(self) -> None:
        if self.hearing is None:
            self.clock_label.setText(f"{self.clock():%H:%M}")
            return
        text = clock_text(self.clock(), self.hearing.slot_start, self.hearing.slot_minutes, self._shown_at,
                          self.meeting_day)
        self.clock_label.setText(text)
        self.clock_label.setStyleSheet("color: #a3261b; font-weight: 600" if is_over_time(text) else "")

    # ----- recording ---------------------------------------------------------------------------
    def _on_record_edited(self, *_args: object) -> None:
        if self.hearing is not None:
            self._dirty = True
            self.saved_label.setText("Not saved yet")

    def save_record(self) -> bool:
        """Saves the agreed risk level and the discussion note; True when saved (or nothing to save)."""
        hearing = self.hearing
        if hearing is None or not self.may_record:
            return True
        level = choice(self.risk_level) or ""
        try:
            with self._database.session() as session:
                saved = plan_hearing(
                    session, actor=self._actor, meeting_id=self._meeting_id, case_id=hearing.case_id,
                    agreed_risk_level=level, discussion_note=self.note.toPlainText(),
                    expected_version=hearing.version,
                )
                version = saved.version
        except ValidationError as exc:
            self.saved_label.setText(str(exc))
            return False
        except MaracError as exc:
            report_error(self, exc, doing="save the discussion note")
            return False
        self.hearing = replace(hearing, agreed_risk_level=level, discussion_note=self.note.toPlainText().strip(),
                                version=version)
        self._dirty = False
        self.saved_label.setText(f"Saved at {self.clock():%H:%M}")
        self.recorded.emit()
        return True

    def add_action(self) -> bool:
        """Records the action typed below the table; True when saved."""
        hearing = self.hearing
        if hearing is None or not self.may_add_actions:
            return False
        show_inline(self.action_error, "")
        try:
            agency_id = choice(self.agency)
            if agency_id is None:
                raise ValidationError("Choose the agency the action belongs to.")
            due = self.due.day()
            with self._database.session() as session:
                add_action(
                    session, actor=self._actor, case_id=hearing.case_id, agency_id=agency_id,
                    text=self.action_text.toPlainText(), owner=self.owner.text(), due_date=due,
                    protects=[p for p, box in self.protects.items() if box.isChecked()], meeting_id=self._meeting_id,
                )
                rows = tuple(list_actions(session, meeting_id=self._meeting_id, case_ids=[hearing.case_id]))
        except ValidationError as exc:
            show_inline(self.action_error, str(exc))
            return False
        except MaracError as exc:
            report_error(self, exc, doing="add the action")
            return False
        self.hearing = replace(hearing, actions=rows)
        self.actions_model.set_lines(rows)
        self.action_table.scrollToBottom()
        self.owner.clear()
        self.action_text.clear()
        self.due.edit.clear()
        for value, box in self.protects.items():
            box.setChecked(value == "victim")
        self.action_text.setFocus()
        self.recorded.emit()
        return True

    def edit_attendance(self) -> None:
        from marac_prep.ui.attendance_dialog import AttendanceDialog

        AttendanceDialog.record(self, self._database, self._actor, meeting_id=self._meeting_id)

    def closeEvent(self, event: QCloseEvent) -> None:  # Override QWidget.closeEvent: keep what was typed.
        if self._dirty and not self.save_record() and not Messages.ask(
            self, "Meeting mode", "The discussion note could not be saved. Close meeting mode and lose it?",
            yes="Close and lose it", no="Stay",
        ):
            event.ignore()
            return
        self._timer.stop()
        for op in (self._op, *self._old_ops):
            if op is not None:
                op.wait()
        event.accept()
