"""`marac-prep minutes`: the meeting's minutes as a marked, numbered (and optionally encrypted) PDF."""

from __future__ import annotations

import argparse

from marac_prep.commands.context import CommandContext
from marac_prep.commands.pack import read_password_file
from marac_prep.core.meetings import resolve_meeting


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("minutes", help="write a meeting's minutes as a PDF")
    parser.add_argument("--meeting", required=True, metavar="DATE|ID", help="the meeting's date or number")
    parser.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="the PDF to write")
    parser.add_argument("--marking", metavar="TEXT", help="protective marking (default as for the pack)")
    parser.add_argument("--password-file", metavar="FILE",
                        help="encrypt with AES-256 using the password on this file's first line")
    parser.set_defaults(handler=_minutes)


def _minutes(ctx: CommandContext, args: argparse.Namespace) -> int:
    # Imported here so `marac-prep --help` does not load ReportLab.
    from marac_prep.pack.export import check_destination, check_marking, check_password
    from marac_prep.pack.minutes import export_minutes

    destination = check_destination(args.output)
    marking = None if args.marking is None else check_marking(args.marking)
    password = check_password(read_password_file(args.password_file)) if args.password_file else None
    with ctx.database(create=False).session() as session:
        actor = ctx.actor(session)
        meeting = resolve_meeting(session, args.meeting)
        result = export_minutes(session, actor=actor, meeting_id=meeting.id or 0, destination=destination,
                                marking=marking, password=password)
    protection = ", encrypted (AES-256)" if result.encrypted else ""
    ctx.print(
        f"Minutes written to {result.path}: {result.cases} case{'s' if result.cases != 1 else ''}, "
        f"{result.actions} action{'s' if result.actions != 1 else ''}, "
        f"{result.pages} page{'s' if result.pages != 1 else ''}{protection}."
    )
    return 0
