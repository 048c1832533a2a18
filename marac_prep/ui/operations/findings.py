"""Gap finding operations: mark a finding reviewed with a coordinator's note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.analysis.gaps import GapFinding
    from marac_prep.ui.main_window import MainWindow


def review_finding(window: MainWindow, finding: GapFinding, note: str) -> Changes | None:
    """Records the review of one of the open case's findings; the case is read again to show it."""
    from marac_prep.core.reviews import review_finding as record_review

    case_id = window.case_view.case_id
    if case_id is None:
        return None
    try:
        with window.database.interactive_session() as session:
            record_review(
                session,
                actor=window.actor,
                case_id=case_id,
                finding_key=finding.key,
                note=note,
                entry_ids=finding.entry_ids,
            )
    except MaracError as exc:
        report_error(window, exc, doing="mark the finding reviewed")
        return None
    return Changes(case=True, message="Finding marked reviewed.")
