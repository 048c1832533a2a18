"""Attendance at a meeting: the chair, each agency's representative, observers and apologies."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.attendance import list_attendance, record_attendance, remove_attendance
from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import User
from marac_prep.core.permissions import allowed
from marac_prep.core.reference import agencies_by_id
from marac_prep.ui.forms import add_choice, choice, fit_to_screen, inline_error, run_modal, saving, show_inline
from marac_prep.ui.line_model import LineTableModel
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.text import plain_label

_ROLES = (("representative", "Representative"), ("chair", "Chair"), ("observer", "Observer"))
_ATTENDANCE = (("present", "Present"), ("apologies", "Apologies"))
_SENT = {True: "Yes", False: "No", None: ""}


@dataclass(frozen=True)
class AttendanceLine:
    attendance_id: int
    name: str
    role: str
    agency: str
    attendance: str
    information_sent: bool | None
    confidentiality_agreed: bool


class AttendanceTableModel(LineTableModel):
    """Who attended or sent apologies (chair first, as the minutes list them)."""

    COLUMNS = ("Name", "Role", "Agency", "Attendance", "Information sent", "Confidentiality statement")

    @staticmethod
    def _display(line: AttendanceLine, column: int) -> str:
        return (
            line.name, dict(_ROLES).get(line.role, line.role), line.agency,
            dict(_ATTENDANCE).get(line.attendance, line.attendance),
            _SENT[line.information_sent] if line.attendance == "apologies" else "",
            "Agreed" if line.confidentiality_agreed else "",
        )[column]


class AttendanceDialog(QDialog):
    """Records the meeting's attendance line by line (each line audited as it is added)."""

    def __init__(self, database: Database, actor: User, *, meeting_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database, self._actor, self._meeting_id = database, actor, meeting_id
        with database.read_session() as session:
            meeting = get_meeting(session, meeting_id)
            self._agencies = {a.id: a.name for a in agencies_by_id(session).values()}
            active = [a for a in agencies_by_id(session).values() if a.active]
        self.may_change = not database.read_only and allowed(actor, "manage_meeting")
        self.setWindowTitle(f"Attendance – Marac meeting {meeting.meeting_date:%d %b %Y}")
        self.model = AttendanceTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Attendance")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.name = QLineEdit(self)
        self.name.setAccessibleName("Name")
        self.role = QComboBox(self)
        self.role.setAccessibleName("Role")
        for value, label in _ROLES:
            self.role.addItem(label, value)
        self.agency = QComboBox(self)
        self.agency.setAccessibleName("Agency")
        add_choice(self.agency, "No agency", None)
        for agency in active:
            self.agency.addItem(agency.name, agency.id)
        self.attendance = QComboBox(self)
        self.attendance.setAccessibleName("Attendance")
        for value, label in _ATTENDANCE:
            self.attendance.addItem(label, value)
        self.information_sent = QCheckBox("Their agency's &information was sent", self)
        self.confidentiality = QCheckBox("Agreed the con&fidentiality statement", self)
        self.add_button = QPushButton("A&dd to the list", self)
        self.remove_button = QPushButton("R&emove selected", self)
        self.error = inline_error(self)
        form = QFormLayout()
        for text, widget in (("&Name", self.name), ("&Role", self.role), ("A&gency", self.agency),
                             ("A&ttendance", self.attendance)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.information_sent)
        form.addRow("", self.confidentiality)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.error, 1)
        buttons_row.addStretch(0)
        buttons_row.addWidget(self.remove_button)
        buttons_row.addWidget(self.add_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("Present and apologies, chair first; each line is saved as it is added.",
                                     self, name="fieldHint"))
        layout.addWidget(self.table, 1)
        # An empty table says what to do next (or who does it, for a profile that only reads).
        self.empty = plain_label(
            "No one recorded yet: type each person's name below and press Add to the list, the chair first."
            if self.may_change else "No attendance recorded yet; the Marac coordinator records it.",
            self, name="fieldHint",
        )
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        layout.addLayout(form)
        layout.addLayout(buttons_row)
        layout.addWidget(close)
        self.add_button.clicked.connect(self.add_line)
        self.remove_button.clicked.connect(self.remove_selected)
        self.attendance.currentIndexChanged.connect(self._on_attendance_changed)
        self.name.returnPressed.connect(self.add_line)
        for widget in (self.name, self.role, self.agency, self.attendance, self.confidentiality, self.add_button,
                       self.remove_button):
            widget.setEnabled(self.may_change)
        self._on_attendance_changed()
        self.reload()
        fit_to_screen(self)
        # Room for the table's columns when the screen has it (fit_to_screen caps the size at the screen).
        self.resize(min(max(self.width(), 760), self.maximumWidth()),
                    min(max(self.height(), 560), self.maximumHeight()))

    def _on_attendance_changed(self, *_args: object) -> None:
        apologies = self.attendance.currentData() == "apologies"
        self.information_sent.setEnabled(self.may_change and apologies)
        self.confidentiality.setEnabled(self.may_change and not apologies)
        if apologies:
            self.confidentiality.setChecked(False)

    def reload(self) -> None:
        with self._database.read_session() as session:
            rows = list_attendance(session, meeting_id=self._meeting_id)
        self.model.set_lines(
            AttendanceLine(
                attendance_id=r.id or 0, name=r.person_name, role=r.role,
                agency=self._agencies.get(r.agency_id, "") if r.agency_id is not None else "",
                attendance=r.attendance, information_sent=r.information_sent,
                confidentiality_agreed=r.confidentiality_agreed,
            )
            for r in rows
        )
        self.empty.setVisible(not self.model.lines)

    def add_line(self) -> bool:
        apologies = self.attendance.currentData() == "apologies"
        with saving(self, self.error, doing="record the attendance", accept=False) as saved, \
                self._database.session() as session:
            record_attendance(
                session, actor=self._actor, meeting_id=self._meeting_id, person_name=self.name.text(),
                role=str(self.role.currentData()), attendance=str(self.attendance.currentData()),
                agency_id=choice(self.agency), information_sent=self.information_sent.isChecked() if apologies
                else None, confidentiality_agreed=self.confidentiality.isChecked(),
            )
        if not saved.ok:
            return False
        self.reload()
        self.name.clear()
        self.information_sent.setChecked(False)
        self.confidentiality.setChecked(False)
        self.name.setFocus()
        return True

    def remove_selected(self) -> bool:
        index = self.table.currentIndex()
        if not index.isValid():
            show_inline(self.error, "Choose the line to remove first.")
            return False
        line: AttendanceLine = self.model.lines[index.row()]
        if not Messages.ask(self, "Remove attendance", f"Remove {line.name} from this meeting's attendance?",
                            yes="Remove", no="Keep"):
            return False
        try:
            with self._database.session() as session:
                remove_attendance(session, actor=self._actor, attendance_id=line.attendance_id)
        except MaracError as exc:
            report_error(self, exc, doing="remove the attendance line")
            return False
        self.reload()
        return True

    @classmethod
    def record(cls, parent: QWidget | None, database: Database, actor: User, *, meeting_id: int) -> None:
        """Shows the dialog modally. Tests replace this."""
        run_modal(parent, lambda: cls(database, actor, meeting_id=meeting_id, parent=parent),
                  doing="show the attendance")
