"""The pack carries the Marac cycle: a repeat case's front sheet lists the last Marac's actions with
their outcomes, and the agenda gives each case its time slot when the meeting has a running order."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from marac_prep.core.actions import add_action, report_status
from marac_prep.core.attendance import plan_hearing
from marac_prep.core.dates import display_day
from marac_prep.pack import export_pack
from tests.factories import Workspace
from tests.pack.test_pack_repeats import agenda_row, front_sheet, page_texts


def test_front_sheet_lists_the_last_marac_actions_and_the_agenda_the_time_slots(
    ws: Workspace, session: Session, tmp_path: Path
) -> None:
    today = date.today()
    earlier = ws.case(ws.meeting(-60), reference="MAR-OLD-0301", referral_days_ago=70)
    door = add_action(session, actor=ws.coordinator, case_id=earlier.id, agency_id=ws.agency["HSG"].id,
                      text="Fit a <b>door</b> lock & chain", owner="Rhiannon PRICE",
                      due_date=today - timedelta(days=40))
    flag = add_action(session, actor=ws.coordinator, case_id=earlier.id, agency_id=ws.agency["POL"].id,
                      text="Flag the address on the control-room system", due_date=today - timedelta(days=50))
    report_status(session, actor=ws.coordinator, action_id=door.id, expected_version=door.version,
                  status="not_done_agency", outcome="No contractor was booked.")
    report_status(session, actor=ws.coordinator, action_id=flag.id, expected_version=flag.version,
                  status="done", done_on=today - timedelta(days=55), outcome="Flag set.")
    upcoming = ws.meeting(7)
    repeat = ws.case(upcoming, reference="MAR-NEW-0301", referral_days_ago=5, repeat=True)
    other = ws.case(upcoming, reference="MAR-NEW-0302", referral_days_ago=5, victim="Priya RAMANATHAN",
                    victim_dob=date(1992, 11, 2), perpetrator="Owen TALBOT", perpetrator_dob=date(1990, 1, 1))
    plan_hearing(session, actor=ws.coordinator, meeting_id=upcoming.id, case_id=repeat.id, start_time="10:00",
                 duration_minutes=15)
    plan_hearing(session, actor=ws.coordinator, meeting_id=upcoming.id, case_id=other.id, start_time="10:15",
                 duration_minutes=20)

    path = tmp_path / "pack.pdf"
    export_pack(session, actor=ws.coordinator, meeting_id=upcoming.id, destination=path)
    texts = page_texts(path)

    agenda = next(t for t in texts if "Agenda" in t and "Pages: where each case" in t)
    assert "Time" in agenda and "running order" in agenda
    # Each case's slot sits on its own row (the slot comes before the reference).
    assert "10:00–10:15" in agenda.split(repeat.reference, 1)[0]
    assert "10:15–10:35" in agenda.split(other.reference, 1)[0].split(repeat.reference, 1)[1]
    assert "10:15" not in agenda_row(texts, other.reference, None).split("Pages:", 1)[0]

    history = front_sheet(texts, repeat.reference).split("Repeat and history", 1)[1]
    assert "Actions agreed at the last Marac" in history and "MAR-OLD-0301" in history
    # User text is printed as text, never read as markup.
    assert "Fit a <b>door</b> lock & chain" in history
    door_line = history.split("Fit a <b>door</b>", 1)[1].split("•", 1)[0]
    assert "Not done: agency did not act: No contractor was booked" in door_line
    assert "Rhiannon PRICE" in history
    flag_line = history.split("Flag the address on the control-room system", 1)[1]
    assert f"Done {display_day(today - timedelta(days=55))}: Flag set" in flag_line
    # A case without an earlier Marac has no actions to report.
    assert "Actions agreed" not in front_sheet(texts, other.reference)


def test_no_running_order_no_time_column(ws: Workspace, session: Session, tmp_path: Path) -> None:
    meeting = ws.meeting(7)
    ws.case(meeting, reference="MAR-NEW-0401", referral_days_ago=5)
    path = tmp_path / "pack.pdf"
    export_pack(session, actor=ws.coordinator, meeting_id=meeting.id, destination=path)
    agenda = next(t for t in page_texts(path) if "Agenda" in t and "Pages: where each case" in t)
    assert "Time" not in agenda and "running order" not in agenda
