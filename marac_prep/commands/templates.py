"""`marac-prep templates`: one research request workbook per expected agency."""

from __future__ import annotations

import argparse
from pathlib import Path

from marac_prep.commands.context import CommandContext
from marac_prep.core.meetings import resolve_meeting


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "templates", help="write research request workbooks, one per expected agency",
        description="Each workbook names its agency, lists the meeting's cases with the details needed to "
        "search records (never a confidential address), and imports back as it is once filled.",
    )
    parser.add_argument("--meeting", required=True, metavar="DATE|ID", help="the meeting (its date or number)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="FOLDER")
    parser.set_defaults(handler=_templates)


def _templates(ctx: CommandContext, args: argparse.Namespace) -> int:
    from marac_prep.interchange.templates import write_templates

    db = ctx.database(create=False)
    with db.session() as session:
        meeting = resolve_meeting(session, args.meeting)
        paths = write_templates(session, actor=ctx.actor(session), meeting_id=meeting.id or 0, folder=args.output)
    if not paths:
        ctx.print("The meeting has no cases yet, so no research requests were written.")
        return 0
    ctx.print(f"Wrote {len(paths)} research request(s) to {args.output}:")
    for path in paths:
        ctx.print(f"  {path.name}")
    return 0
