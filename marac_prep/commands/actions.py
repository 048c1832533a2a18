"""`marac-prep actions`: a meeting's agreed actions (or the overdue ones), and the tracking form."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from marac_prep.commands.context import CommandContext, check_output_file
from marac_prep.core.actions import export_tracking_form, list_actions
from marac_prep.core.errors import ValidationError
from marac_prep.core.meetings import resolve_meeting


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "actions", help="list a meeting's agreed actions, or export the action tracking form",
        description="`actions --meeting DATE|ID [--overdue] [--json]` lists; "
                    "`actions export -o FILE.xlsx [--meeting DATE|ID]` writes the action tracking form.",
    )
    parser.add_argument("what", nargs="?", choices=("list", "export"), default="list",
                        help="list (the default) or export")
    parser.add_argument("--meeting", metavar="DATE|ID", help="the meeting's date or number")
    parser.add_argument("--overdue", action="store_true", help="only open actions past their due date")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a readable list")
    parser.add_argument("-o", "--output", metavar="FILE.xlsx", help="for export: the spreadsheet to write")
    parser.set_defaults(handler=_actions)


def _actions(ctx: CommandContext, args: argparse.Namespace) -> int:
    if args.what == "export":
        return _export(ctx, args)
    if not args.meeting:
        raise ValidationError("Say which meeting's actions to list with --meeting DATE or NUMBER.")
    with ctx.database(create=False).read_session() as session:
        meeting = resolve_meeting(session, args.meeting)
        rows = list_actions(session, meeting_id=meeting.id, overdue_only=args.overdue, today=date.today())
    if args.json:
        ctx.print(json.dumps([r.as_json() for r in rows], indent=2, ensure_ascii=False))
        return 0
    which = "overdue actions" if args.overdue else "actions"
    if not rows:
        ctx.print(f"No {which} for the meeting on {meeting.meeting_date:%d %b %Y}.")
        return 0
    ctx.print(f"{len(rows)} {which} for the meeting on {meeting.meeting_date:%d %b %Y}:")
    for row in rows:
        due = f"due {row.due_date:%d/%m/%Y}" if row.due_date else "no due date"
        mark = "OVERDUE " if row.overdue else ""
        owner = f" ({row.owner})" if row.owner else ""
        ctx.print(f"  {mark}{row.case_reference} {row.agency}{owner}, {due}: {row.text} [{row.status_label}]")
    return 0


def _export(ctx: CommandContext, args: argparse.Namespace) -> int:
    if not args.output:
        raise ValidationError("Give the spreadsheet to write with -o FILE.xlsx.")
    output = Path(args.output).expanduser()
    check_output_file(output, example="actions.xlsx")
    with ctx.database(create=False).session() as session:
        actor = ctx.actor(session)
        meeting_id = resolve_meeting(session, args.meeting).id if args.meeting else None
        count = export_tracking_form(session, actor=actor, path=output, meeting_id=meeting_id)
    ctx.print(f"Wrote {count} action{'s' if count != 1 else ''} to the tracking form {output}.")
    return 0
