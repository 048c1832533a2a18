"""`marac-prep export`: the combined chronology as CSV or XLSX."""

from __future__ import annotations

import argparse
from pathlib import Path

from marac_prep.commands.context import CommandContext
from marac_prep.core.meetings import resolve_meeting


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export", help="export the combined chronology to CSV or XLSX",
        description="Writes the meeting's combined chronology in the agency-return columns: shareable entries "
        "only, unless a coordinator asks for --everything. Confidential "
        "addresses and phone numbers are never written; cells a spreadsheet would run are prefixed with '.",
    )
    parser.add_argument("--meeting", required=True, metavar="DATE|ID", help="the meeting (its date or number)")
    parser.add_argument("--case", metavar="REF", help="only this case")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--shareable-only", action="store_true",
                       help="leave out entries that may not be shared (the default)")
    scope.add_argument("--everything", action="store_true",
                       help="coordinators only: include entries agencies marked not shareable (audited as such)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.csv|FILE.xlsx")
    parser.set_defaults(handler=_export)


def _export(ctx: CommandContext, args: argparse.Namespace) -> int:
    from marac_prep.interchange.export import export_chronology

    db = ctx.database(create=False)
    with db.session() as session:
        meeting = resolve_meeting(session, args.meeting)
        result = export_chronology(
            session, actor=ctx.actor(session), meeting_id=meeting.id or 0, path=args.output,
            case_reference=args.case, everything=args.everything,
        )
    ctx.print(f"Wrote {result.rows} rows from {result.cases} case(s) to {result.path}.")
    return 0
