"""`marac-prep meeting create|list`."""

from __future__ import annotations

import argparse

from marac_prep.commands.context import CommandContext
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.dates import display_day, parse_uk_day
from marac_prep.core.meetings import create_meeting, list_meetings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("meeting", help="create or list meetings")
    actions = parser.add_subparsers(dest="meeting_action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a meeting")
    create.add_argument("--date", required=True, help="the meeting date, YYYY-MM-DD (or DD/MM/YYYY)")
    create.add_argument("--area", default="", help="the area the Marac covers")
    create.set_defaults(handler=_create)
    listing = actions.add_parser("list", help="list meetings, upcoming first")
    listing.set_defaults(handler=_list)


def _create(ctx: CommandContext, args: argparse.Namespace) -> int:
    meeting_date = parse_uk_day(args.date)  # checked before the database is touched
    db = ctx.database()
    with db.session() as session:
        meeting = create_meeting(session, actor=ctx.actor(session), meeting_date=meeting_date, area=args.area)
        ctx.print(f"Created meeting {meeting.id} on {display_day(meeting.meeting_date)}.")
    return 0


def _list(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database(create=False)
    with db.read_session() as session:
        meetings = list_meetings(session)
        if not meetings:
            ctx.print("No meetings yet. Create one with: marac-prep meeting create --date YYYY-MM-DD")
            return 0
        ctx.print(f"{'No.':>4}  {'Date':<12} {'Area':<20} {'Status':<8} Cases")
        for m in meetings:
            count = len(cases_for_meeting(session, m.id or 0))
            ctx.print(f"{m.id:>4}  {display_day(m.meeting_date):<12} {m.area[:20]:<20} {m.status:<8} {count}")
    return 0
