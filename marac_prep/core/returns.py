"""Agency returns: which agencies were asked, chased, and what they answered for a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ConflictError, ValidationError
from marac_prep.core.models import Agency, AgencyReturn, Case, Person, User
from marac_prep.core.permissions import require
from marac_prep.core.versioning import load_current, save_versioned
from marac_prep.core.vocabulary import ANSWERED_STATUSES, RETURN_STATUSES, check_choice


@dataclass(frozen=True)
class ReturnRow:
    """One agency's return for a case, whether or not a record exists yet.

    Attributes:
        agency: the agency.
        record: the stored return, or None when nothing has been recorded (not requested).
        expected: whether the Marac expects this agency to return on this case.
    """

    agency: Agency
    record: AgencyReturn | None
    expected: bool

    @property
    def status(self) -> str:
        return self.record.status if self.record else "not_requested"

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED_STATUSES


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

    `on` is the date of the request, chase or answer (today by default). Passing
    `expected_version` makes the change fail with `ConflictError` if someone changed it meanwhile.
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
        record_id = session.exec(
            select(AgencyReturn.id).where(AgencyReturn.case_id == case.id, AgencyReturn.agency_id == agency_id)
        ).first()
        if record_id is None:
            record = AgencyReturn(case_id=case_id, agency_id=agency_id, version=0)
        else:
            record = load_current(session, AgencyReturn, record_id, missing=RETURN_CONFLICT)
            if expected_version is not None and record.version != expected_version:
                raise ConflictError(RETURN_CONFLICT)
        read_version = record.version
        if status == "requested":
            record.requested_on = on
        elif status == "chased":
            record.requested_on = record.requested_on or on
            record.chased_on = on
            record.chase_count += 1
        elif status in ANSWERED_STATUSES:
            record.returned_on = on
        elif status == "not_requested":
            record.requested_on = record.chased_on = record.returned_on = None
            record.chase_count = 0
        record.status = status
        if representative is not None:
            record.representative = representative.strip()
        if note is not None:
            record.note = note.strip()
        if record.id is None:
            record.version = 1
        save_versioned(session, record, expected_version=read_version, conflict=RETURN_CONFLICT)
        audit.record(
            session,
            actor=actor,
            action="return.set",
            object_type="agency_return",
            object_id=record.id,
            case_id=case_id,
            details={"agency_id": agency_id, "status": status},
        )
    return record
