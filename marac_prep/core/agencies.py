"""The Marac's own list of agencies: which are expected on every case, which when there are children."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import NotFound, ValidationError
from marac_prep.core.models import Agency, User
from marac_prep.core.permissions import require
from marac_prep.core.vocabulary import AGENCY_CATEGORIES, check_choice


def list_agencies(session: Session, *, include_inactive: bool = True) -> list[Agency]:
    query = select(Agency).order_by(col(Agency.id))
    if not include_inactive:
        query = query.where(col(Agency.active))
    return list(session.exec(query).all())


def _check_unique(session: Session, name: str, short_code: str, agency_id: int | None) -> None:
    for column, value, what in ((Agency.name, name, "name"), (Agency.short_code, short_code, "short code")):
        clash = session.exec(select(Agency).where(func.lower(column) == value.casefold())).first()
        if clash is not None and clash.id != agency_id:
            raise ValidationError(f'Another agency already has the {what} "{value}".')


def add_agency(session: Session, *, actor: User, name: str, short_code: str, category: str = "optional") -> Agency:
    """Adds an agency to this Marac (coordinators only); names and codes are unique ignoring case."""
    name, short_code = " ".join(name.split()), short_code.strip().upper()
    if not name or not short_code:
        raise ValidationError("An agency needs a name and a short code.")
    category = check_choice(category, AGENCY_CATEGORIES, "agency category")
    with unit_of_work(session):
        require(actor, "manage_users")
        _check_unique(session, name, short_code, None)
        agency = Agency(name=name, short_code=short_code, category=category)
        session.add(agency)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="agency.create",
            object_type="agency",
            object_id=agency.id,
            details={"category": category},
        )
    return agency


def update_agency(
    session: Session,
    *,
    actor: User,
    agency_id: int,
    name: str | None = None,
    short_code: str | None = None,
    category: str | None = None,
    active: bool | None = None,
) -> Agency:
    """Renames, recategorises or (de)activates an agency; its past entries keep pointing at it."""
    with unit_of_work(session):
        require(actor, "manage_users")
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise NotFound(f"There is no agency number {agency_id}.")
        new_name = " ".join(name.split()) if name is not None else agency.name
        new_code = short_code.strip().upper() if short_code is not None else agency.short_code
        if not new_name or not new_code:
            raise ValidationError("An agency needs a name and a short code.")
        _check_unique(session, new_name, new_code, agency_id)
        changed = []
        for field, value in (
            ("name", new_name),
            ("short_code", new_code),
            ("category", check_choice(category, AGENCY_CATEGORIES, "agency category") if category else None),
            ("active", active),
        ):
            if value is not None and getattr(agency, field) != value:
                setattr(agency, field, value)
                changed.append(field)
        session.add(agency)
        audit.record(
            session,
            actor=actor,
            action="agency.update",
            object_type="agency",
            object_id=agency_id,
            details={"fields": changed},
        )
    return agency
