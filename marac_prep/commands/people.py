"""`marac-prep people find`: a person's records in every case, found with the person matcher."""

from __future__ import annotations

import argparse
import json

from marac_prep.commands.context import CommandContext
from marac_prep.core.dates import display_day, parse_uk_day
from marac_prep.core.people import find_people


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("people", help="find a person across every case")
    commands = parser.add_subparsers(dest="people_command", metavar="COMMAND", required=True, parser_class=type(parser))
    find = commands.add_parser("find", help="records that may be this person (spelling variants, aliases, dates)")
    find.add_argument("name", metavar="NAME", help='the name or alias, e.g. "Aoife BRENNAN" (may be "")')
    find.add_argument("--dob", metavar="DATE", help="date of birth, e.g. 2/1/1990 or 1990-01-02")
    find.add_argument("--json", action="store_true", help="print JSON instead of a table")
    find.set_defaults(handler=_find)


def _find(ctx: CommandContext, args: argparse.Namespace) -> int:
    born = parse_uk_day(args.dob) if args.dob else None
    with ctx.database(create=False).read_session() as session:  # a read: never creates a database
        hits = find_people(session, name=args.name, date_of_birth=born)
    if args.json:
        ctx.print(
            json.dumps(
                [
                    {
                        "name": h.name,
                        "aliases": list(h.aliases),
                        "date_of_birth": h.date_of_birth.isoformat() if h.date_of_birth else None,
                        "role": h.role,
                        "case": h.reference,
                        "meeting_date": h.meeting_date.isoformat() if h.meeting_date else None,
                        "referral_date": h.referral_date.isoformat(),
                        "score": h.score,
                        "reasons": list(h.reasons),
                    }
                    for h in hits
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not hits:
        ctx.print("Nobody found under that name or date of birth.")
        return 0
    for h in hits:
        born_text = display_day(h.date_of_birth) if h.date_of_birth else "born: not recorded"
        marac = display_day(h.meeting_date or h.referral_date)
        ctx.print(f"{h.reference:<16} {marac:<12} {h.role:<12} {h.name} ({born_text}) – {'; '.join(h.reasons)}")
    return 0
