"""The agenda's one order (the running order), moving cases through it and onto another meeting."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marac_prep.core.attendance import (
    move_case_to_meeting,
    move_in_running_order,
    plan_hearing,
    plan_time_slots,
    running_order,
    set_running_order,
)
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.errors import ConflictError, PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent, Case, CaseHearing
from marac_prep.pack.export import time_slots


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _refs(session, meeting) -> list[str]:
    return [c.reference for c in cases_for_meeting(session, meeting.id)]


def test_the_agenda_follows_the_running_order_then_referral_date(session, ws):
    meeting = ws.meeting()
    first, second, third = (ws.case(meeting, reference=f"MAR-ORD-{n}") for n in (1, 2, 3))
    assert _refs(session, meeting) == ["MAR-ORD-1", "MAR-ORD-2", "MAR-ORD-3"]
    plan_hearing(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=third.id, start_time="10:00")
    # A case placed in the running order comes before those not yet placed.
    assert _refs(session, meeting) == ["MAR-ORD-3", "MAR-ORD-1", "MAR-ORD-2"]
    set_running_order(session, actor=ws.coordinator, meeting_id=meeting.id, case_ids=[second.id, first.id, third.id])
    assert _refs(session, meeting) == ["MAR-ORD-2", "MAR-ORD-1", "MAR-ORD-3"]
    assert [h.case_id for h in running_order(session, meeting_id=meeting.id)] == [second.id, first.id, third.id]
    # The slot planned before the reorder stays with its case.
    assert time_slots(session, meeting_id=meeting.id) == {third.id: "10:00"}
    reorder = _events(session, "hearing.reorder")
    assert len(reorder) == 1 and reorder[0].details["cases"] == [second.id, first.id, third.id]


def test_move_up_and_down_stops_at_the_ends_and_is_refused_to_others(session, ws):
    meeting = ws.meeting()
    cases = [ws.case(meeting, reference=f"MAR-MOV-{n}") for n in (1, 2, 3)]
    assert move_in_running_order(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=cases[2].id,
                                 step=-1) == 2
    assert _refs(session, meeting) == ["MAR-MOV-1", "MAR-MOV-3", "MAR-MOV-2"]
    assert move_in_running_order(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=cases[0].id,
                                 step=-1) == 1
    assert len(_events(session, "hearing.reorder")) == 1  # nothing moved, nothing audited
    for role, agency in (("viewer", None), ("agency_rep", "POL"), ("idva", "IDVA")):
        with pytest.raises(PermissionDenied):
            move_in_running_order(session, actor=ws.user(role, agency), meeting_id=meeting.id,
                                  case_id=cases[0].id, step=1)
    assert _refs(session, meeting) == ["MAR-MOV-1", "MAR-MOV-3", "MAR-MOV-2"]
    with pytest.raises(ConflictError, match="changed meanwhile"):
        set_running_order(session, actor=ws.coordinator, meeting_id=meeting.id, case_ids=[cases[0].id])


def test_moving_a_case_to_another_meeting(session, ws):
    this, next_one = ws.meeting(7), ws.meeting(21)
    moving, staying = ws.case(this, reference="MAR-GO-1"), ws.case(this, reference="MAR-GO-2")
    already = ws.case(next_one, reference="MAR-GO-3")
    set_running_order(session, actor=ws.coordinator, meeting_id=this.id, case_ids=[moving.id, staying.id])
    set_running_order(session, actor=ws.coordinator, meeting_id=next_one.id, case_ids=[already.id])
    moved = move_case_to_meeting(session, actor=ws.coordinator, case_id=moving.id, meeting_id=next_one.id,
                                 expected_version=session.get(Case, moving.id).version)
    assert moved.meeting_id == next_one.id
    assert _refs(session, this) == ["MAR-GO-2"]
    assert _refs(session, next_one) == ["MAR-GO-3", "MAR-GO-1"]  # last in the new running order
    assert session.exec(select(CaseHearing).where(CaseHearing.meeting_id == this.id,
                                                  CaseHearing.case_id == moving.id)).first() is None
    event = _events(session, "case.move")[0]
    assert event.details == {"from_meeting_id": this.id, "to_meeting_id": next_one.id}
    with pytest.raises(ValidationError, match="already on the meeting"):
        move_case_to_meeting(session, actor=ws.coordinator, case_id=moving.id, meeting_id=next_one.id,
                             expected_version=moved.version)
    with pytest.raises(ConflictError):
        move_case_to_meeting(session, actor=ws.coordinator, case_id=moving.id, meeting_id=this.id,
                             expected_version=moved.version - 1)
    with pytest.raises(PermissionDenied):
        move_case_to_meeting(session, actor=ws.user("idva", "IDVA"), case_id=staying.id, meeting_id=next_one.id,
                             expected_version=session.get(Case, staying.id).version)


def test_a_case_already_discussed_keeps_its_record_at_the_old_meeting(session, ws):
    past, upcoming = ws.meeting(-3), ws.meeting(10)
    case = ws.case(past)
    plan_hearing(session, actor=ws.coordinator, meeting_id=past.id, case_id=case.id,
                 discussion_note="Deferred: the housing return is missing.")
    move_case_to_meeting(session, actor=ws.coordinator, case_id=case.id, meeting_id=upcoming.id,
                         expected_version=session.get(Case, case.id).version)
    kept = session.exec(select(CaseHearing).where(CaseHearing.meeting_id == past.id)).one()
    assert kept.discussion_note.startswith("Deferred")
    assert _refs(session, upcoming) == [case.reference]


def test_the_demo_meeting_has_a_running_order_with_time_slots(session, ws):
    from marac_prep.core.meetings import list_meetings
    from marac_prep.demo import build_demo

    build_demo(session, actor=ws.coordinator, cases=3, entries_per_case=4)
    upcoming = list_meetings(session)[0]
    slots = time_slots(session, meeting_id=upcoming.id)
    order = [c.id for c in cases_for_meeting(session, upcoming.id)]
    assert [slots[case_id] for case_id in order] == ["10:00–10:15", "10:15–10:30", "10:30–10:45"]


def test_time_slots_back_to_back_in_agenda_order(session, ws):
    meeting = ws.meeting()
    first, second, third = (ws.case(meeting, reference=f"MAR-SLOT-{n}") for n in (1, 2, 3))
    set_running_order(session, actor=ws.coordinator, meeting_id=meeting.id, case_ids=[third.id, first.id, second.id])
    plan_time_slots(session, actor=ws.coordinator, meeting_id=meeting.id, start="09:30", minutes=20)
    assert time_slots(session, meeting_id=meeting.id) == {
        third.id: "09:30–09:50", first.id: "09:50–10:10", second.id: "10:10–10:30"}
    assert _events(session, "hearing.slots")[0].details == {"start": "09:30", "minutes": 20, "cases": 3}
    with pytest.raises(ValidationError, match="HH:MM"):
        plan_time_slots(session, actor=ws.coordinator, meeting_id=meeting.id, start="9.30", minutes=20)
    with pytest.raises(ValidationError, match="past midnight"):
        plan_time_slots(session, actor=ws.coordinator, meeting_id=meeting.id, start="23:30", minutes=20)
    with pytest.raises(PermissionDenied):
        plan_time_slots(session, actor=ws.user("viewer"), meeting_id=meeting.id, start="10:00", minutes=15)
    assert time_slots(session, meeting_id=meeting.id)[third.id] == "09:30–09:50"
