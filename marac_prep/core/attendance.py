"""At the meeting: who attended (or sent apologies), and the running order with each case's notes."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ConflictError, NotFound, ValidationError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Agency, CaseHearing, MeetingAttendance, User
from marac_prep.core.permissions import require
from marac_prep.core.vocabulary import RISK_LEVELS, check_choice

ATTENDANCE_ROLES = ("representative", "chair", "observer")
ATTENDANCE = ("present", "apologies")
NOTE_LIMIT = 4000
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def record_attendance(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    person_name: str,
    role: str = "representative",
    attendance: str = "present",
    agency_id: int | None = None,
    information_sent: bool | None = None,
    confidentiality_agreed: bool = False,
) -> MeetingAttendance:
    """Records one attendee or one apology at a meeting.

    Args:
        role: "representative" (of `agency_id`, which it then needs), "chair" or "observer".
        information_sent: for apologies, whether the agency's information was sent.
        confidentiality_agreed: the attendee agreed to the meeting's confidentiality statement.
    """
    name = " ".join((person_name or "").split())
    if not name:
        raise ValidationError("Give the attendee's name.")
    role = check_choice(role, ATTENDANCE_ROLES, "attendance role")
    attendance = check_choice(attendance, ATTENDANCE, "attendance")
    if role == "representative" and agency_id is None:
        raise ValidationError(f"Say which agency {name} represents.")
    if attendance == "present" and information_sent is not None:
        information_sent = None  # only an apology says whether information was sent instead
    with unit_of_work(session):
        require(actor, "manage_meeting")
        get_meeting(session, meeting_id)
        if agency_id is not None and session.get(Agency, agency_id) is None:
            raise NotFound(f"There is no agency number {agency_id}.")
        row = MeetingAttendance(
            meeting_id=meeting_id, agency_id=agency_id, person_name=name, role=role, attendance=attendance,
            information_sent=information_sent, confidentiality_agreed=confidentiality_agreed,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor=actor, action="attendance.record", object_type="meeting_attendance",
            object_id=row.id, details={"meeting_id": meeting_id, "attendance": attendance, "role": role},
        )
    return row


def remove_attendance(session: Session, *, actor: User, attendance_id: int) -> None:
    """Removes an attendance line recorded by mistake."""
    with unit_of_work(session):
        require(actor, "manage_meeting")
        row = session.get(MeetingAttendance, attendance_id)
        if row is None:
            raise NotFound(f"There is no attendance line number {attendance_id}.")
        meeting_id = row.meeting_id
        session.delete(row)
        audit.record(
            session, actor=actor, action="attendance.remove", object_type="meeting_attendance",
            object_id=attendance_id, details={"meeting_id": meeting_id},
        )


def list_attendance(session: Session, *, meeting_id: int) -> list[MeetingAttendance]:
    """The chair first, then representatives, then observers; each group by name."""
    order = {role: n for n, role in enumerate(("chair", "representative", "observer"))}
    rows = session.exec(select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting_id)).all()
    return sorted(rows, key=lambda r: (order.get(r.role, 9), r.person_name.casefold(), r.id or 0))


def plan_hearing(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    case_id: int,
    position: int | None = None,
    start_time: str | None = None,
    duration_minutes: int | None = None,
    agreed_risk_level: str | None = None,
    discussion_note: str | None = None,
    expected_version: int | None = None,
) -> CaseHearing:
    """Sets a case's place in the running order, its time slot, the agreed risk level or the
    discussion note (only the arguments given change). Creates the hearing on first use.

    Args:
        start_time: "HH:MM", or "" to clear.
        agreed_risk_level: one of standard / medium / high, or "" to clear.
        expected_version: when given, refused with `ConflictError` if someone changed it meanwhile.
    """
    if start_time is not None:
        start_time = start_time.strip()
        if start_time and not _TIME.match(start_time):
            raise ValidationError(f'"{start_time}" is not a time; write it as HH:MM, e.g. 10:40.')
    if duration_minutes is not None and not 0 < duration_minutes <= 240:
        raise ValidationError("A time slot is between 1 and 240 minutes long.")
    if position is not None and position < 1:
        raise ValidationError("Positions in the running order start at 1.")
    if agreed_risk_level:
        agreed_risk_level = check_choice(agreed_risk_level, RISK_LEVELS, "risk level")
    if discussion_note is not None:
        discussion_note = discussion_note.strip()
        if len(discussion_note) > NOTE_LIMIT:
            raise ValidationError(f"The discussion note is too long; keep it under {NOTE_LIMIT} characters.")
    with unit_of_work(session):
        require(actor, "manage_meeting")
        get_meeting(session, meeting_id)
        case = get_case(session, case_id)
        if case.meeting_id != meeting_id:
            raise ValidationError(f"Case {case.reference} is not on this meeting's list.")
        hearing = session.exec(
            select(CaseHearing).where(CaseHearing.meeting_id == meeting_id, CaseHearing.case_id == case_id)
            .with_for_update()
        ).first()
        if hearing is None:
            last = session.exec(
                select(CaseHearing.position).where(CaseHearing.meeting_id == meeting_id)
                .order_by(col(CaseHearing.position).desc()).limit(1)
            ).first()
            hearing = CaseHearing(meeting_id=meeting_id, case_id=case_id, position=(last or 0) + 1, version=0)
        elif expected_version is not None and hearing.version != expected_version:
            raise ConflictError("Someone else changed this case's meeting record meanwhile; reload it and try again.")
        changed: list[str] = []
        for field, value in (
            ("position", position), ("start_time", start_time), ("duration_minutes", duration_minutes),
            ("agreed_risk_level", agreed_risk_level), ("discussion_note", discussion_note),
        ):
            if value is not None and getattr(hearing, field) != value:
                setattr(hearing, field, value)
                changed.append(field)
        hearing.version += 1
        session.add(hearing)
        session.flush()
        audit.record(
            session, actor=actor, action="hearing.update", object_type="case_hearing", object_id=hearing.id,
            case_id=case_id, details={"meeting_id": meeting_id, "fields": changed},
        )
    return hearing


def running_order(session: Session, *, meeting_id: int) -> list[CaseHearing]:
    """The meeting's hearings in the order the cases are heard."""
    rows = session.exec(select(CaseHearing).where(CaseHearing.meeting_id == meeting_id)).all()
    return sorted(rows, key=lambda h: (h.position, h.start_time, h.id or 0))
