"""`marac-prep agency list|add|update`: the Marac's own agency list."""

from __future__ import annotations

import argparse

from marac_prep.commands.context import CommandContext
from marac_prep.core.agencies import add_agency, list_agencies, update_agency
from marac_prep.core.reference import find_agency
from marac_prep.core.vocabulary import AGENCY_CATEGORIES

_CATEGORY_TEXT = {
    "every_case": "expected on every case",
    "children": "expected when there are children",
    "optional": "optional",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("agency", help="list or change this Marac's agencies")
    actions = parser.add_subparsers(dest="agency_action", required=True, metavar="ACTION")
    actions.add_parser("list", help="list agencies").set_defaults(handler=_list)
    add = actions.add_parser("add", help="add an agency (coordinators only)")
    add.add_argument("--name", required=True)
    add.add_argument("--code", required=True, help="a short code, e.g. HV for Health visiting")
    add.add_argument("--category", choices=AGENCY_CATEGORIES, default="optional")
    add.set_defaults(handler=_add)
    change = actions.add_parser("update", help="rename, recategorise or deactivate an agency")
    change.add_argument("agency", help="the agency's name or short code")
    change.add_argument("--name")
    change.add_argument("--code")
    change.add_argument("--category", choices=AGENCY_CATEGORIES)
    change.add_argument("--active", choices=("yes", "no"))
    change.set_defaults(handler=_update)


def _list(ctx: CommandContext, args: argparse.Namespace) -> int:
    with ctx.database(create=False).read_session() as session:
        for agency in list_agencies(session):
            state = "" if agency.active else " (inactive)"
            ctx.print(f"{agency.short_code:<6} {agency.name:<32} {_CATEGORY_TEXT[agency.category]}{state}")
    return 0


def _add(ctx: CommandContext, args: argparse.Namespace) -> int:
    with ctx.database().session() as session:
        agency = add_agency(
            session, actor=ctx.actor(session), name=args.name, short_code=args.code, category=args.category
        )
        ctx.print(f"Added {agency.name} ({agency.short_code}), {_CATEGORY_TEXT[agency.category]}.")
    return 0


def _update(ctx: CommandContext, args: argparse.Namespace) -> int:
    with ctx.database().session() as session:
        actor = ctx.actor(session)
        agency = update_agency(
            session,
            actor=actor,
            agency_id=find_agency(session, args.agency).id or 0,
            name=args.name,
            short_code=args.code,
            category=args.category,
            active=None if args.active is None else args.active == "yes",
        )
        ctx.print(f"Updated {agency.name} ({agency.short_code}).")
    return 0
