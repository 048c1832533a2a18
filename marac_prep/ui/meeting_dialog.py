"""Creating and changing a meeting: its date, area and status."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from marac_prep.core.db import Database
from marac_prep.core.meetings import create_meeting, get_meeting, update_meeting
from marac_prep.core.models import Meeting, User
from marac_prep.core.vocabulary import MEETING_STATUSES
from marac_prep.ui.forms import UkDateField, choice, clear_when_edited, fit_to_screen, inline_error, saving, select_data


class MeetingDialog(QDialog):
    """New or existing meeting.

    Attributes:
        meeting: the saved meeting once saved (or the one being edited).
    """

    def __init__(
        self, database: Database, actor: User, *, meeting_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._database, self._actor = database, actor
        self.meeting: Meeting | None = None
        if meeting_id is not None:
            with database.read_session() as session:
                self.meeting = get_meeting(session, meeting_id)
        self.setWindowTitle("New meeting" if self.meeting is None else "Meeting")
        self.date = UkDateField("Meeting date", self, partial=False)
        self.area = QLineEdit(self)
        self.area.setAccessibleName("Area")
        self.area.setPlaceholderText("e.g. Northmoor")
        self.status = QComboBox(self)
        self.status.setAccessibleName("Status")
        for status in MEETING_STATUSES:
            self.status.addItem(status.capitalize(), status)
        self.error = inline_error(self)
        form = QFormLayout()
        form.addRow("Meeting &date", self.date)
        form.addRow("&Area", self.area)
        form.addRow("&Status", self.status)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        clear_when_edited(self, self.error)
        fit_to_screen(self)
        if self.meeting is not None:
            self.date.set_day(self.meeting.meeting_date)
            self.area.setText(self.meeting.area)
            select_data(self.status, self.meeting.status)
        else:
            self.status.setEnabled(False)

    def save(self) -> bool:
        with saving(self, self.error, doing="save the meeting") as saved:
            day = self.date.day()
            assert day is not None  # the field is required
            with self._database.interactive_session() as session:
                if self.meeting is None:
                    self.meeting = create_meeting(session, actor=self._actor, meeting_date=day, area=self.area.text())
                else:
                    self.meeting = update_meeting(
                        session,
                        actor=self._actor,
                        meeting_id=self.meeting.id or 0,
                        expected_version=self.meeting.version,
                        meeting_date=day,
                        area=self.area.text(),
                        status=choice(self.status),
                    )
        return saved.ok

    @classmethod
    def open_meeting(
        cls, parent: QWidget | None, database: Database, actor: User, meeting_id: int | None = None
    ) -> int | None:
        """Shows the dialog; the saved meeting's id, or None. Tests replace this."""
        dialog = cls(database, actor, meeting_id=meeting_id, parent=parent)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.meeting is not None:
            return dialog.meeting.id
        return None
