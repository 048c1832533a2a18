"""Who is acting: the proof a person gives (OS account, passphrase, database login) and its check.

SQLite: a profile is bound to an operating-system account and/or protected by its own passphrase
(scrypt hash). PostgreSQL: the profile is the one whose `db_login` is the connection's
`session_user`; nobody chooses another (the server's administrator excepted, who can do anything
through SQL anyway). See docs/security.md and decisions 0030-0031.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from marac_prep.core import passphrases
from marac_prep.core.db import Database
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.host import current_os_account as current_os_account  # re-exported
from marac_prep.core.host import same_account
from marac_prep.core.models import DatabaseCreator, User

# scrypt for profile passphrases: 16 MiB per guess; cheap enough to check at every unlock.
_N, _R, _P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024
MIN_PASSPHRASE = passphrases.MIN_LENGTH


@dataclass(frozen=True)
class Proof:
    """What the person at the keyboard can show.

    Attributes:
        os_account: the operating-system account the app runs as (taken from the process,
            never typed).
        passphrase: the profile passphrase they typed, if any.
    """

    os_account: str
    passphrase: str | None = field(default=None, repr=False)

    @classmethod
    def of_this_process(cls, passphrase: str | None = None) -> Proof:
        return cls(os_account=current_os_account(), passphrase=passphrase or None)


def check_new_passphrase(passphrase: str) -> str:
    """A new profile passphrase, checked by the one rule for every passphrase and password."""
    return passphrases.check_new_passphrase(passphrase, what="profile passphrase")


def hash_passphrase(passphrase: str) -> str:
    """An scrypt hash to store: "scrypt$N$r$p$salt$key" (base64); the passphrase is not kept."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=32)
    enc = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${enc(salt).decode()}${enc(key).decode()}"


def passphrase_matches(stored: str | None, passphrase: str | None) -> bool:
    if not stored or not passphrase:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        got = hashlib.scrypt(
            passphrase.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=_MAXMEM, dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# --- the database server's view ---------------------------------------------------------------


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def server_login(session: Session) -> str:
    """The PostgreSQL login of this connection (`session_user`)."""
    return str(session.execute(text("SELECT session_user")).scalar())


def is_server_admin(session: Session) -> bool:
    """True for a superuser or the database's owner: trusted, since they can change anything."""
    row = session.execute(
        text(
            "SELECT r.rolsuper OR d.datdba = r.oid FROM pg_roles r, pg_database d "
            "WHERE r.rolname = session_user AND d.datname = current_database()"
        )
    ).scalar()
    return bool(row)


def sees_whole_trail(session: Session) -> bool:
    """False for a PostgreSQL login that row-level security shows only its own audit events."""
    if not is_postgres(session) or is_server_admin(session):
        return True
    return bool(session.execute(
        text("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'marac_coordinator') "
             "AND pg_has_role(session_user, 'marac_coordinator', 'MEMBER')")
    ).scalar())


def database_creator(session: Session) -> str | None:
    """The OS account that created this SQLite database (None when not recorded)."""
    return session.exec(select(DatabaseCreator.os_account).order_by(col(DatabaseCreator.id))).first()


def _find(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.name) == " ".join(name.split()).casefold())).first()


