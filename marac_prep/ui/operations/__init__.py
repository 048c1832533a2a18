"""What a user can do, one module per area (Anki's aqt/operations): meeting, case, entry, returns, interchange, pack.

Each operation is a function taking the main window: it asks what it needs (dialogs), runs the core
service call, and hands back a `Changes` saying what the window must show again. The main window
wires menus, buttons and shortcuts to these functions; it does not implement them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Changes:
    """What an operation changed, so the window refreshes only that.

    Attributes:
        meetings: the meeting list, the current meeting's case list and its gap matrix.
        agenda: the current meeting's case list and gap matrix only.
        case: the open case (reloaded from the database).
        entry: one saved entry of the open case, shown in place (no reload of the case).
        select_meeting: the meeting to select afterwards.
        select_case: the case to select in the meeting's case list.
        select_entry: the chronology entry to select in the open case.
        select_agency: the agency to select on the open case's returns tab.
        message: a sentence for the status bar.
    """

    meetings: bool = False
    agenda: bool = False
    case: bool = False
    entry: int | None = None
    select_meeting: int | None = None
    select_case: int | None = None
    select_entry: int | None = None
    select_agency: int | None = None
    message: str = ""
