"""Return actions change only what they mean, and can be undone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from marac_prep.core.errors import ConflictError, ValidationError
from marac_prep.core.models import AgencyReturn
from marac_prep.core.returns import (
    mark_meeting_requested,
    restore_return,
    return_state,
    set_return,
    set_return_note,
)

EARLIER = date.today() - timedelta(days=10)


def _set(ws, case, code, status, **kw):
    return set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency[code].id, status=status,
                      **kw)


def test_requesting_again_keeps_the_first_request_date_and_withdraws_the_answer(ws):
    case = ws.case(ws.meeting())
    _set(ws, case, "HSG", "requested", on=EARLIER)
    _set(ws, case, "HSG", "nothing_known")
    record = _set(ws, case, "HSG", "requested")
    assert (record.status, record.requested_on, record.returned_on) == ("requested", EARLIER, None)


def test_a_chase_needs_a_request_and_keeps_its_date(ws):
    case = ws.case(ws.meeting())
    with pytest.raises(ValidationError, match="mark it requested"):
        _set(ws, case, "MH", "chased")
    assert return_state(ws.session, case_id=case.id, agency_id=ws.agency["MH"].id).status == "not_requested"
    _set(ws, case, "MH", "requested", on=EARLIER)
    record = _set(ws, case, "MH", "chased")
    assert (record.requested_on, record.chased_on, record.chase_count) == (EARLIER, date.today(), 1)


def test_declined_keeps_its_reason(ws):
    case = ws.case(ws.meeting())
    record = _set(ws, case, "EDU", "declined", note="Consent not given by the parent.")
    assert record.status == "declined" and record.note == "Consent not given by the parent."
    with pytest.raises(ValidationError):
        set_return_note(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["EDU"].id, note=" ")


def test_undo_puts_the_return_back_and_refuses_after_another_change(ws):
    case = ws.case(ws.meeting())
    agency_id = ws.agency["HSG"].id
    _set(ws, case, "HSG", "requested", on=EARLIER)
    before = return_state(ws.session, case_id=case.id, agency_id=agency_id)
    version = _set(ws, case, "HSG", "nothing_known").version
    restored = restore_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=agency_id, state=before,
                              expected_version=version)
    assert (restored.status, restored.requested_on, restored.returned_on) == ("requested", EARLIER, None)
    with pytest.raises(ConflictError):
        restore_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=agency_id, state=before,
                       expected_version=version)


def test_a_note_changes_only_the_note(ws):
    case = ws.case(ws.meeting())
    _set(ws, case, "POL", "requested", on=EARLIER)
    record = set_return_note(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                             note="Sergeant Okafor will bring the log.")
    assert (record.status, record.requested_on, record.note) == ("requested", EARLIER, "Sergeant Okafor will bring the log.")


def test_marking_a_meeting_requested_leaves_started_returns_alone(ws):
    meeting = ws.meeting()
    case = ws.case(meeting)
    _set(ws, case, "POL", "nothing_known", on=EARLIER)
    count = mark_meeting_requested(ws.session, actor=ws.coordinator, meeting_id=meeting.id)
    records = {r.agency_id: r for r in ws.session.exec(select(AgencyReturn).where(AgencyReturn.case_id == case.id))}
    assert count >= 1 and count == sum(1 for r in records.values() if r.status == "requested")
    assert records[ws.agency["POL"].id].status == "nothing_known"
    assert mark_meeting_requested(ws.session, actor=ws.coordinator, meeting_id=meeting.id) == 0
