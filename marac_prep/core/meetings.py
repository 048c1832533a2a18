"""Meetings: creating, changing and finding them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.dates import parse_uk_day
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ConflictError, NotFound, ValidationError
from marac_prep.core.models import Meeting, User
from marac_prep.core.permissions import require
from marac_prep.core.versioning import load_current, save_versioned
from marac_prep.core.vocabulary import MEETING_STATUSES, check_choice


def create_meeting(session: Session, *, actor: User, meeting_date: date, area: str = "") -> Meeting:
    with unit_of_work(session):
        require(actor, "manage_meeting")
        meeting = Meeting(meeting_date=meeting_date, area=area.strip())
        session.add(meeting)
        session.flush()
        audit.record(session, actor=actor, action="meeting.create", object_type="meeting", object_id=meeting.id)
    return meeting


MEETING_CONFLICT = "Someone else changed this meeting meanwhile; reload it and try again."


def update_meeting(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    expected_version: int,
    meeting_date: date | None = None,
    area: str | None = None,
    status: str | None = None,
) -> Meeting:
    """Changes a meeting; refused with `ConflictError` if someone changed it since it was read."""
    with unit_of_work(session):
        require(actor, "manage_meeting")
        meeting = load_current(session, Meeting, meeting_id, missing=f"There is no meeting number {meeting_id}.")
        if meeting.version != expected_version:
            raise ConflictError(MEETING_CONFLICT)
        changed: list[str] = []
        if meeting_date is not None and meeting_date != meeting.meeting_date:
            meeting.meeting_date, changed = meeting_date, [*changed, "meeting_date"]
        if area is not None and area.strip() != meeting.area:
            meeting.area, changed = area.strip(), [*changed, "area"]
        if status is not None:
            status = check_choice(status, MEETING_STATUSES, "meeting status")
            if status != meeting.status:
                meeting.status, changed = status, [*changed, "status"]
        save_versioned(session, meeting, expected_version=expected_version, conflict=MEETING_CONFLICT)
        audit.record(
            session,
            actor=actor,
            action="meeting.update",
            object_type="meeting",
            object_id=meeting.id,
            details={"fields": changed},
        )
    return meeting


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"There is no meeting number {meeting_id}.")
    return meeting


def list_meetings(session: Session, *, today: date | None = None) -> list[Meeting]:
    """Upcoming meetings first (soonest first), then past meetings (latest first)."""
    today = today or date.today()
    meetings = session.exec(select(Meeting).order_by(col(Meeting.meeting_date))).all()
    upcoming = [m for m in meetings if m.meeting_date >= today]
    past = [m for m in meetings if m.meeting_date < today]
    return upcoming + past[::-1]


def resolve_meeting(session: Session, text: str) -> Meeting:
    """The meeting named by its number or its date (as typed on a command line)."""
    text = text.strip()
    if text.isdigit():
        return get_meeting(session, int(text))
    try:
        day = parse_uk_day(text)
    except ValidationError:
        raise ValidationError(f'"{text}" is neither a meeting number nor a meeting date.') from None
    found = session.exec(select(Meeting).where(Meeting.meeting_date == day)).all()
    if not found:
        raise NotFound(f"There is no meeting on {day:%d %b %Y}.")
    if len(found) > 1:
        numbers = ", ".join(str(m.id) for m in found)
        raise ValidationError(f"More than one meeting is on {day:%d %b %Y} (numbers {numbers}); give the number.")
    return found[0]
