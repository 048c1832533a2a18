"""Action tracking operations (issue 18): open the Actions window, export the tracking form."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from marac_prep.ui.operations.windows import separate_window

if TYPE_CHECKING:
    from marac_prep.core.db import Database
    from marac_prep.core.models import User
    from marac_prep.ui.actions_view import ActionsView
    from marac_prep.ui.background import BackgroundOp
    from marac_prep.ui.main_window import MainWindow


class ActionFiles:
    """Where to write, asked of the user; a classmethod so tests can answer without a file dialog."""

    @classmethod
    def export_path(cls, parent: QWidget | None, suggested: str) -> Path | None:
        from marac_prep.ui.forms import ask_save_path  # here: the main window loads without the data stack

        return ask_save_path(parent, "Export the action tracking form", suggested, {".xlsx": "Excel workbook"})


def open_actions_window(window: MainWindow) -> ActionsView | None:
    """The window's Actions window while it is open (live updates are shown in it)."""
    view: ActionsView | None = getattr(window, "_actions_window", None)
    return view if view is not None and isValid(view) and view.isVisible() else None


def show_actions(window: MainWindow, *, overdue_only: bool = False, every_open: bool = False) -> ActionsView:
    """Opens (or raises) the Actions window; `overdue_only` with `every_open` is the meeting page's
    "N overdue actions" link: every meeting's overdue actions."""
    from marac_prep.ui.actions_view import ActionsView

    view, new = separate_window(window, "_actions_window", lambda: ActionsView(window.database, window.actor),
                                width=1280, height=720)
    if new:
        view.changed.connect(window.show_current_meeting)  # the meeting page's overdue count
        view.load()
    if every_open:
        view.choose_meeting(None)
    if overdue_only:
        view.overdue_only.setChecked(True)
    return view


def export_tracking(
    parent: QWidget, database: Database, actor: User, meeting_id: int | None, *,
    keep: Callable[[BackgroundOp], None],
) -> BackgroundOp | None:
    """Asks for an .xlsx name and writes the action tracking form there off the GUI thread (audited)."""
    from marac_prep.core.actions import export_tracking_form
    from marac_prep.ui.background import export_op

    path = ActionFiles.export_path(parent, "marac-action-tracking.xlsx")
    if path is None:
        return None

    def work(session: Any, _progress: Any) -> int:
        return export_tracking_form(session, actor=actor, path=path, meeting_id=meeting_id)

    return export_op(parent, database, work, label="Writing the action tracking form…",
                     title="Action tracking form exported",
                     said=lambda count: f"{count} action{'s' if count != 1 else ''} written to {path}.",
                     doing="export the action tracking form", keep=keep)
