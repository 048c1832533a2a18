"""Time slots for the meeting's running order: back to back from a start time, one length each."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from marac_prep.core.attendance import plan_time_slots, running_order
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.db import Database
from marac_prep.core.models import User
from marac_prep.ui.forms import fit_to_screen, inline_error, saving
from marac_prep.ui.text import plain_label


class TimeSlotsDialog(QDialog):
    """Plans every case's slot in agenda order (the pack's agenda and meeting mode's clock read them)."""

    def __init__(self, database: Database, actor: User, *, meeting_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._database, self._actor, self._meeting_id = database, actor, meeting_id
        with database.read_session() as session:
            self._cases = len(cases_for_meeting(session, meeting_id))
            planned = [h for h in running_order(session, meeting_id=meeting_id) if h.start_time]
        self.setWindowTitle("Time slots")
        self.start = QLineEdit(planned[0].start_time if planned else "10:00", self)
        self.start.setAccessibleName("First case starts at")
        self.start.setPlaceholderText("HH:MM, e.g. 10:00")
        self.minutes = QSpinBox(self)
        self.minutes.setAccessibleName("Minutes per case")
        self.minutes.setRange(1, 240)
        self.minutes.setSuffix(" min")
        self.minutes.setValue((planned[0].duration_minutes or 15) if planned else 15)
        self.preview = plain_label("", self, name="fieldHint")
        self.preview.setWordWrap(True)
        self.error = inline_error(self)
        form = QFormLayout()
        for text, widget in (("First case &starts at", self.start), ("&Minutes per case", self.minutes)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            form.addRow(label, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("Every case on the agenda gets a slot in agenda order, back to back; "
                                     "slots planned before are replaced.", self))
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.start.textChanged.connect(self._update_preview)
        self.minutes.valueChanged.connect(self._update_preview)
        self._update_preview()
        fit_to_screen(self)

    def _update_preview(self, *_args: object) -> None:
        text = self.start.text().strip()
        try:
            hours, mins = (int(part) for part in text.split(":"))
        except ValueError:
            self.preview.setText("")
            return
        end = hours * 60 + mins + self._cases * self.minutes.value()
        self.preview.setText(f"{self._cases} case{'s' if self._cases != 1 else ''}: {text} to "
                             f"{end // 60 % 24:02d}:{end % 60:02d}.")

    def save(self) -> bool:
        with saving(self, self.error, doing="plan the time slots") as saved, self._database.session() as session:
            plan_time_slots(session, actor=self._actor, meeting_id=self._meeting_id, start=self.start.text(),
                            minutes=self.minutes.value())
        return saved.ok

    @classmethod
    def plan(cls, parent: QWidget | None, database: Database, actor: User, *, meeting_id: int) -> bool:
        """Shows the dialog; True when slots were saved. Tests replace this."""
        return cls(database, actor, meeting_id=meeting_id, parent=parent).exec() == QDialog.DialogCode.Accepted
