"""`marac-prep gaps`: each case's returns and gap findings for a meeting, as a report or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from marac_prep.analysis.gaps import GapFinding, analyse_case
from marac_prep.commands.context import CommandContext
from marac_prep.core.casefile import CaseFile, load_meeting_files
from marac_prep.core.dates import display_day
from marac_prep.core.errors import NotFound
from marac_prep.core.meetings import resolve_meeting
from marac_prep.core.models import Meeting
from marac_prep.core.returns import return_progress
from marac_prep.core.vocabulary import RETURN_STATUS_LABELS

_MARKS = {"high": "!!", "medium": "! ", "info": "  "}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("gaps", help="show silences and missed connections for a meeting's cases")
    parser.add_argument("--meeting", required=True, metavar="DATE|ID", help="the meeting's number or date")
    parser.add_argument("--case", metavar="REF", help="only this case (its reference)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a readable report")
    parser.set_defaults(handler=_gaps)


def _gaps(ctx: CommandContext, args: argparse.Namespace) -> int:
    with ctx.database(create=False).read_session() as session:
        meeting = resolve_meeting(session, args.meeting)
        _, files = load_meeting_files(session, meeting.id or 0)
    if args.case:
        wanted = args.case.strip().casefold()
        files = [f for f in files if f.case.reference.casefold() == wanted]
        if not files:
            raise NotFound(f'Meeting {meeting.id} has no case with reference "{args.case.strip()}".')
    analysed = [(f, analyse_case(f)) for f in files]
    if args.json:
        ctx.print(json.dumps(gaps_json(meeting, analysed), indent=2, ensure_ascii=False))
    else:
        for line in gaps_report(meeting, analysed):
            ctx.print(line)
    return 0


def gaps_json(meeting: Meeting, analysed: list[tuple[CaseFile, list[GapFinding]]]) -> dict[str, Any]:
    """The JSON shape from issue 4: meeting, then each case's returns and findings."""
    return {
        "meeting": {"id": meeting.id, "date": meeting.meeting_date.isoformat(), "area": meeting.area},
        "cases": [
            {
                "reference": f.case.reference,
                "returns": [{"agency": r.agency.name, "status": r.status, "expected": r.expected} for r in f.returns],
                "findings": [
                    {
                        "kind": g.kind,
                        "severity": g.severity,
                        "agency": g.agency,
                        "entry_ids": list(g.entry_ids),
                        "message": g.message,
                        "why": g.why,
                    }
                    for g in findings
                ],
            }
            for f, findings in analysed
        ],
    }


def gaps_report(meeting: Meeting, analysed: list[tuple[CaseFile, list[GapFinding]]]) -> list[str]:
    """A readable report: per case, the returns still missing and each finding, most severe first."""
    where = f", {meeting.area}" if meeting.area else ""
    lines = [f"Gap analysis for meeting {meeting.id} on {display_day(meeting.meeting_date)}{where}"]
    if not analysed:
        lines.append("This meeting has no cases yet.")
    for f, findings in analysed:
        answered, expected = return_progress(f.returns)
        gaps = [g for g in findings if g.severity != "info"]
        lines += ["", f"{f.case.reference}: {answered} of {expected} expected agencies answered; {len(gaps)} gap(s)"]
        missing = [r for r in f.returns if r.expected and not r.answered]
        if missing:
            lines.append(
                "  Waiting for: "
                + ", ".join(f"{r.agency.name} ({RETURN_STATUS_LABELS[r.status].lower()})" for r in missing)
            )
        if not findings:
            lines.append("  No gaps found.")
        for g in findings:
            lines.append(f"  {_MARKS[g.severity]} [{g.severity}] {g.kind}: {g.message}")
            if g.entry_ids:
                lines.append(f"       entries: {', '.join(str(i) for i in g.entry_ids)}")
    return lines
