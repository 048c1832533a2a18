"""`marac-prep import`: agency returns and Marac lists from CSV or XLSX files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from marac_prep.commands.context import CommandContext
from marac_prep.core.errors import MaracError, NotFound, ValidationError
from marac_prep.core.meetings import resolve_meeting

SHOWN_REASONS = 5


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import", help="import agency returns or a Marac list from CSV or XLSX files",
        description="Imports each file in one transaction; rejected rows go, with their reasons, "
        "to NAME.rejects.csv beside the file. Dates are always read day first.",
    )
    parser.add_argument("--meeting", required=True, metavar="DATE|ID", help="the meeting (its date or number)")
    parser.add_argument("--agency", metavar="NAME", help="the agency for rows that do not name one")
    parser.add_argument("--rejects-dir", metavar="DIR", type=Path, help="where to write the rejects files")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.set_defaults(handler=_import)


def _import(ctx: CommandContext, args: argparse.Namespace) -> int:
    # Qt-free and imported here so `marac-prep --help` stays quick.
    from marac_prep.interchange.importer import import_file

    db = ctx.database(create=False)
    with db.read_session() as session:
        meeting_id = resolve_meeting(session, args.meeting).id or 0
    reports: list[dict[str, Any]] = []
    status = 0
    for path in args.files:
        with db.session() as session:
            try:
                result = import_file(
                    session, actor=ctx.actor(session), meeting_id=meeting_id, path=path,
                    agency=args.agency, rejects_dir=args.rejects_dir,
                )
            except MaracError as exc:
                failed = 2 if isinstance(exc, ValidationError | NotFound) else 1
                status = max(status, failed)
                reports.append({"file": str(path), "format": None, "read": 0, "imported": 0,
                                "skipped_duplicates": 0, "rejected": 0, "rejects_file": None,
                                "error": str(exc)})
                if not args.json:
                    ctx.print(f"{path.name}: not imported – {exc}")
                continue
            except OSError as exc:
                status = 1
                message = f"{exc.strerror or exc} ({exc.filename or path})"
                reports.append({"file": str(path), "format": None, "read": 0, "imported": 0,
                                "skipped_duplicates": 0, "rejected": 0, "rejects_file": None,
                                "error": message})
                if not args.json:
                    ctx.print(f"{path.name}: not imported – {message}; nothing from it was saved.")
                continue
        reports.append(result.as_json())
        if not args.json:
            ctx.print(result.describe())
            for note in result.notes:
                ctx.print(f"  {note}")
            for line, reason in result.reasons[:SHOWN_REASONS]:
                ctx.print(f"  line {line}: {reason}")
            if result.rejected > SHOWN_REASONS:
                ctx.print(f"  … and {result.rejected - SHOWN_REASONS:,} more.")
            if result.rejects_file:
                ctx.print(f"  Rejected rows, each with its reason: {result.rejects_file}")
    if args.json:
        ctx.print(json.dumps({"files": reports}, indent=2))
    return status