def _has_profiles(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


# --- the checks ----------------------------------------------------------------------------


def prove(session: Session, user: User, proof: Proof) -> None:
    """Raises PermissionDenied unless `proof` shows the person is `user`."""
    if not user.active:
        raise PermissionDenied(f"{user.name}'s profile is inactive; a coordinator can reactivate it.")
    if is_postgres(session):
        login = server_login(session)
        if user.db_login == login or is_server_admin(session):
            return
        raise PermissionDenied(
            f'You are connected to the database as "{login}", which is not {user.name}\'s login; '
            "on a shared server you act only as the profile of your own login."
        )
    if user.passphrase_hash and passphrase_matches(user.passphrase_hash, proof.passphrase):
        return
    if user.os_account and same_account(user.os_account, proof.os_account):
        return
    if user.passphrase_hash:
        raise PermissionDenied(
            f"That is not {user.name}'s passphrase (or none was given); nothing was opened."
        )
    if user.os_account:
        raise PermissionDenied(
            f"{user.name}'s profile belongs to another account on this computer, not to "
            f'"{proof.os_account}"; sign in to that account, or ask a coordinator.'
        )
    raise PermissionDenied(
        f"{user.name}'s profile has no proof of identity yet: a coordinator must bind it to an "
        "operating-system account or give it a passphrase (marac-prep user bind)."
    )


def may_create_first_coordinator(session: Session, proof: Proof) -> bool:
    """True when there are no profiles yet and this person created the database (or administers
    the server): they become its first coordinator."""
    if _has_profiles(session):
        return False
    if is_postgres(session):
        return is_server_admin(session)
    creator = database_creator(session)
    return creator is None or same_account(creator, proof.os_account)


def authenticate(session: Session, *, name: str | None, proof: Proof) -> User:
    """The profile the person at the keyboard may act as.

    With `name`, that profile once `proof` holds for it; without, the profile bound to the
    OS account (SQLite) or the connection's login (PostgreSQL). The first coordinator is created
    only for the account that created the database; nothing else is ever created here.

    Raises:
        ValidationError: no profile has that name.
        PermissionDenied: the proof does not hold, or nobody is bound to this account/login.
    """
    if name:
        user = _find(session, name)
        if user is None:
            raise ValidationError(f'There is no profile named "{" ".join(name.split())}".')
        prove(session, user, proof)
        return user
    if is_postgres(session):
        login = server_login(session)
        user = session.exec(select(User).where(User.db_login == login)).first()
        if user is not None:
            prove(session, user, proof)
            return user
        if may_create_first_coordinator(session, proof):
            return _first_coordinator(session, name=login, db_login=login, proof=proof)
        raise PermissionDenied(
            f'The database login "{login}" has no Marac Prep profile; ask a coordinator to '
            "create one for it (marac-prep user create --login …)."
        )
    bound = [
        u for u in session.exec(select(User).where(col(User.os_account).is_not(None))).all()
        if same_account(u.os_account, proof.os_account) and u.active
    ]
    if len(bound) == 1:
        return bound[0]
    if len(bound) > 1:
        names = ", ".join(sorted(u.name for u in bound))
        raise ValidationError(f"Several profiles belong to your account ({names}); choose one with --user.")
    if may_create_first_coordinator(session, proof):
        return _first_coordinator(session, name=proof.os_account or "Coordinator", proof=proof)
    raise PermissionDenied(
        f'No profile on this database belongs to the account "{proof.os_account}". Use --user with '
        "a profile's passphrase, or ask a coordinator to create a profile for you."
    )


def _first_coordinator(session: Session, *, name: str, proof: Proof, db_login: str | None = None) -> User:
    from marac_prep.core.users import create_profile

    return create_profile(
        session, name=name, role="coordinator", agency_id=None,
        os_account=None if db_login else proof.os_account, db_login=db_login,
    )



def unlock_check(database: Database, user: User) -> Callable[[str], bool] | None:
    """What unlocks the idle lock for `user`: the same proof as signing in.

    Their own profile passphrase when the profile has one (read afresh, so a changed or
    deactivated profile counts); else the database passphrase of an encrypted file; None when
    the profile is proved by the operating-system account alone, which the lock cannot ask
    for (the computer's own screen lock protects that; docs/security.md says so).
    """
    if user.passphrase_hash:
        user_id = user.id

        def check(typed: str) -> bool:
            with database.read_session() as session:
                current = session.get(User, user_id)
                return bool(current and current.active and passphrase_matches(current.passphrase_hash, typed))

        return check
    if database.encrypted:
        return database.check_passphrase
    return None
