"""Seeds and looks up reference records (agencies) in a database."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from marac_prep.core.errors import ValidationError
from marac_prep.core.models import Agency
from marac_prep.core.vocabulary import default_agencies


def seed_reference_data(session: Session) -> None:
    """Adds the default agencies to a new database (a Marac may change them afterwards)."""
    if session.exec(select(Agency).limit(1)).first() is not None:
        return
    for item in default_agencies():
        session.add(Agency(name=item["name"], short_code=item["short_code"], category=item["category"]))


def find_agency(session: Session, name_or_code: str) -> Agency:
    """The agency whose name or short code matches, ignoring case; a clear error otherwise."""
    key = name_or_code.strip().casefold()
    agency = session.exec(
        select(Agency).where(
            (func.lower(Agency.name) == key) | (func.lower(Agency.short_code) == key)
        )
    ).first()
    if agency is None:
        raise ValidationError(f'"{name_or_code}" is not an agency at this Marac.')
    return agency


def agencies_by_id(session: Session) -> dict[int, Agency]:
    return {a.id: a for a in session.exec(select(Agency)).all() if a.id is not None}
