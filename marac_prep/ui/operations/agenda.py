"""The meeting itself: meeting mode, attendance, the agenda's order, moving a case, the minutes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import Messages, report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow

OTHER_MEETINGS_OFFERED = 6  # the nearest upcoming meetings; a case is moved forward, rarely far


def _selected_case(window: MainWindow) -> int | None:
    return window.open_case_id() or window.meeting_view.current_case_id()


def meeting_mode(window: MainWindow) -> None:
    """Opens meeting mode on the current meeting, at the selected case (or the first)."""
    from marac_prep.ui.meeting_mode import MeetingModeWindow

    meeting_id = window.current_meeting_id()
    if meeting_id is None:
        Messages.info(window, "Meeting mode", "Choose a meeting first.")
        return
    if window.meeting_mode is not None and window.meeting_mode.isVisible():
        window.meeting_mode.close()
        if window.meeting_mode.isVisible():  # an unsaved note it could not save: it stays
            return
    try:
        mode = MeetingModeWindow(window.database, window.actor, meeting_id=meeting_id,
                                 case_openings=window.case_openings, start_case_id=_selected_case(window))
    except MaracError as exc:
        report_error(window, exc, doing="open meeting mode")
        return
    from marac_prep.ui.forms import fit_window

    fit_window(mode, 1340, 860)
    window.meeting_mode = mode
    mode.show()


def attendance(window: MainWindow) -> None:
    from marac_prep.ui.attendance_dialog import AttendanceDialog

    meeting_id = window.current_meeting_id()
    if meeting_id is not None:
        AttendanceDialog.record(window, window.database, window.actor, meeting_id=meeting_id)


def time_slots(window: MainWindow) -> Changes | None:
    from marac_prep.ui.time_slots_dialog import TimeSlotsDialog

    meeting_id = window.current_meeting_id()
    if meeting_id is None or not TimeSlotsDialog.plan(window, window.database, window.actor, meeting_id=meeting_id):
        return None
    return Changes(agenda=True, message="Time slots planned; the pack's agenda and meeting mode show them.")


def move_case(window: MainWindow, step: int) -> Changes | None:
    """Moves the selected case one place earlier (step -1) or later (+1) in the agenda."""
    from marac_prep.core.attendance import move_in_running_order

    meeting_id, case_id = window.current_meeting_id(), window.meeting_view.current_case_id()
    if meeting_id is None or case_id is None:
        return None
    try:
        with window.database.session() as session:
            position = move_in_running_order(session, actor=window.actor, meeting_id=meeting_id, case_id=case_id,
                                             step=step)
    except MaracError as exc:
        report_error(window, exc, doing="move the case in the agenda")
        return None
    return Changes(agenda=True, select_case=case_id, message=f"The case is now number {position} on the agenda.")


NO_OTHER_MEETING = "There is no other upcoming meeting to move the case to; create one first (File › New meeting)."


def other_upcoming_meetings(window: MainWindow) -> list[Any]:
    """The upcoming meetings, soonest first, other than the one shown (where a case can move)."""
    from datetime import date

    meeting_id = window.current_meeting_id()
    others = [m for m in window.meetings_model.lines
              if m.meeting_id != meeting_id and m.meeting_date >= date.today()]
    return sorted(others, key=lambda m: m.meeting_date)[:OTHER_MEETINGS_OFFERED]


def move_to_meeting(window: MainWindow) -> Changes | None:
    """Moves the selected case onto another upcoming meeting's agenda."""
    from marac_prep.core.attendance import move_case_to_meeting
    from marac_prep.core.cases import get_case

    case_id = _selected_case(window)
    if case_id is None:
        return None
    others = other_upcoming_meetings(window)
    if not others:
        Messages.info(window, "Move the case", NO_OTHER_MEETING)
        return None
    with window.database.read_session() as session:
        case = get_case(session, case_id)
        reference, version = case.reference, case.version
    chosen = Messages.choose(window, "Move the case", f"Move case {reference} onto which meeting's agenda?",
                             options=[m.title for m in others])
    if chosen is None:
        return None
    target = others[chosen]
    try:
        with window.database.session() as session:
            move_case_to_meeting(session, actor=window.actor, case_id=case_id, meeting_id=target.meeting_id,
                                 expected_version=version)
    except MaracError as exc:
        report_error(window, exc, doing="move the case")
        return None
    window.show_meeting_page()
    return Changes(meetings=True, message=f"Case {reference} moved to the meeting of {target.title}.")


def export_minutes(window: MainWindow) -> None:
    meeting_id = window.current_meeting_id()
    if meeting_id is None:
        Messages.info(window, "Export minutes", "Choose a meeting first.")
        return
    from marac_prep.ui.minutes_dialog import MinutesDialog  # ReportLab loads only when exporting

    MinutesDialog.export(window, window.database, window.actor, meeting_id=meeting_id)
