"""`marac-prep user create|bind|list`: profiles, and how each proves who it is."""

from __future__ import annotations

import argparse

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from marac_prep.commands.context import CommandContext
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.identity import is_postgres
from marac_prep.core.models import User
from marac_prep.core.reference import agencies_by_id, find_agency
from marac_prep.core.server_roles import create_login_sql, login_name_for
from marac_prep.core.users import bind_profile, create_profile, find_user, list_users
from marac_prep.core.vocabulary import ROLES


def _proof_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--os-account", metavar="ACCOUNT",
                        help="SQLite: the person's account on this computer (they need type nothing)")
    parser.add_argument("--profile-passphrase-file", metavar="FILE",
                        help="SQLite: a file whose first line is the profile's own passphrase (12+ characters)")
    parser.add_argument("--login", metavar="NAME",
                        help="PostgreSQL: the person's own database login (default: from the name)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("user", help="create, bind or list user profiles")
    actions = parser.add_subparsers(dest="user_action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a profile (coordinators only)")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--agency", default=None, help="the agency's name or short code")
    _proof_options(create)
    create.add_argument("--print-sql", action="store_true",
                        help="PostgreSQL: print the login's SQL for the server's administrator instead of running it")
    create.set_defaults(handler=_create)
    bind = actions.add_parser("bind", help="set how a profile proves who it is (coordinators only)")
    bind.add_argument("--name", required=True)
    _proof_options(bind)
    bind.set_defaults(handler=_bind)
    actions.add_parser("list", help="list profiles").set_defaults(handler=_list)


def _create(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database()
    passphrase = ctx._read_file(args.profile_passphrase_file, "profile passphrase")
    with db.session() as session:
        actor = ctx.actor(session)
        agency_id = find_agency(session, args.agency).id if args.agency else None
        if not is_postgres(session):
            user = create_profile(session, actor=actor, name=args.name, role=args.role, agency_id=agency_id,
                                  os_account=args.os_account, passphrase=passphrase)
            ctx.print(f"Created profile {user.name} ({user.role}).")
            return 0
        login = args.login or login_name_for(args.name)
        statements = create_login_sql(login, args.role)
        if args.print_sql:
            user = create_profile(session, actor=actor, name=args.name, role=args.role, agency_id=agency_id,
                                  db_login=login)
            ctx.print(f"Created profile {user.name} ({user.role}) for the database login {login}.")
            ctx.print("Ask the database server's administrator to run:")
            for statement in statements:
                ctx.print(statement if statement.startswith("--") else statement + ";")
            return 0
        user = _create_with_login(session, actor=actor, args=args, agency_id=agency_id, login=login,
                                  statement=statements[0])
        ctx.print(f"Created profile {user.name} ({user.role}) and the database login {login}; "
                  f"set its password on the server (psql: \\password {login}).")
    return 0


def _create_with_login(
    session: Session, *, actor: User, args: argparse.Namespace, agency_id: int | None, login: str, statement: str
) -> User:

    try:
        # The login first, in its own statement: if the server refuses (no CREATEROLE), nothing
        # of the profile is left behind either.
        with session.begin_nested():
            session.execute(text(statement))
    except DBAPIError as exc:
        session.rollback()
        if "already exists" in str(exc):
            raise ValidationError(
                f"The database login {login} already exists; use `user bind --login {login}`."
            ) from None
        raise PermissionDenied(
            "Your database login cannot create logins on this server; rerun with --print-sql and "
            "give the SQL to the server's administrator. Nothing was changed."
        ) from None
    return create_profile(session, actor=actor, name=args.name, role=args.role, agency_id=agency_id, db_login=login)


def _bind(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database()
    passphrase = ctx._read_file(args.profile_passphrase_file, "profile passphrase")
    with db.session() as session:
        actor = ctx.actor(session)
        user = find_user(session, args.name)
        if user is None or user.id is None:
            raise ValidationError(f'There is no profile named "{args.name}".')
        bind_profile(session, actor=actor, user_id=user.id, os_account=args.os_account,
                     passphrase=passphrase, db_login=args.login)
        ctx.print(f"{user.name}'s proof of identity was changed.")
    return 0


def _list(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database(create=False)
    with db.read_session() as session:
        agencies = agencies_by_id(session)
        for user in list_users(session):
            agency = agencies[user.agency_id].name if user.agency_id in agencies else "-"
            proof = ", ".join(
                label for label, present in (
                    (f"account {user.os_account}", user.os_account),
                    ("passphrase", user.passphrase_hash),
                    (f"login {user.db_login}", user.db_login),
                ) if present
            ) or "no proof set"
            ctx.print(f"{user.name:<30} {user.role:<12} {agency:<30} {proof}")
    return 0
