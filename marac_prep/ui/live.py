"""Live updates in the window: others' changes appear without a reload (issue 19, decision 0090).

`LiveUpdates` runs the core's `ChangeFollower` on a thread of its own and turns what it finds
into Qt signals (delivered on the GUI thread). `LiveRefresh` decides what on screen each batch of
changes touches and asks each view to show it in place (`apply_changes`): the meeting list, the
shown meeting's cases and gap matrix, the open case, an entry dialog open on a changed entry, and
the Actions window (with the meeting page's count of overdue actions).
Nothing here re-reads what the window itself just saved: the follower leaves out this app's own
changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, SignalInstance

from marac_prep.core.changes import Change, ChangeFollower
from marac_prep.core.db import Database
from marac_prep.ui.text import ALERT, plain_label

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow

log = logging.getLogger("marac_prep.ui")

LOST_SERVER = "Lost the connection to the server – retrying; nothing you typed is lost"
LOST_FILE = "Lost the connection to the database file – retrying; nothing you typed is lost"
BACK = "Connected again – showing the latest changes."
# Changes to these kinds alter the meeting list itself (dates, areas, how many cases).
_MEETING_LIST_KINDS = frozenset({"meeting", "case"})


class LiveUpdates(QObject):
    """Follows the database's changes off the GUI thread.

    Signals:
        changed(object): a list of `Change` others committed (never this app's own).
        connection_changed(bool): False when the connection is lost, True when it is back.
    """

    changed = Signal(object)
    connection_changed = Signal(bool)

    def __init__(self, database: Database, parent: QObject | None = None, *, poll_seconds: float = 0.5) -> None:
        super().__init__(parent)
        self.follower = ChangeFollower(database, poll_seconds=poll_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LiveUpdates:
        # The slots run on the GUI thread: a signal emitted from this thread is queued to them.
        self._thread = threading.Thread(
            target=self.follower.run,
            args=(self._stop, self._emit(self.changed), self._emit(self.connection_changed)),
            name="marac-live-updates",
            daemon=True,
        )
        self._thread.start()
        return self

    def _emit(self, signal: SignalInstance) -> Callable[[object], None]:
        def emit(value: object) -> None:
            try:
                signal.emit(value)
            except RuntimeError:  # the window was deleted without closing: nobody to tell
                self._stop.set()

        return emit

    def stop(self) -> None:
        """Stops following (bounded: the thread looks at the stop flag every poll)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class LiveRefresh(QObject):
    """Shows in `window` what others changed, keeping the user's place (see module docstring).

    Attributes:
        received: every batch shown so far (tests and the status bar read it).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.received: list[list[Change]] = []
        self.connected = True
        self.stopped = False
        text = LOST_FILE if window.database.is_sqlite else LOST_SERVER
        # Permanent, so passing messages never hide it while the connection is away.
        self.lost_notice = plain_label(text, window, name="statusConnectionLost")
        self.lost_notice.setAccessibleName(text)
        # First and in the alert colour: it is the one thing in the bar that asks for attention.
        self.lost_notice.setStyleSheet(f"color: {ALERT.name()}; font-weight: bold; padding-right: 12px;")
        window.statusBar().insertPermanentWidget(0, self.lost_notice)
        self.lost_notice.hide()
        self.updates = LiveUpdates(window.database, self)
        self.updates.changed.connect(self.apply_changes)
        self.updates.connection_changed.connect(self.on_connection)

    def start(self) -> None:
        self.updates.start()

    def stop(self) -> None:
        self.stopped = True  # batches already queued to the GUI thread are dropped, not shown
        self.updates.stop()

    # ----- what changed ---------------------------------------------------------------------------
    def apply_changes(self, changes: object) -> None:
        assert isinstance(changes, list)
        if not changes or self.stopped or not self.window.attached:
            return
        self.received.append(changes)
        self._tell_open_entry_dialogs(changes)
        if any(c.kind in _MEETING_LIST_KINDS for c in changes):
            self._refresh_meeting_list()
        self._refresh_shown_meeting(changes)
        case_id = self.window.open_case_id()
        in_case = [c for c in changes if case_id is not None and c.case_id == case_id]
        if in_case:
            self.window.case_view.apply_changes(in_case)
        self._refresh_actions(changes)

    def _refresh_actions(self, changes: list[Change]) -> None:
        """The Actions window, if open, and the meeting page's count of overdue actions."""
        from marac_prep.ui.operations.actions import open_actions_window

        actions_window = open_actions_window(self.window)
        if actions_window is not None:
            actions_window.apply_changes(changes)
        if any(c.kind == "marac_action" for c in changes):
            self.window.meeting_view.show_overdue(self.window.overdue_actions())

    def _tell_open_entry_dialogs(self, changes: list[Change]) -> None:
        from marac_prep.ui.entry_dialog import EntryDialog

        latest = {c.object_id: c for c in changes if c.kind == "chronology_entry"}
        for dialog in self.window.findChildren(EntryDialog):
            entry = dialog.entry
            if dialog.isVisible() and entry is not None and entry.id in latest:
                change = latest[entry.id]
                dialog.show_changed_elsewhere(change.who, change.when)

    def _refresh_meeting_list(self) -> None:
        from marac_prep.ui.meeting_view import load_meeting_lines

        with self.window.database.read_session() as session:
            lines = load_meeting_lines(session)
        if not self.window.meetings_model.update_lines(lines):
            self.window.refresh_meetings()  # meetings came or went: the list is laid out again

    def _refresh_shown_meeting(self, changes: list[Change]) -> None:
        from marac_prep.ui.meeting_view import load_case_lines

        meeting = self.window.meeting_view.meeting
        if meeting is None or not any(c.meeting_id == meeting.meeting_id for c in changes):
            return
        with self.window.database.read_session() as session:  # the meeting's few grouped queries
            cases = load_case_lines(session, meeting.meeting_id)
        arrived = self.window.meeting_view.apply_changes(cases)
        self.window.refresh_gap_matrix()
        if arrived:
            self._announce_returns(arrived, changes)

    def _announce_returns(self, case_ids: list[int], changes: list[Change]) -> None:
        """"Housing returned information for case M-…" in the status bar, for the coordinator."""
        from marac_prep.core.models import AgencyReturn, ChronologyEntry
        from marac_prep.core.returns import return_state

        references = {line.case_id: line.reference for line in self.window.meeting_view.model.lines}
        said: list[str] = []
        with self.window.database.read_session() as session:
            for case_id in case_ids:
                agencies: list[int] = []
                for change in changes:
                    if change.case_id != case_id or change.object_id is None:
                        continue
                    row = session.get(
                        AgencyReturn if change.kind == "agency_return" else ChronologyEntry, change.object_id
                    ) if change.kind in ("agency_return", "chronology_entry") else None
                    if row is not None and row.agency_id not in agencies:
                        agencies.append(row.agency_id)
                for agency_id in agencies:
                    status = return_state(session, case_id=case_id, agency_id=agency_id).status
                    agency = self.window.agency(agency_id)
                    name = agency.name if agency is not None else "An agency"
                    reference = references.get(case_id, "")
                    if status == "returned":
                        said.append(f"{name} returned information for case {reference}")
                    elif status == "nothing_known":
                        said.append(f"{name} answered nothing known for case {reference}")
        if said:
            self.window.statusBar().showMessage("; ".join(said) + ".", 15000)

    # ----- the connection --------------------------------------------------------------------------
    def on_connection(self, up: bool) -> None:
        if self.stopped:
            return
        self.connected = up
        self.lost_notice.setVisible(not up)
        if not up:
            return
        self.window.statusBar().showMessage(BACK, 5000)
        self.refresh_on_screen()

    def refresh_on_screen(self) -> None:
        """After a reconnection: what is on screen is read again in place (the missed changes
        themselves arrive from the trail as well, from the last one seen)."""
        if not self.window.attached:
            return
        self._refresh_meeting_list()
        meeting = self.window.meeting_view.meeting
        if meeting is not None:
            self._refresh_shown_meeting([_touching_meeting(meeting.meeting_id)])
        if self.window.open_case_id() is not None:
            self.window.case_view.refresh_in_place()
        self._refresh_actions([_touching_actions()])


def _touching_meeting(meeting_id: int) -> Change:
    """A stand-in change that makes the shown meeting be read again."""
    from datetime import UTC, datetime

    return Change(event_id=0, action="", kind="", object_id=None, case_id=None, meeting_id=meeting_id,
                  user_id=None, who="", when=datetime.now(UTC))


def _touching_actions() -> Change:
    """A stand-in change that makes the Actions window and the overdue count be read again."""
    from datetime import UTC, datetime

    return Change(event_id=0, action="", kind="marac_action", object_id=None, case_id=None, meeting_id=None,
                  user_id=None, who="", when=datetime.now(UTC))
