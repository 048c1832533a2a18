"""Chronology entry operations: add an entry, open (edit) one, see its history, withdraw it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QWidget

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import Messages, report_error
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
    return Changes(entry=saved, agenda=True, message="Entry added.")


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
    return Changes(entry=saved, agenda=True, message="Entry saved.")


class EntryInputs:
    """What the user types about an entry; classmethods so tests can answer without a dialog."""

    @classmethod
    def withdraw_reason(cls, parent: QWidget | None, label: str) -> str | None:
        text, ok = QInputDialog.getText(
            parent,
            "Withdraw entry",
            f"Why is the entry of {label} withdrawn? It stays on record, struck through, with this reason.",
        )
        return text if ok else None


def show_history(window: MainWindow, entry_id: int) -> None:
    from marac_prep.ui.history_dialog import HistoryDialog

    try:
        HistoryDialog.show_history(window, window.database, entry_id)
    except MaracError as exc:
        report_error(window, exc, doing="show the entry's history")


def withdraw_entry(window: MainWindow, entry_id: int) -> Changes | None:
    """Withdraws an entry with a reason (the author's agency or a coordinator)."""
    from marac_prep.core.chronology import withdraw_entry as withdraw
    from marac_prep.core.permissions import allowed

    row = next((r for r in window.case_view.chronology.model.rows if r.entry_id == entry_id), None)
    if row is None or row.withdrawn:
        return None
    # Said before the reason is typed, not refused after it (the service still checks).
    if window.database.read_only or not allowed(window.actor, "edit_entry", agency_id=row.agency_id):
        Messages.info(
            window, "Withdraw entry",
            f"Only {row.agency_name} (who wrote it) or a coordinator can withdraw the entry of {row.date_text}."
            if not window.database.read_only else "This workspace is open read-only; nothing can be withdrawn.",
        )
        return None
    reason = EntryInputs.withdraw_reason(window, row.date_text)
    if reason is None:
        return None
    try:
        with window.database.interactive_session() as session:
            withdraw(session, actor=window.actor, entry_id=entry_id, expected_version=row.version, reason=reason)
    except MaracError as exc:
        report_error(window, exc, doing="withdraw the entry")
        return None
    return Changes(entry=entry_id, agenda=True, message=f"Entry of {row.date_text} withdrawn: {reason.strip()}")
