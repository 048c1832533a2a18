"""Agency returns: which agencies were asked, chased, and what they answered for a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import cases_for_meeting, get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ConflictError, ValidationError
from marac_prep.core.models import Agency, AgencyReturn, Case, ChronologyEntry, Person, User
from marac_prep.core.permissions import allowed, require
from marac_prep.core.versioning import save_versioned
from marac_prep.core.vocabulary import ANSWERED_STATUSES, RETURN_STATUSES, ReturnStatusOf, check_choice


@dataclass(frozen=True)
class ReturnRow(ReturnStatusOf):
    """One agency's return for a case, whether or not a record exists yet.

    Attributes:
        agency: the agency.
        record: the stored return, or None when nothing has been recorded (not requested).
        expected: whether the Marac expects this agency to return on this case.
    """

    agency: Agency
    record: AgencyReturn | None
    expected: bool


def expected_agency_ids(agencies: list[Agency], *, has_children: bool) -> set[int]:
    """Every-case agencies, plus the children's agencies when the household has children."""
    wanted = {"every_case"} | ({"children"} if has_children else set())
    return {a.id for a in agencies if a.active and a.category in wanted and a.id is not None}


def case_has_children(session: Session, case_id: int) -> bool:
    return session.exec(select(Person.id).where(Person.case_id == case_id, Person.role == "child")).first() is not None


def returns_for_case(session: Session, case_id: int) -> list[ReturnRow]:
    """Every expected agency, plus any other agency with a recorded return, in agency order."""
    agencies = list(session.exec(select(Agency).order_by(col(Agency.id))).all())
    records = {r.agency_id: r for r in session.exec(select(AgencyReturn).where(AgencyReturn.case_id == case_id)).all()}
    return return_rows(agencies, records, has_children=case_has_children(session, case_id))


def returns_for_cases(session: Session, case_ids: list[int]) -> dict[int, list[ReturnRow]]:
    """`returns_for_case` for several cases, in three queries."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    agencies = list(session.exec(select(Agency).order_by(col(Agency.id))).all())
    records: dict[int, dict[int, AgencyReturn]] = {i: {} for i in ids}
    for record in session.exec(select(AgencyReturn).where(col(AgencyReturn.case_id).in_(ids))).all():
        records[record.case_id][record.agency_id] = record
    with_children = set(
        session.exec(select(Person.case_id).where(col(Person.case_id).in_(ids), Person.role == "child")).all()
    )
    return {i: return_rows(agencies, records[i], has_children=i in with_children) for i in ids}


def return_rows(agencies: list[Agency], records: dict[int, AgencyReturn], *, has_children: bool) -> list[ReturnRow]:
    """The rows `returns_for_case` gives, from agencies (in id order) and a case's records by agency id."""
    expected = expected_agency_ids(agencies, has_children=has_children)
    return [
        ReturnRow(agency=a, record=records.get(a.id or 0), expected=a.id in expected)
        for a in agencies
        if a.id in expected or a.id in records
    ]


def return_progress(rows: list[ReturnRow]) -> tuple[int, int]:
    """(agencies that answered, agencies expected), e.g. (7, 10) for "7 of 10 agencies"."""
    expected = [r for r in rows if r.expected]
    return sum(1 for r in expected if r.answered), len(expected)


def _holds_entries(session: Session, *, case_id: int, agency_id: int) -> bool:
    """Whether the agency has current entries of its own on the case (other than "nothing known")."""
    found = session.exec(
        select(ChronologyEntry.id).where(
            ChronologyEntry.case_id == case_id,
            ChronologyEntry.agency_id == agency_id,
            col(ChronologyEntry.withdrawn_at).is_(None),
            ChronologyEntry.event_type != "nothing_known",
        )
    ).first()
    return found is not None


RETURN_CONFLICT = "Someone else changed this return meanwhile; reload it and try again."


