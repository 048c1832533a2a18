"""Meeting operations: create a meeting, edit its date, venue and agencies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow


def new_meeting(window: MainWindow) -> Changes | None:
    from marac_prep.ui.meeting_dialog import MeetingDialog

    meeting_id = MeetingDialog.open_meeting(window, window.database, window.actor)
    if meeting_id is None:
        return None
    return Changes(meetings=True, select_meeting=meeting_id, message="Meeting created.")


def edit_meeting(window: MainWindow) -> Changes | None:
    from marac_prep.ui.meeting_dialog import MeetingDialog

    meeting_id = window.current_meeting_id()
    if meeting_id is None or not MeetingDialog.open_meeting(window, window.database, window.actor, meeting_id):
        return None
    return Changes(meetings=True, select_meeting=meeting_id, message="Meeting saved.")
