"""After the meeting: attendance, running order and actions, with their permissions and audit."""

from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest
from sqlmodel import select

from marac_prep.core.actions import (
    add_action,
    count_overdue,
    export_tracking_form,
    list_actions,
    report_status,
    update_action,
)
from marac_prep.core.attendance import list_attendance, plan_hearing, record_attendance, running_order
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent, MaracAction


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_attendance_lists_chair_first_and_keeps_apologies(session, ws):
    meeting = ws.meeting(-3)
    coord = ws.coordinator
    record_attendance(session, actor=coord, meeting_id=meeting.id, person_name="Seren Hughes",
                      agency_id=ws.agency["POL"].id, confidentiality_agreed=True)
    record_attendance(session, actor=coord, meeting_id=meeting.id, person_name="Bethan Rees", role="chair",
                      agency_id=ws.agency["POL"].id, confidentiality_agreed=True)
    record_attendance(session, actor=coord, meeting_id=meeting.id, person_name="Huw Price", attendance="apologies",
                      agency_id=ws.agency["HSG"].id, information_sent=True)
    rows = list_attendance(session, meeting_id=meeting.id)
    assert [r.person_name for r in rows] == ["Bethan Rees", "Huw Price", "Seren Hughes"]
    apology = rows[1]
    assert apology.attendance == "apologies" and apology.information_sent is True
    assert len(_events(session, "attendance.record")) == 3
    with pytest.raises(ValidationError, match="which agency"):
        record_attendance(session, actor=coord, meeting_id=meeting.id, person_name="Nobody")
    viewer = ws.user("viewer")
    with pytest.raises(PermissionDenied):
        record_attendance(session, actor=viewer, meeting_id=meeting.id, person_name="Ann Observer", role="observer")


def test_running_order_and_discussion_note(session, ws):
    meeting = ws.meeting(-3)
    first, second = ws.case(meeting), ws.case(meeting)
    plan_hearing(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=second.id, start_time="10:00")
    plan_hearing(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=first.id, start_time="10:20",
                 duration_minutes=20, agreed_risk_level="High", discussion_note="Safety plan agreed.")
    order = running_order(session, meeting_id=meeting.id)
    assert [h.case_id for h in order] == [second.id, first.id]
    assert order[1].agreed_risk_level == "high" and order[1].discussion_note == "Safety plan agreed."
    with pytest.raises(ValidationError, match="HH:MM"):
        plan_hearing(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=first.id, start_time="25:00")
    other = ws.case(ws.meeting(10))
    with pytest.raises(ValidationError, match="not on this meeting"):
        plan_hearing(session, actor=ws.coordinator, meeting_id=meeting.id, case_id=other.id, position=1)


def test_agency_rep_updates_only_own_agency_actions(session, ws):
    meeting = ws.meeting(-3)
    case = ws.case(meeting)
    police = add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                        owner="PC Dafydd Evans", text="Flag the address for an urgent response by 1 June.",
                        due_date=date.today() + timedelta(days=7), protects=["victim", "child"])
    housing = add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
                         text="Fit a door lock within two weeks.", due_date=date.today() - timedelta(days=1))
    police_rep = ws.user("agency_rep", "POL")
    with pytest.raises(PermissionDenied, match="only for their own agency"):
        report_status(session, actor=police_rep, action_id=housing.id, expected_version=housing.version,
                      status="done", done_on=date.today(), outcome="Lock fitted.")
    with pytest.raises(PermissionDenied):
        update_action(session, actor=police_rep, action_id=housing.id, expected_version=housing.version,
                      owner="Someone Else")
    session.expire_all()
    assert session.get(MaracAction, housing.id).status == "open"
    done = report_status(session, actor=police_rep, action_id=police.id, expected_version=police.version,
                         status="done", done_on=date.today(), outcome="Address flagged on the command system.")
    assert done.status == "done" and done.status_reported_by_name == police_rep.name
    statuses = _events(session, "action.status")
    assert len(statuses) == 1 and statuses[0].user_id == police_rep.id
    viewer = ws.user("viewer")
    with pytest.raises(PermissionDenied):
        report_status(session, actor=viewer, action_id=police.id, expected_version=done.version, status="open")
    with pytest.raises(PermissionDenied):
        add_action(session, actor=police_rep, case_id=case.id, agency_id=ws.agency["HSG"].id, text="Anything.")
    # The viewer still reads them; the housing action is overdue.
    rows = list_actions(session, meeting_id=meeting.id)
    assert {r.agency for r in rows} == {ws.agency["POL"].name, ws.agency["HSG"].name}
    overdue = list_actions(session, meeting_id=meeting.id, overdue_only=True)
    assert [r.id for r in overdue] == [housing.id]
    # The police action is done: only the housing one counts, and only after its due date.
    assert count_overdue(session) == 1 and count_overdue(session, today=date.today() - timedelta(days=1)) == 0
    assert rows[0].victim_initials == "AP"


def test_not_done_needs_a_reason_and_done_needs_a_date(session, ws):
    case = ws.case(ws.meeting(-3))
    action = add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["MH"].id,
                        text="Offer an assessment appointment.")
    with pytest.raises(ValidationError, match="why"):
        report_status(session, actor=ws.coordinator, action_id=action.id, expected_version=1,
                      status="not_done_agency")
    with pytest.raises(ValidationError, match="date"):
        report_status(session, actor=ws.coordinator, action_id=action.id, expected_version=1, status="done",
                      outcome="Seen.")
    row = report_status(session, actor=ws.coordinator, action_id=action.id, expected_version=1,
                        status="not_done_circumstances", outcome="She moved out of the area.")
    assert row.status == "not_done_circumstances" and row.version == 2


def test_tracking_form_is_guarded_xlsx(session, ws, tmp_path):
    meeting = ws.meeting(-3)
    case = ws.case(meeting)
    add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
               owner="=HYPERLINK(\"x\")", text="Visit within 48 hours.", due_date=date(2099, 6, 1))
    out = tmp_path / "tracking.xlsx"
    assert export_tracking_form(session, actor=ws.coordinator, path=out, meeting_id=meeting.id) == 1
    sheet = openpyxl.load_workbook(out).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Date", "Case", "Victim initials"]
    assert values[1][1] == case.reference and values[1][2] == "AP"
    assert values[1][5] == "'=HYPERLINK(\"x\")"
    assert values[1][6] == "01/06/2099" and values[1][8] == "Open"
    assert len(_events(session, "actions.export")) == 1
    with pytest.raises(PermissionDenied):
        export_tracking_form(session, actor=ws.user("viewer"), path=tmp_path / "v.xlsx")