def set_return(
    session: Session,
    *,
    actor: User,
    case_id: int,
    agency_id: int,
    status: str,
    on: date | None = None,
    representative: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> AgencyReturn:
    """Records an agency's return status for a case ("nothing known" is a full answer).

    "Nothing known" is refused while the agency holds entries of its own on the case (as the
    importer refuses it): one of the two would be wrong. "Declined" is recorded, but never
    counts as an answer.

    `on` is the date of the request, chase or answer (today by default). Each status changes only
    its own date: a request keeps an earlier request's date and withdraws an answer (its returned
    date goes); a chase needs a request first; an answer sets the returned date; the app asks a
    declining agency's reason for `note`. Passing `expected_version` makes the change fail with
    `ConflictError` if someone changed it meanwhile.
    """
    status = check_choice(status, RETURN_STATUSES, "return status")
    on = on or date.today()
    if on > date.today():
        raise ValidationError("A return cannot be dated in the future.")
    with unit_of_work(session):
        require(actor, "set_return", agency_id=agency_id)
        case: Case = get_case(session, case_id)
        if session.get(Agency, agency_id) is None:
            raise ValidationError("That agency does not exist.")
        if status == "nothing_known" and _holds_entries(session, case_id=case_id, agency_id=agency_id):
            raise ValidationError(
                "This agency has entries for this case, so it cannot also answer 'nothing known'; "
                "withdraw the entries first, or record the return as returned."
            )
        record, read_version = _current_record(session, case.id or 0, agency_id, expected_version)
        if status == "requested":
            record.requested_on = record.requested_on or on
            record.returned_on = None  # no longer answered
        elif status == "chased":
            if record.requested_on is None:
                agency = session.get(Agency, agency_id)
                raise ValidationError(
                    f"{agency.name if agency else 'That agency'} has not been asked yet: "
                    "mark it requested before recording a chase."
                )
            record.chased_on = on
            record.chase_count += 1
            record.returned_on = None
        elif status in ANSWERED_STATUSES or status == "declined":
            record.returned_on = on
        elif status == "not_requested":
            record.requested_on = record.chased_on = record.returned_on = None
            record.chase_count = 0
        record.status = status
        if representative is not None:
            record.representative = representative.strip()
        if note is not None:
            record.note = note.strip()
        _save(session, record, read_version, actor=actor, case_id=case_id, action="return.set",
              details={"agency_id": agency_id, "status": status})
    return record



def _save(
    session: Session, record: AgencyReturn, read_version: int, *, actor: User, case_id: int, action: str,
    details: dict[str, Any],
) -> None:
    """Writes a return if nobody else changed it since it was read, with its audit event."""
    if record.id is None:
        record.version = 1
    save_versioned(session, record, expected_version=read_version, conflict=RETURN_CONFLICT)
    audit.record(
        session, actor=actor, action=action, object_type="agency_return", object_id=record.id, case_id=case_id,
        details=details,
    )

@dataclass(frozen=True)
class ReturnState:
    """What one agency's return held before a change, so the change can be undone."""

    status: str
    requested_on: date | None
    chased_on: date | None
    chase_count: int
    returned_on: date | None
    representative: str
    note: str

    @classmethod
    def of(cls, record: AgencyReturn | None) -> ReturnState:
        if record is None:
            return cls("not_requested", None, None, 0, None, "", "")
        return cls(
            record.status,
            record.requested_on,
            record.chased_on,
            record.chase_count,
            record.returned_on,
            record.representative,
            record.note,
        )


def _record_of(session: Session, case_id: int, agency_id: int) -> AgencyReturn | None:
    return session.exec(
        select(AgencyReturn).where(AgencyReturn.case_id == case_id, AgencyReturn.agency_id == agency_id)
    ).first()


def _current_record(
    session: Session, case_id: int, agency_id: int, expected_version: int | None
) -> tuple[AgencyReturn, int]:
    """The return as stored now (a new one if none), and the version read, for `save_versioned`."""
    # Read as stored now and locked, as `versioning.load_current` does, in one query.
    found = session.exec(
        select(AgencyReturn).where(AgencyReturn.case_id == case_id, AgencyReturn.agency_id == agency_id)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if found is None:
        record = AgencyReturn(case_id=case_id, agency_id=agency_id, version=0)
    else:
        record = found
        if expected_version is not None and record.version != expected_version:
            raise ConflictError(RETURN_CONFLICT)
    return record, record.version


def return_state(session: Session, *, case_id: int, agency_id: int) -> ReturnState:
    return ReturnState.of(_record_of(session, case_id, agency_id))


def restore_return(
    session: Session,
    *,
    actor: User,
    case_id: int,
    agency_id: int,
    state: ReturnState,
    expected_version: int | None = None,
) -> AgencyReturn:
    """Puts an agency's return back as it was (undo); audited as "return.restored"."""
    with unit_of_work(session):
        require(actor, "set_return", agency_id=agency_id)
        get_case(session, case_id)
        record, read_version = _current_record(session, case_id, agency_id, expected_version)
        before = record.status
        record.status = check_choice(state.status, RETURN_STATUSES, "return status")
        for name in ("requested_on", "chased_on", "chase_count", "returned_on", "representative", "note"):
            setattr(record, name, getattr(state, name))
        _save(session, record, read_version, actor=actor, case_id=case_id, action="return.restored",
              details={"agency_id": agency_id, "from": before, "status": state.status})
    return record


def set_return_note(
    session: Session,
    *,
    actor: User,
    case_id: int,
    agency_id: int,
    note: str,
    representative: str | None = None,
    expected_version: int | None = None,
) -> AgencyReturn:
    """Changes only the note (and, if given, the representative) of an agency's return."""
    with unit_of_work(session):
        require(actor, "set_return", agency_id=agency_id)
        get_case(session, case_id)
        if session.get(Agency, agency_id) is None:
            raise ValidationError("That agency does not exist.")
        record, read_version = _current_record(session, case_id, agency_id, expected_version)
        if record.status == "declined" and not note.strip():
            raise ValidationError("A declined return keeps the agency's reason: the note cannot be empty.")
        record.note = note.strip()
        if representative is not None:
            record.representative = representative.strip()
        _save(session, record, read_version, actor=actor, case_id=case_id, action="return.note",
              details={"agency_id": agency_id})
    return record


def mark_meeting_requested(session: Session, *, actor: User, meeting_id: int, on: date | None = None) -> int:
    """Marks every expected, not yet requested agency return on the meeting's cases as requested
    `on` (today); agencies the actor may not set are left alone. Returns how many were marked."""
    marked = 0
    for case in cases_for_meeting(session, meeting_id):  # each request is its own audited change
        for row in returns_for_case(session, case.id or 0):
            agency_id = row.agency.id or 0
            if row.expected and row.status == "not_requested" and allowed(actor, "set_return", agency_id=agency_id):
                set_return(session, actor=actor, case_id=case.id or 0, agency_id=agency_id, status="requested", on=on)
                marked += 1
    return marked
