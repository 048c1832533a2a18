"""Case operations: create a case from a referral, edit it and its people, open it (audited), Dash checklist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow


def new_case(window: MainWindow) -> Changes | None:
    from marac_prep.ui.case_dialog import CaseDialog

    case_id = CaseDialog.open_case(window, window.database, window.actor, meeting_id=window.current_meeting_id())
    if case_id is None:
        return None
    return Changes(meetings=True, select_case=case_id, message="Case created.")


def edit_case(window: MainWindow) -> Changes | None:
    from marac_prep.ui.case_dialog import CaseDialog

    case_id = window.open_case_id() or window.meeting_view.current_case_id()
    if case_id is None:
        return None
    if CaseDialog.open_case(window, window.database, window.actor, case_id=case_id) is None:
        return None
    return Changes(meetings=True, case=window.open_case_id() == case_id, message="Case saved.")


def audit_opening(window: MainWindow, case_id: int) -> bool:
    """Records who opened the case (once per case per app session), in a short write session of
    its own (never held open).

    The case is not shown if the opening cannot be audited: who looked at whose file must be
    in the trail. (A read-only database records nothing and opens the case.)
    """
    try:
        with window.database.interactive_session() as session:
            window.case_openings.record(session, actor=window.actor, case_id=case_id)
    except MaracError as exc:
        report_error(window, exc, doing="open the case")
        return False
    return True


def dash_checklist(window: MainWindow) -> Changes | None:
    from marac_prep.ui.dash_dialog import DashDialog

    case_id = window.open_case_id()
    if case_id is None or not DashDialog.open_checklist(window, window.database, window.actor, case_id=case_id):
        return None
    return Changes(case=True, message="Risk assessment saved and added to the chronology.")


def print_chronology(window: MainWindow, *, preview: bool) -> None:
    """Prints (or previews) the open case's chronology as shown: filtered, sorted, shown columns."""
    from marac_prep.ui.chronology_model import ROW_ROLE
    from marac_prep.ui.chronology_print import ChronologyPrinting, chronology_document

    snapshot = window.case_view.snapshot
    if window.open_case_id() is None or snapshot is None:
        return
    panel = window.case_view.chronology
    rows = [panel.proxy.index(r, 0).data(ROW_ROLE) for r in range(panel.proxy.rowCount())]
    case = snapshot.case_file.case
    victim = snapshot.case_file.victim
    title = f"Chronology – {case.reference}" + (f" · {victim.name}" if victim else "")
    filtered = panel.proxy.rowCount() < panel.model.rowCount()
    subtitle = panel.count.text() + (" (filtered)" if filtered else "")
    document = chronology_document(title, subtitle, rows, panel.visible_columns())
    printed = ChronologyPrinting.preview(window, document) if preview else ChronologyPrinting.print(window, document)
    if printed:
        # Who saw what: a printout leaves the app like an export (issue 13); a preview only
        # looked at is not a printout (the case's opening is already audited).
        from marac_prep.core.audit import record_printout

        with window.database.interactive_session() as session:
            record_printout(session, actor=window.actor, case_id=case.id or 0, entries=len(rows), filtered=filtered)


def case_notes(window: MainWindow) -> None:
    """The coordinator's notes on the open (or selected) case."""
    from marac_prep.ui.case_notes_dialog import CaseNotesDialog

    case_id = window.open_case_id() or window.meeting_view.current_case_id()
    if case_id is not None:
        CaseNotesDialog.edit_notes(window, window.database, window.actor, case_id=case_id)
