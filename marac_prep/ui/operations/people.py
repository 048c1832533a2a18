"""People operations: confirm or reject that two records in different cases are the same person."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow


def decide_match(window: MainWindow, person_id: int, other_person_id: int, same: bool) -> Changes | None:
    """Records the coordinator's decision (audited); the case and the agenda show it at once."""
    from marac_prep.core.people import decide_match as record_decision

    try:
        with window.database.interactive_session() as session:
            record_decision(
                session, actor=window.actor, person_id=person_id, other_person_id=other_person_id, same=same
            )
    except MaracError as exc:
        report_error(window, exc, doing="record whether they are the same person")
        return None
    message = "Linked: the same person in both cases." if same else "Noted: not the same person; not suggested again."
    return Changes(meetings=True, case=True, message=message)
