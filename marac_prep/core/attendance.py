"""At the meeting: who attended (or sent apologies), and the running order (the agenda) with each case's notes."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import CASE_CONFLICT, get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ConflictError, NotFound, ValidationError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Agency, Case, CaseHearing, MeetingAttendance, User
from marac_prep.core.permissions import require
from marac_prep.core.versioning import load_current, save_versioned
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
        row = load_current(session, MeetingAttendance, attendance_id,
                           missing=f"There is no attendance line number {attendance_id}.")
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


def _hearings_in_order(session: Session, meeting_id: int, case_ids: list[int]) -> list[CaseHearing]:
    """The hearings of `case_ids` at the meeting, in that order, locked (PostgreSQL) for the
    caller's transaction; a new, unsaved one (version 0) for a case not yet planned."""
    stored = {
        h.case_id: h for h in session.exec(
            select(CaseHearing).where(CaseHearing.meeting_id == meeting_id).with_for_update()
        ).all()
    }
    return [stored.get(case_id) or CaseHearing(meeting_id=meeting_id, case_id=case_id, version=0)
            for case_id in case_ids]


def set_running_order(session: Session, *, actor: User, meeting_id: int, case_ids: list[int]) -> list[CaseHearing]:
    """Puts the meeting's cases in the order given (the agenda and the running order are one order).

    Args:
        case_ids: every case on the meeting's list, each once, first heard first.
    """
    with unit_of_work(session):
        require(actor, "manage_meeting")
        get_meeting(session, meeting_id)
        on_list = {c.id for c in session.exec(select(Case).where(Case.meeting_id == meeting_id)).all()}
        if len(set(case_ids)) != len(case_ids) or set(case_ids) != on_list:
            raise ConflictError("The meeting's case list changed meanwhile; reload it and move the case again.")
        ordered = _hearings_in_order(session, meeting_id, case_ids)
        for position, hearing in enumerate(ordered, start=1):
            if hearing.position != position or hearing.id is None:
                hearing.position = position
                hearing.version += 1
                session.add(hearing)
        session.flush()
        audit.record(
            session, actor=actor, action="hearing.reorder", object_type="meeting", object_id=meeting_id,
            details={"cases": case_ids},
        )
    return ordered


def plan_time_slots(
    session: Session, *, actor: User, meeting_id: int, start: str, minutes: int
) -> list[CaseHearing]:
    """Gives every case on the agenda a time slot, in agenda order, back to back from `start`
    ("HH:MM"), `minutes` long each; replaces the slots planned before. Audited as one change."""
    start = (start or "").strip()
    if not _TIME.match(start):
        raise ValidationError(f'"{start}" is not a time; write it as HH:MM, e.g. 10:00.')
    if not 0 < minutes <= 240:
        raise ValidationError("A time slot is between 1 and 240 minutes long.")
    from marac_prep.core.cases import cases_for_meeting

    order = [c.id or 0 for c in cases_for_meeting(session, meeting_id)]
    first = int(start[:2]) * 60 + int(start[3:])
    if first + len(order) * minutes > 24 * 60:
        session.rollback()
        raise ValidationError(f"{len(order)} slots of {minutes} minutes from {start} run past midnight.")
    with unit_of_work(session):
        require(actor, "manage_meeting")
        get_meeting(session, meeting_id)
        planned = _hearings_in_order(session, meeting_id, order)
        for position, hearing in enumerate(planned, start=1):
            at = first + (position - 1) * minutes
            hearing.position = position
            hearing.start_time = f"{at // 60:02d}:{at % 60:02d}"
            hearing.duration_minutes = minutes
            hearing.version += 1
            session.add(hearing)
        session.flush()
        audit.record(
            session, actor=actor, action="hearing.slots", object_type="meeting", object_id=meeting_id,
            details={"start": start, "minutes": minutes, "cases": len(order)},
        )
    return planned


def move_in_running_order(session: Session, *, actor: User, meeting_id: int, case_id: int, step: int) -> int:
    """Moves a case `step` places later (negative: earlier) in the agenda; returns its new position
    (1 first). A move past either end stops at the end."""
    from marac_prep.core.cases import cases_for_meeting

    order = [c.id or 0 for c in cases_for_meeting(session, meeting_id)]
    if case_id not in order:
        session.rollback()
        raise ValidationError("That case is not on this meeting's list.")
    old = order.index(case_id)
    new = max(0, min(len(order) - 1, old + step))
    if new != old:
        order.insert(new, order.pop(old))
        set_running_order(session, actor=actor, meeting_id=meeting_id, case_ids=order)
    else:
        session.rollback()  # end the read: nothing to change
    return new + 1


def move_case_to_meeting(
    session: Session, *, actor: User, case_id: int, meeting_id: int, expected_version: int,
    today: date | None = None,
) -> Case:
    """Moves a case onto another upcoming meeting's list, last in its running order.

    Its place in the old meeting's running order goes, unless that meeting already recorded
    something about it (an agreed risk level or a discussion note): that stays for its minutes.
    Actions keep the meeting that agreed them. A meeting already held (before `today`) takes no
    new cases: its minutes and return would change after the event.
    """
    today = today or date.today()
    with unit_of_work(session):
        require(actor, "manage_meeting")
        require(actor, "manage_case")
        case = load_current(session, Case, case_id, missing=f"There is no case number {case_id}.")
        if case.version != expected_version:
            raise ConflictError(CASE_CONFLICT)
        target = get_meeting(session, meeting_id)
        old_meeting = case.meeting_id
        if old_meeting == meeting_id:
            raise ValidationError(f"Case {case.reference} is already on the meeting of {target.meeting_date:%d %b %Y}.")
        if target.meeting_date < today:
            raise ValidationError(
                f"The meeting of {target.meeting_date:%d %b %Y} has already been held; a case can only move "
                "onto an upcoming meeting (create one with File › New meeting)."
            )
        if old_meeting is not None:
            old = session.exec(
                select(CaseHearing).where(CaseHearing.meeting_id == old_meeting, CaseHearing.case_id == case_id)
            ).first()
            if old is not None and not old.agreed_risk_level and not old.discussion_note:
                session.delete(old)
        last = session.exec(
            select(CaseHearing.position).where(CaseHearing.meeting_id == meeting_id)
            .order_by(col(CaseHearing.position).desc()).limit(1)
        ).first()
        if last is not None:  # the new meeting has a running order: the case joins it at the end
            session.add(CaseHearing(meeting_id=meeting_id, case_id=case_id, position=last + 1))
        case.meeting_id = meeting_id
        save_versioned(session, case, expected_version=expected_version, conflict=CASE_CONFLICT)
        audit.record(
            session, actor=actor, action="case.move", object_type="case", object_id=case_id, case_id=case_id,
            details={"from_meeting_id": old_meeting, "to_meeting_id": meeting_id},
        )
    return case
