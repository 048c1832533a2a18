"""Chronology entry operations: add an entry, open (edit) one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow


def new_entry(window: MainWindow) -> Changes | None:
    from marac_prep.ui.entry_dialog import EntryDialog

    case_id = window.open_case_id()
    if case_id is None:
        return None
    saved = EntryDialog.open_entry(window, window.database, window.actor, case_id=case_id)
    if saved is None:
        return None
    return Changes(case=True, select_entry=saved, message="Entry added.")


def open_entry(window: MainWindow, entry_id: int) -> Changes | None:
    from marac_prep.ui.entry_dialog import EntryDialog

    case_id = window.case_view.case_id
    if case_id is None:
        return None
    try:
        saved = EntryDialog.open_entry(window, window.database, window.actor, case_id=case_id, entry_id=entry_id)
    except MaracError as exc:
        report_error(window, exc, doing="open the entry")
        return None
    if saved is None:
        return None
    return Changes(case=True, select_entry=saved, message="Entry saved.")
