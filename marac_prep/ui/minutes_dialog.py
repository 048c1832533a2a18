"""The Export minutes dialog: marking, optional password, destination; the PDF built in the background."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from marac_prep.core.attendance import list_attendance, running_order
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.db import Database
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import User
from marac_prep.core.settings import current
from marac_prep.pack.minutes import MinutesResult, export_minutes
from marac_prep.ui.forms import fit_to_screen
from marac_prep.ui.marked_pdf import MarkedPdfDialog, documents_folder
from marac_prep.ui.text import plain_label


def minutes_readiness(session: Any, meeting_id: int) -> str:
    """One line on what the minutes will hold, so a missing record is seen before the export."""
    cases = cases_for_meeting(session, meeting_id)
    hearings = {h.case_id: h for h in running_order(session, meeting_id=meeting_id)}
    levels = sum(1 for c in cases if c.id in hearings and hearings[c.id].agreed_risk_level)
    notes = sum(1 for c in cases if c.id in hearings and hearings[c.id].discussion_note)
    attendance = list_attendance(session, meeting_id=meeting_id)
    present = sum(1 for a in attendance if a.attendance == "present")
    apologies = len(attendance) - present
    return (f"{len(cases)} case{'s' if len(cases) != 1 else ''}: agreed risk level recorded for {levels}, "
            f"discussion note for {notes}. Attendance: {present} present, {apologies} "
            f"apolog{'y' if apologies == 1 else 'ies'}.")


class MinutesDialog(MarkedPdfDialog):
    """Exports a meeting's minutes (marked, numbered, optionally encrypted) as the pack is exported.

    Attributes:
        result: the MinutesResult once written, else None.

    Signals:
        exported(object): the MinutesResult, after the file is written.
    """

    WHAT = "minutes"

    def __init__(self, database: Database, actor: User, *, meeting_id: int, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self.setWindowTitle("Export minutes")
        self.setMinimumWidth(520)
        self._meeting_id = meeting_id
        self.result: MinutesResult | None = None
        with database.read_session() as session:
            meeting = get_meeting(session, meeting_id)
            self._meeting_date = meeting.meeting_date
            marking = current(session).default_marking
            summary = minutes_readiness(session, meeting_id)
        self.summary = plain_label(f"Marac meeting {meeting.meeting_date:%a %d %b %Y}. {summary}", self)
        self.summary.setWordWrap(True)
        form = self._make_form(marking)
        self.destination.setText(self.suggested_name())
        self._make_controls()
        self.progress.setRange(0, 0)  # the minutes are short: busy, not counted
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        fit_to_screen(self)

    def suggested_name(self) -> str:
        """A file name naming the meeting date, never a person."""
        return str(documents_folder() / f"marac-minutes-{self._meeting_date.isoformat()}.pdf")

    def start_export(self) -> bool:
        """Checks the form and starts writing the minutes on a worker thread; False if refused."""
        options: dict[str, Any] = {"meeting_id": self._meeting_id, "destination": self.form.path(),
                                   "marking": self.marking.text(), "password": self.form.chosen_password()}
        return self._start(lambda session, actor, _runner: export_minutes(session, actor=actor, **options))

    def _set_running(self, running: bool) -> None:
        super()._set_running(running)
        self.cancel_button.setEnabled(not running)  # the minutes are short: they are not stopped halfway
        self.progress.setFormat("Writing the minutes…")

    def _saved_message(self, result: MinutesResult) -> tuple[str, str]:
        protected = " It is protected with your password." if result.encrypted else ""
        return ("Minutes exported",
                f"The minutes ({result.pages} page{'s' if result.pages != 1 else ''}, {result.cases} "
                f"case{'s' if result.cases != 1 else ''}) were saved as {result.path}.{protected}\n\nOpen them now?")

    @classmethod
    def export(cls, parent: QWidget | None, database: Database, actor: User, *, meeting_id: int
               ) -> MinutesResult | None:
        """Shows the dialog modally; the MinutesResult if minutes were written."""
        result: MinutesResult | None = cls._show_modal(parent, database, actor, meeting_id=meeting_id)
        return result
