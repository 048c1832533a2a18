"""`marac-prep user create|list`: profiles the command line and the app act as."""

from __future__ import annotations

import argparse

from marac_prep.commands.context import CommandContext
from marac_prep.core.reference import agencies_by_id, find_agency
from marac_prep.core.users import create_profile, list_users
from marac_prep.core.vocabulary import ROLES


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("user", help="create or list user profiles")
    actions = parser.add_subparsers(dest="user_action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a profile (coordinators only)")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--agency", default=None, help="the agency's name or short code")
    create.set_defaults(handler=_create)
    actions.add_parser("list", help="list profiles").set_defaults(handler=_list)


def _create(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database()
    with db.session() as session:
        actor = ctx.actor(session)
        agency_id = find_agency(session, args.agency).id if args.agency else None
        user = create_profile(session, actor=actor, name=args.name, role=args.role, agency_id=agency_id)
        ctx.print(f"Created profile {user.name} ({user.role}).")
    return 0


def _list(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database(create=False)
    with db.read_session() as session:
        agencies = agencies_by_id(session)
        for user in list_users(session):
            agency = agencies[user.agency_id].name if user.agency_id in agencies else "-"
            ctx.print(f"{user.name:<30} {user.role:<12} {agency}")
    return 0
