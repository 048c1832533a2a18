"""`marac-prep gaps`: each case's returns and gap findings for a meeting, as a report or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any, NamedTuple

from marac_prep.analysis.findings import Quote, headline, new_since_review, with_reviews
from marac_prep.analysis.gaps import GapFinding, analyse_case
from marac_prep.analysis.stored import meeting_findings
from marac_prep.commands.context import CommandContext
from marac_prep.core.casefile import load_case_file
from marac_prep.core.cases import case_by_reference, cases_for_meeting
from marac_prep.core.dates import display_day
from marac_prep.core.errors import NotFound
from marac_prep.core.meetings import get_meeting, resolve_meeting
from marac_prep.core.models import Case, Meeting
from marac_prep.core.returns import ReturnRow, return_progress, returns_for_cases
from marac_prep.core.reviews import Review, review_finding, reviews_by_key
from marac_prep.core.vocabulary import RETURN_STATUS_LABELS

_MARKS = {"high": "!!", "medium": "! ", "info": "  "}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("gaps", help="show silences and missed connections for a meeting's cases")
    parser.add_argument("--meeting", required=True, metavar="DATE|ID", help="the meeting's number or date")
    parser.add_argument("--case", metavar="REF", help="only this case (its reference)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a readable report")
    parser.set_defaults(handler=_gaps)
    review = subparsers.add_parser(
        "review-finding", help="mark a case's gap finding reviewed with a note (coordinators)"
    )
    review.add_argument("--case", required=True, metavar="REF", help="the case's reference")
    review.add_argument("--key", required=True, help="the finding's key, as `gaps --json` shows it")
    review.add_argument("--note", required=True, help='why, e.g. "raised at the meeting"')
    review.set_defaults(handler=_review)


def _review(ctx: CommandContext, args: argparse.Namespace) -> int:
    with ctx.database(create=False).session() as session:  # a mistyped path is an error, not a new database
        case = case_by_reference(session, args.case.strip())
        case_file = load_case_file(session, case.id or 0)
        found = next((f for f in analyse_case(case_file) if f.key == args.key), None)
        if found is None:
            raise NotFound(f'Case {case.reference} has no finding with key "{args.key}"; see `gaps --json`.')
        review_finding(
            session,
            actor=ctx.actor(session),
            case_id=case.id or 0,
            finding_key=found.key,
            note=args.note,
            entry_ids=found.entry_ids,
        )
        ctx.print(f"Marked reviewed: {case.reference} {found.kind} ({found.agency or 'the case'}).")
    return 0


class CaseGaps(NamedTuple):
    """One case of the report: the case, its returns and its findings (reviews attached)."""

    case: Case
    returns: list[ReturnRow]
    findings: list[GapFinding]


def _gaps(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database(create=False)
    with db.read_session() as session:
        meeting_id = resolve_meeting(session, args.meeting).id or 0
    # A session that has loaded nothing yet: the findings stored for an unchanged workspace are
    # read back, the rest analysed and stored (analysis.stored; decision 0099).
    with db.read_session() as session:
        found = meeting_findings(session, meeting_id)
        meeting = get_meeting(session, meeting_id)
        cases = cases_for_meeting(session, meeting_id)
        returns = returns_for_cases(session, [c.id or 0 for c in cases])
        reviews = reviews_by_key(session, [c.id or 0 for c in cases])
    if args.case:
        wanted = args.case.strip().casefold()
        cases = [c for c in cases if c.reference.casefold() == wanted]
        if not cases:
            raise NotFound(f'Meeting {meeting.id} has no case with reference "{args.case.strip()}".')
    analysed = [
        CaseGaps(c, returns[c.id or 0], with_reviews(found.get(c.id or 0, []), reviews.get(c.id or 0, {})))
        for c in cases
        if (c.id or 0) in found  # a case added to the agenda in between is in the next report
    ]
    if args.json:
        ctx.print(json.dumps(gaps_json(meeting, analysed), indent=2, ensure_ascii=False))
    else:
        for line in gaps_report(meeting, analysed):
            ctx.print(line)
    return 0


def gaps_json(meeting: Meeting, analysed: list[CaseGaps]) -> dict[str, Any]:
    """The JSON shape from issue 4: meeting, then each case's returns and findings; issue 12 adds
    each case's `headline` and each finding's `key`, `instances`, `from_text` and `review`."""
    return {
        "meeting": {"id": meeting.id, "date": meeting.meeting_date.isoformat(), "area": meeting.area},
        "cases": [
            {
                "reference": case.reference,
                "headline": headline(findings),
                "returns": [
                    {"agency": r.agency.name, "status": r.status, "expected": r.expected, "answered": r.answered}
                    for r in returns
                ],
                "findings": [finding_json(g) for g in findings],
            }
            for case, returns, findings in analysed
        ],
    }


def _quote_json(quote: Quote) -> dict[str, Any]:
    return {"entry_id": quote.entry_id, "words": quote.words, "reads_as": quote.reads_as}


def _review_json(review: Review | None, finding: GapFinding) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "note": review.note,
        "reviewed_by": review.reviewed_by,
        "reviewed_at": review.reviewed_at.isoformat(timespec="seconds"),
        "new_entry_ids": list(new_since_review(finding)),
    }


def finding_json(g: GapFinding) -> dict[str, Any]:
    """One finding as `gaps --json` gives it."""
    return {
        "kind": g.kind,
        "severity": g.severity,
        "agency": g.agency,
        "entry_ids": list(g.entry_ids),
        "message": g.message,
        "why": g.why,
        "key": g.key,
        "instances": [
            {
                "message": i.message,
                "severity": i.severity,
                "entry_ids": list(i.entry_ids),
                "from_text": [_quote_json(q) for q in i.quotes],
            }
            for i in g.instances
        ],
        "from_text": [_quote_json(q) for q in g.from_text],
        "review": _review_json(g.review, g),
    }


def gaps_report(meeting: Meeting, analysed: list[CaseGaps]) -> list[str]:
    """A readable report: per case, the returns still missing and each finding, most severe first."""
    where = f", {meeting.area}" if meeting.area else ""
    lines = [f"Gap analysis for meeting {meeting.id} on {display_day(meeting.meeting_date)}{where}"]
    if not analysed:
        lines.append("This meeting has no cases yet.")
    for case, returns, findings in analysed:
        answered, expected = return_progress(returns)
        gaps = [g for g in findings if g.severity != "info"]
        lines += [
            "",
            f"{case.reference}: {answered} of {expected} expected agencies answered; {len(gaps)} gap(s)",
            f"  {headline(findings)}",
        ]
        missing = [r for r in returns if r.expected and not r.answered]
        if missing:
            lines.append(
                "  Waiting for: "
                + ", ".join(f"{r.agency.name} ({RETURN_STATUS_LABELS[r.status].lower()})" for r in missing)
            )
        if not findings:
            lines.append("  No gaps found.")
        for g in findings:
            lines.append(f"  {_MARKS[g.severity]} [{g.severity}] {g.kind}: {g.message}")
            if len(g.instances) > 1:
                lines += [f"       - {i.message}" for i in g.instances]
            if g.entry_ids:
                lines.append(f"       entries: {', '.join(str(i) for i in g.entry_ids)}")
            if g.review is not None:
                when = display_day(g.review.reviewed_at.date())
                new = new_since_review(g)
                since = f"; {len(new)} new entr{'ies' if len(new) != 1 else 'y'} since" if new else ""
                lines.append(f"       reviewed by {g.review.reviewed_by} on {when}: {g.review.note}{since}")
    return lines
