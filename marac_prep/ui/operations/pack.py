"""Pack operation: the redacted pre-meeting pack for the current meeting (or the open case)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marac_prep.ui.messages import Messages

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow


def export_pack(window: MainWindow) -> None:
    meeting_id = window.current_meeting_id()
    if meeting_id is None:
        Messages.info(window, "Export pack", "Choose a meeting first.")
        return
    from marac_prep.ui.pack_dialog import PackDialog  # ReportLab loads only when exporting

    PackDialog.export(
        window, window.database, window.actor, meeting_id=meeting_id, case_reference=window.open_case_reference()
    )
