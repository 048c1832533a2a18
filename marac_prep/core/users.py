"""User profiles: who is acting, from which agency, in which role."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from marac_prep.core import audit
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import NotFound, ValidationError
from marac_prep.core.models import Agency, User
from marac_prep.core.permissions import require
from marac_prep.core.vocabulary import ROLES, check_choice


def find_user(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.name) == name.strip().casefold())).first()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user profile number {user_id}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)).all())


def _validated(session: Session, name: str, role: str, agency_id: int | None) -> tuple[str, str]:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("A profile needs a name.")
    role = check_choice(role, ROLES, "role")
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise ValidationError("The chosen agency does not exist.")
    if role in ("idva", "agency_rep") and agency_id is None:
        raise ValidationError("An Idva or agency representative must belong to an agency.")
    return name, role


def create_profile(session: Session, *, name: str, role: str, agency_id: int | None, actor: User | None = None) -> User:
    """Creates a profile: by a coordinator for someone, or by a person for themselves on first start.

    Raises:
        ValidationError: the name is empty or taken, or the role needs an agency.
    """
    with unit_of_work(session):
        name, role = _validated(session, name, role, agency_id)
        if find_user(session, name) is not None:
            raise ValidationError(f'A profile named "{name}" already exists; pick it instead.')
        if actor is not None:
            require(actor, "manage_users")
        user = User(name=name, role=role, agency_id=agency_id)
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=actor or user,
            action="user.create",
            object_type="user",
            object_id=user.id,
            details={"role": role, "agency_id": agency_id},
        )
    return user


def ensure_profile(session: Session, *, name: str, role: str = "coordinator") -> User:
    """The profile called `name`, created with `role` on first use (the CLI's default user)."""
    existing = find_user(session, name)
    if existing is not None:
        return existing
    return create_profile(session, name=name, role=role, agency_id=None)
