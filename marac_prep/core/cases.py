"""Cases from referrals: the people in them, their addresses, criteria and consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.db import unit_of_work
from marac_prep.core.diversity import FIELDS as DIVERSITY_FIELDS
from marac_prep.core.diversity import normalise
from marac_prep.core.errors import ConflictError, NotFound, ValidationError
from marac_prep.core.hidden_text import hidden_problem
from marac_prep.core.models import Address, Agency, Case, CaseHearing, Meeting, Person, PersonFields, User
from marac_prep.core.permissions import require
from marac_prep.core.versioning import load_current, save_versioned
from marac_prep.core.vocabulary import (
    CASE_STATUSES,
    PERSON_ROLES,
    check_choice,
    criterion_id,
)


class PersonInput(PersonFields):
    """What a referral says about one person (`Person`'s own fields); `address` is optional and
    may be confidential."""

    address: str = ""
    address_confidential: bool = False

    @classmethod
    def of(cls, person: Person, address: Address | None = None) -> PersonInput:
        """The input that would store `person` (with its address) as it is."""
        return cls(
            **person.model_dump(include=set(PERSON_FIELDS)),
            address=address.text if address else "",
            address_confidential=bool(address and address.confidential),
        )


PERSON_FIELDS = tuple(PersonFields.model_fields)


def _clean_person(item: PersonInput) -> PersonInput:
    item.role = check_choice(item.role, PERSON_ROLES, "person role")
    item.name = " ".join(item.name.split())
    if not item.name:
        raise ValidationError(f"Each {item.role} needs a name (write 'Unknown' if it is not known).")
    if problem := hidden_problem(item.name + "".join(item.aliases), f"{item.role}'s name"):
        raise ValidationError(problem)
    if item.date_of_birth and item.date_of_birth > date.today():
        raise ValidationError(f"{item.name}'s date of birth is in the future.")
    item.aliases = [a.strip() for a in item.aliases if a.strip()]
    for name in DIVERSITY_FIELDS:
        # A value on the list (or an alias, "f", "not recorded") is stored as the list says it;
        # an older free-text value is kept as written and counted as not recorded (decision 0081).
        setattr(item, name, normalise(name, getattr(item, name)))
    return item


def _clean_criteria(criteria: list[str]) -> list[str]:
    return sorted({criterion_id(c) for c in criteria if c.strip()})


def _check_dash_score(score: int | None) -> None:
    if score is not None and not 0 <= score <= 24:
        raise ValidationError("A Dash score is between 0 and 24.")


def _add_person(session: Session, case_id: int, item: PersonInput) -> Person:
    person = Person(case_id=case_id, **{name: getattr(item, name) for name in PERSON_FIELDS})
    session.add(person)
    session.flush()
    if item.address.strip():
        session.add(
            Address(
                case_id=case_id, person_id=person.id, text=item.address.strip(), confidential=item.address_confidential
            )
        )
    return person


def create_case(
    session: Session,
    *,
    actor: User,
    reference: str,
    referral_date: date,
    referring_agency_id: int,
    meeting_id: int | None = None,
    criteria: list[str] | None = None,
    criteria_notes: str = "",
    dash_score: int | None = None,
    repeat: bool = False,
    victim_aware: bool | None = None,
    victim_consent: bool | None = None,
    consent_reason: str = "",
    people: list[PersonInput] | None = None,
    referral_reason: str = "",
    victim_wishes: str = "",
) -> Case:
    """Creates a case from a referral with its people; one victim is required.

    Raises:
        ValidationError: a missing victim, a taken reference, an unknown agency or meeting,
            a score outside 0–24, or sharing without consent and without a reason.
    """
    with unit_of_work(session):
        require(actor, "manage_case")
        reference = reference.strip()
        if not reference:
            raise ValidationError("A case needs a reference.")
        if problem := hidden_problem(reference, "case reference"):
            raise ValidationError(problem)
        if find_case(session, reference) is not None:
            raise ValidationError(f'A case with reference "{reference}" already exists.')
        if session.get(Agency, referring_agency_id) is None:
            raise ValidationError("The referring agency does not exist.")
        if meeting_id is not None and session.get(Meeting, meeting_id) is None:
            raise ValidationError("The meeting for this case does not exist.")
        if referral_date > date.today():
            raise ValidationError("The referral date is in the future.")
        _check_dash_score(dash_score)
        people = [_clean_person(p) for p in (people or [])]
        if not any(p.role == "victim" for p in people):
            raise ValidationError("A case needs its victim's name.")
        if victim_consent is False and not consent_reason.strip():
            raise ValidationError("The victim has not consented: record why sharing is still necessary.")
        case = Case(
            reference=reference,
            meeting_id=meeting_id,
            referral_date=referral_date,
            referring_agency_id=referring_agency_id,
            criteria=_clean_criteria(criteria or []),
            criteria_notes=criteria_notes.strip(),
            dash_score=dash_score,
            repeat=repeat or "repeat" in (criteria or []),
            victim_aware=victim_aware,
            victim_consent=victim_consent,
            consent_reason=consent_reason.strip(),
            referral_reason=referral_reason.strip(),
            victim_wishes=victim_wishes.strip(),
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        for item in people:
            _add_person(session, case.id, item)
        audit.record(
            session,
            actor=actor,
            action="case.create",
            object_type="case",
            object_id=case.id,
            case_id=case.id,
            details={"people": len(people)},
        )
    return case


CASE_CONFLICT = "Someone else changed this case meanwhile; reload it and try again."
PERSON_CONFLICT = "Someone else changed this person's details meanwhile; reload the case and try again."
_CASE_FIELDS = frozenset(
    {
        "reference",
        "meeting_id",
        "referral_date",
        "referring_agency_id",
        "criteria",
        "criteria_notes",
        "dash_score",
        "repeat",
        "victim_aware",
        "victim_consent",
        "consent_reason",
        "status",
        "referral_reason",
        "victim_wishes",
    }
)


def update_case(session: Session, *, actor: User, case_id: int, expected_version: int, **changes: Any) -> Case:
    """Changes a case's own fields; refused if someone else changed it since it was read."""
    unknown = set(changes) - _CASE_FIELDS
    if unknown:
        raise ValidationError(f"These are not case fields: {', '.join(sorted(unknown))}.")
    with unit_of_work(session):
        require(actor, "manage_case")
        case = load_current(session, Case, case_id, missing=f"There is no case number {case_id}.")
        if case.version != expected_version:
            raise ConflictError(CASE_CONFLICT)
        if "criteria" in changes:
            changes["criteria"] = _clean_criteria(changes["criteria"])
        if "status" in changes:
            changes["status"] = check_choice(changes["status"], CASE_STATUSES, "case status")
        if "dash_score" in changes:
            _check_dash_score(changes["dash_score"])
        if "reference" in changes:
            changes["reference"] = str(changes["reference"]).strip()
            if problem := hidden_problem(changes["reference"], "case reference"):
                raise ValidationError(problem)
            other = find_case(session, changes["reference"])
            if other is not None and other.id != case.id:
                raise ValidationError(f'A case with reference "{changes["reference"]}" already exists.')
        changed = sorted(k for k, v in changes.items() if getattr(case, k) != v)
        for key, value in changes.items():
            setattr(case, key, value)
        if case.victim_consent is False and not case.consent_reason:
            raise ValidationError("The victim has not consented: record why sharing is still necessary.")
        save_versioned(session, case, expected_version=expected_version, conflict=CASE_CONFLICT)
        audit.record(
            session,
            actor=actor,
            action="case.update",
            object_type="case",
            object_id=case.id,
            case_id=case.id,
            details={"fields": changed},
        )
    return case


def add_person(session: Session, *, actor: User, case_id: int, person: PersonInput) -> Person:
    with unit_of_work(session):
        require(actor, "manage_case")
        get_case(session, case_id)
        added = _add_person(session, case_id, _clean_person(person))
        audit.record(
            session,
            actor=actor,
            action="person.create",
            object_type="person",
            object_id=added.id,
            case_id=case_id,
            details={"role": added.role},
        )
    return added


def update_person(
    session: Session, *, actor: User, person_id: int, person: PersonInput, expected_version: int | None = None
) -> Person:
    """Replaces a person's details (and their address, when one is given).

    With `expected_version` (the person's version when read) the change is refused with
    `ConflictError` if someone changed the person meanwhile; without it, against the version read here.
    """
    with unit_of_work(session):
        require(actor, "manage_case")
        stored = load_current(session, Person, person_id, missing="That person is no longer in the case.")
        if expected_version is not None and stored.version != expected_version:
            raise ConflictError(PERSON_CONFLICT)
        version = stored.version if expected_version is None else expected_version
        item = _clean_person(person)
        changed = [n for n in PERSON_FIELDS if getattr(stored, n) != getattr(item, n)]
        for name in PERSON_FIELDS:
            setattr(stored, name, getattr(item, name))
        save_versioned(session, stored, expected_version=version, conflict=PERSON_CONFLICT)
        addresses = session.exec(select(Address).where(Address.person_id == person_id)).all()
        if item.address.strip():
            if addresses:
                addresses[0].text, addresses[0].confidential = item.address.strip(), item.address_confidential
                session.add(addresses[0])
            else:
                session.add(
                    Address(
                        case_id=stored.case_id,
                        person_id=person_id,
                        text=item.address.strip(),
                        confidential=item.address_confidential,
                    )
                )
            changed.append("address")
        audit.record(
            session,
            actor=actor,
            action="person.update",
            object_type="person",
            object_id=person_id,
            case_id=stored.case_id,
            details={"fields": changed},
        )
    return stored


def remove_person(session: Session, *, actor: User, person_id: int) -> None:
    with unit_of_work(session):
        require(actor, "manage_case")
        stored = session.get(Person, person_id)
        if stored is None:
            raise NotFound("That person is no longer in the case.")
        if stored.role == "victim":
            victims = session.exec(
                select(Person).where(Person.case_id == stored.case_id, Person.role == "victim")
            ).all()
            if len(victims) == 1:
                raise ValidationError("A case must keep its victim; change their details instead.")
        for address in session.exec(select(Address).where(Address.person_id == person_id)).all():
            session.delete(address)
        session.delete(stored)
        audit.record(
            session,
            actor=actor,
            action="person.delete",
            object_type="person",
            object_id=person_id,
            case_id=stored.case_id,
            details={"role": stored.role},
        )


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case number {case_id}.")
    return case


def find_case(session: Session, reference: str) -> Case | None:
    key = reference.strip().casefold()
    return session.exec(select(Case).where(func.lower(Case.reference) == key)).first()


def case_by_reference(session: Session, reference: str) -> Case:
    case = find_case(session, reference)
    if case is None:
        raise NotFound(f'There is no case with reference "{reference}".')
    return case


def cases_for_meeting(session: Session, meeting_id: int) -> list[Case]:
    """The meeting's cases in agenda order: the running order (`core.attendance`) first, then
    cases not yet placed in it by referral date. One order for the list, the pack and the minutes."""
    placed = col(CaseHearing.position)
    heard_here = (col(CaseHearing.case_id) == col(Case.id)) & (col(CaseHearing.meeting_id) == meeting_id)
    return list(
        session.exec(
            select(Case)
            .outerjoin(CaseHearing, heard_here)
            .where(Case.meeting_id == meeting_id)
            .order_by(placed.is_(None), placed, col(Case.referral_date), col(Case.id))
        ).all()
    )


def people_of(session: Session, case_id: int) -> list[Person]:
    order = {role: i for i, role in enumerate(PERSON_ROLES)}
    people = session.exec(select(Person).where(Person.case_id == case_id)).all()
    return sorted(people, key=lambda p: (order.get(p.role, 9), p.id or 0))


def addresses_of(session: Session, case_id: int) -> list[Address]:
    return list(session.exec(select(Address).where(Address.case_id == case_id)).all())
