"""`marac-prep pack`: the pre-Marac PDF pack for a meeting or one case."""

from __future__ import annotations

import argparse
from pathlib import Path

from marac_prep.commands.context import CommandContext
from marac_prep.core.errors import ValidationError
from marac_prep.core.meetings import resolve_meeting


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("pack", help="build the pre-Marac PDF pack")
    parser.add_argument("--meeting", required=True, metavar="DATE|ID", help="the meeting's date or number")
    parser.add_argument("--case", metavar="REF", help="only this case (by reference)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="the PDF to write")
    parser.add_argument("--marking", metavar="TEXT", help="protective marking (default OFFICIAL-SENSITIVE)")
    parser.add_argument("--password-file", metavar="FILE",
                        help="encrypt with AES-256 using the password on this file's first line")
    parser.add_argument("--for", dest="for_agency", metavar="AGENCY",
                        help='build the copy for one agency\'s representative (name or code): every page says '
                             '"Prepared for AGENCY on DATE"')
    parser.add_argument("--include-notes", action="store_true",
                        help="include the coordinator's case notes (left out unless asked; coordinators only)")
    parser.set_defaults(handler=_pack)


def read_password_file(name: str) -> str:
    """The first line of the file, without its line ending (spaces are part of a password)."""
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f'The password file "{name}" does not exist.') from None
    except UnicodeDecodeError:
        raise ValidationError(f'The password file "{name}" is not a text file.') from None
    password = text.splitlines()[0] if text.splitlines() else ""
    if not password:
        raise ValidationError(f'The password file "{name}" is empty; put the password on its first line.')
    return password


def _pack(ctx: CommandContext, args: argparse.Namespace) -> int:
    # Imported here so `marac-prep --help` does not load ReportLab.
    from marac_prep.pack import export_pack
    from marac_prep.pack.export import check_destination, check_marking, check_password

    destination = check_destination(args.output)  # bad input is refused before any work
    marking = None if args.marking is None else check_marking(args.marking)
    password = check_password(read_password_file(args.password_file)) if args.password_file else None
    db = ctx.database(create=False)
    with db.session() as session:
        actor = ctx.actor(session)
        meeting = resolve_meeting(session, args.meeting)
        result = export_pack(
            session, actor=actor, meeting_id=meeting.id or 0, destination=destination,
            case_reference=args.case, marking=marking, password=password, for_agency=args.for_agency,
            include_notes=args.include_notes,
        )
    withheld = f"; {result.withheld} withheld entr{'y' if result.withheld == 1 else 'ies'} left out" \
        if result.withheld else ""
    protection = ", encrypted (AES-256)" if result.encrypted else ""
    if args.for_agency:
        protection += f", prepared for {result.prepared_for}"
    ctx.print(
        f"Pack written to {result.path}: {result.cases} case{'s' if result.cases != 1 else ''}, "
        f"{result.pages} page{'s' if result.pages != 1 else ''}{protection}{withheld}."
    )
    return 0
