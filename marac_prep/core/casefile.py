"""Everything known about a case, loaded at once as plain detached records for analysis and packs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from marac_prep.core.cases import addresses_of, cases_for_meeting, get_case, people_of
from marac_prep.core.chronology import entries_for_case
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import (
    Address,
    Agency,
    Case,
    ChronologyEntry,
    Meeting,
    Person,
    RiskAssessment,
)
from marac_prep.core.returns import ReturnRow, returns_for_case
from marac_prep.core.risk import assessments_for_case


@dataclass
class CaseFile:
    """A case with its people, addresses, entries (withdrawn ones left out), returns and assessments.

    Attributes:
        agencies: every agency by id, for naming agencies in entries and returns.
        earlier_cases: other cases whose victim may be the same person (for repeat checks);
            filled by `load_meeting_files` / `load_case_file` with `with_history=True`.
    """

    case: Case
    people: list[Person]
    addresses: list[Address]
    entries: list[ChronologyEntry]
    returns: list[ReturnRow]
    assessments: list[RiskAssessment]
    agencies: dict[int, Agency]
    earlier_cases: list[tuple[Case, list[Person]]] = field(default_factory=list)

    @property
    def victim(self) -> Person | None:
        return next((p for p in self.people if p.role == "victim"), None)

    @property
    def children(self) -> list[Person]:
        return [p for p in self.people if p.role == "child"]

    def agency_name(self, agency_id: int | None) -> str:
        if agency_id is None:
            return ""
        agency = self.agencies.get(agency_id)
        return agency.name if agency else f"agency {agency_id}"


def _history(session: Session, case: Case, people: list[Person]) -> list[tuple[Case, list[Person]]]:
    """Earlier cases whose victim shares a name, an alias or a date of birth with this victim.

    Only candidates are loaded (the analysis decides what is really the same person), so a
    database of thousands of cases is not read whole.
    """
    victims = [p for p in people if p.role == "victim"]
    names = {n.casefold() for v in victims for n in [v.name, *v.aliases] if n}
    births = {v.date_of_birth for v in victims if v.date_of_birth}
    if not names and not births:
        return []
    conditions: list[ColumnElement[bool]] = []
    if names:
        conditions.append(func.lower(Person.name).in_(names))
    if births:
        conditions.append(col(Person.date_of_birth).in_(births))
    rows = session.exec(
        select(Case, Person)
        .join(Person, col(Person.case_id) == col(Case.id))
        .where(Person.role == "victim", Case.id != case.id, Case.referral_date <= case.referral_date)
        .where(or_(*conditions))
    ).all()
    found: dict[int, tuple[Case, list[Person]]] = {}
    for other, person in rows:
        found.setdefault(other.id or 0, (other, []))[1].append(person)
    return list(found.values())


def load_case_file(session: Session, case_id: int, *, with_history: bool = True) -> CaseFile:
    case = get_case(session, case_id)
    people = people_of(session, case_id)
    agencies = {a.id: a for a in session.exec(select(Agency)).all() if a.id is not None}
    return CaseFile(
        case=case,
        people=people,
        addresses=addresses_of(session, case_id),
        entries=entries_for_case(session, case_id),
        returns=returns_for_case(session, case_id),
        assessments=assessments_for_case(session, case_id),
        agencies=agencies,
        earlier_cases=_history(session, case, people) if with_history else [],
    )


def load_meeting_files(session: Session, meeting_id: int) -> tuple[Meeting, list[CaseFile]]:
    meeting = get_meeting(session, meeting_id)
    return meeting, [load_case_file(session, c.id or 0) for c in cases_for_meeting(session, meeting_id)]
