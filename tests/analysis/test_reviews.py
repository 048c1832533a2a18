"""Reviews of gap findings: a coordinator's note, audited, kept across re-analysis by the
finding's key, and shown by `gaps` and `gaps --json`."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from marac_prep.analysis.findings import new_since_review, with_reviews
from marac_prep.analysis.gaps import analyse_case
from marac_prep.cli import build_parser
from marac_prep.commands.context import CommandContext
from marac_prep.core.casefile import load_case_file
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent
from marac_prep.core.reviews import review_finding, reviews_by_key

TODAY = date.today()


def _case(ws):
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-REV-0001", victim_aware=True, victim_consent=True)
    ws.entry(
        case,
        "HLTH",
        on=TODAY - timedelta(days=60),
        event_type="referral_considered_not_made",
        summary="Marac referral considered; agreed to monitor.",
    )
    return meeting, case


def _considered(session, case):
    return next(f for f in analyse_case(load_case_file(session, case.id)) if f.kind == "referral_considered_not_made")


def _run(db, *argv: str, user: str | None = None) -> str:
    out = io.StringIO()
    args = build_parser().parse_args(list(argv))
    assert args.handler(CommandContext(out=out, _database=db, user_name=user), args) == 0
    return out.getvalue()


def test_a_review_is_audited_and_survives_reanalysis(ws, session):
    _meeting, case = _case(ws)
    finding = _considered(session, case)
    review_finding(
        session,
        actor=ws.coordinator,
        case_id=case.id,
        finding_key=finding.key,
        note="Raised at the meeting; Health to refer.",
        entry_ids=finding.entry_ids,
    )
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "finding.review")).all()
    assert event.case_id == case.id and event.details["finding_key"] == finding.key
    # A further instance of the same pattern: the same key, so the review still applies.
    ws.entry(
        case,
        "HLTH",
        on=TODAY - timedelta(days=30),
        event_type="referral_considered_not_made",
        summary="Considered again.",
    )
    again = _considered(session, case)
    assert again.key == finding.key and len(again.instances) == 2
    [reviewed] = [f for f in with_reviews([again], reviews_by_key(session, [case.id])[case.id])]
    assert reviewed.review is not None and reviewed.review.note == "Raised at the meeting; Health to refer."
    assert reviewed.review.reviewed_by == "Cora Ordinator" and len(new_since_review(reviewed)) == 1


def test_only_a_coordinator_reviews_and_a_note_is_needed(ws, session):
    _meeting, case = _case(ws)
    finding = _considered(session, case)
    idva = ws.user("idva", "IDVA")
    with pytest.raises(PermissionDenied, match="cannot mark gap findings reviewed"):
        review_finding(session, actor=idva, case_id=case.id, finding_key=finding.key, note="Fine.")
    with pytest.raises(ValidationError, match="Write a note"):
        review_finding(session, actor=ws.coordinator, case_id=case.id, finding_key=finding.key, note="  ")
    assert reviews_by_key(session, [case.id]) == {case.id: {}}
    first = review_finding(session, actor=ws.coordinator, case_id=case.id, finding_key=finding.key, note="One.")
    second = review_finding(session, actor=ws.coordinator, case_id=case.id, finding_key=finding.key, note="Two.")
    assert first.id == second.id and reviews_by_key(session, [case.id])[case.id][finding.key].note == "Two."


def test_gaps_json_adds_headline_key_instances_from_text_and_review(db, ws, session):
    meeting, case = _case(ws)
    session.commit()
    data = json.loads(_run(db, "gaps", "--meeting", str(meeting.id), "--json", user=ws.coordinator.name))
    [item] = data["cases"]
    assert item["headline"].startswith("1 high: referral not made")
    finding = next(f for f in item["findings"] if f["kind"] == "referral_considered_not_made")
    assert set(finding) >= {
        "kind",
        "severity",
        "agency",
        "entry_ids",
        "message",
        "why",
        "key",
        "instances",
        "from_text",
        "review",
    }
    assert finding["review"] is None and finding["from_text"] == [] and len(finding["instances"]) == 1
    text = _run(
        db, "review-finding", "--case", case.reference, "--key", finding["key"], "--note", "Raised at the meeting.",
        user=ws.coordinator.name,
    )
    assert "Marked reviewed" in text
    data = json.loads(_run(db, "gaps", "--meeting", str(meeting.id), "--json", user=ws.coordinator.name))
    reviewed = next(f for f in data["cases"][0]["findings"] if f["key"] == finding["key"])
    assert reviewed["review"]["note"] == "Raised at the meeting." and reviewed["review"]["new_entry_ids"] == []
    report = _run(db, "gaps", "--meeting", str(meeting.id), user=ws.coordinator.name)
    assert "reviewed by" in report and "Raised at the meeting." in report and "1 high: referral not made" in report
