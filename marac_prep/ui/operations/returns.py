"""Agency return operations: mark requested, record a chase, record "nothing known"."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from marac_prep.core.errors import MaracError
from marac_prep.ui.messages import report_error
from marac_prep.ui.operations import Changes

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow

STATUS_WORDS = {"requested": "marked as requested", "chased": "chased", "nothing_known": "recorded as nothing known"}


def record_return(window: MainWindow, agency_id: int, status: str) -> Changes | None:
    """Sets one agency's return on the open case to `status` today."""
    from marac_prep.core.returns import set_return

    case_id = window.case_view.case_id
    if case_id is None:
        return None
    try:
        with window.database.session() as session:
            set_return(
                session, actor=window.actor, case_id=case_id, agency_id=agency_id, status=status, on=date.today()
            )
    except MaracError as exc:
        report_error(window, exc, doing="record the agency's return")
        return None
    agency = window.agency(agency_id)
    name = agency.name if agency else "Agency"
    return Changes(
        meetings=True, case=True, select_agency=agency_id, message=f"{name} {STATUS_WORDS.get(status, status)}."
    )
