"""User profiles: who is acting, from which agency, in which role."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from marac_prep.core import audit
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import NotFound, PermissionDenied, ValidationError
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


def create_profile(
    session: Session,
    *,
    name: str,
    role: str,
    agency_id: int | None,
    actor: User | None = None,
    os_account: str | None = None,
    passphrase: str | None = None,
    db_login: str | None = None,
) -> User:
    """Creates a profile: by a coordinator for someone, or the database's first coordinator.

    Without `actor` only the first profile can be made, a coordinator, by the account that
    created the database (or the server's administrator). On SQLite each profile is bound to an
    operating-system account and/or a passphrase; on PostgreSQL to its database login.

    Raises:
        ValidationError: the name is empty or taken, the role needs an agency, or no proof is set.
        PermissionDenied: the actor may not manage users, or a first profile already exists.
    """
    from marac_prep.core.identity import (
        Proof,
        check_new_passphrase,
        hash_passphrase,
        is_postgres,
        may_create_first_coordinator,
    )
    from marac_prep.core.server_roles import check_login_name

    with unit_of_work(session):
        name, role = _validated(session, name, role, agency_id)
        if find_user(session, name) is not None:
            raise ValidationError(f'A profile named "{name}" already exists; pick it instead.')
        if actor is not None:
            require(actor, "manage_users")
        elif role != "coordinator" or not may_create_first_coordinator(session, Proof.of_this_process()):
            raise PermissionDenied(
                "Only a coordinator can create profiles; the first one is made by the account "
                "that created the database."
            )
        os_account = (os_account or "").strip() or None
        if db_login is not None:
            db_login = check_login_name(db_login)
        if not is_postgres(session) and os_account is None and passphrase is None:
            raise ValidationError(
                f"Say how {name} will prove who they are: their account on this computer, or a "
                "passphrase of their own."
            )
        user = User(
            name=name, role=role, agency_id=agency_id, os_account=os_account, db_login=db_login,
            passphrase_hash=hash_passphrase(check_new_passphrase(passphrase)) if passphrase is not None else None,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=actor or user,
            action="user.create",
            object_type="user",
            object_id=user.id,
            details={
                "role": role, "agency_id": agency_id, "os_account": bool(os_account),
                "passphrase": passphrase is not None, "db_login": db_login,
            },
        )
    return user


def bind_profile(
    session: Session,
    *,
    actor: User,
    user_id: int,
    os_account: str | None = None,
    passphrase: str | None = None,
    db_login: str | None = None,
) -> User:
    """A coordinator sets how a profile proves who it is (the given proofs replace the old)."""
    from marac_prep.core.identity import check_new_passphrase, hash_passphrase
    from marac_prep.core.server_roles import check_login_name

    with unit_of_work(session):
        require(actor, "manage_users")
        user = get_user(session, user_id)
        changed: list[str] = []
        if os_account is not None:
            user.os_account = os_account.strip() or None
            changed.append("os_account")
        if passphrase is not None:
            user.passphrase_hash = hash_passphrase(check_new_passphrase(passphrase))
            changed.append("passphrase")
        if db_login is not None:
            user.db_login = check_login_name(db_login)
            changed.append("db_login")
        if not changed:
            raise ValidationError("Give an account, a passphrase or a database login to bind.")
        session.add(user)
        session.flush()
        audit.record(
            session, actor=actor, action="user.bind", object_type="user", object_id=user.id,
            details={"changed": changed},
        )
    return user


def ensure_profile(session: Session, *, name: str, role: str = "coordinator") -> User:
    """The profile called `name`; on a database without profiles, made its first coordinator,
    bound to this process's OS account (demo workspaces, tests, benchmarks). No proof is checked:
    entry points authenticate with `identity.authenticate` instead."""
    existing = find_user(session, name)
    if existing is not None:
        return existing
    from marac_prep.core.identity import current_os_account

    return create_profile(session, name=name, role=role, agency_id=None, os_account=current_os_account())
