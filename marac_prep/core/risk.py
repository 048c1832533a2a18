"""Risk assessments: the Dash checklist scored and stored with its tool and version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import ChronologyEntry, RiskAssessment, User
from marac_prep.core.permissions import require
from marac_prep.core.settings import current
from marac_prep.core.vocabulary import ANSWERS, check_choice, dash_questions, dash_tool

NOTES_LIMIT = 4000


@dataclass(frozen=True)
class Answer:
    """One checklist answer: "yes", "no" or "dont_know", and its source when not the victim."""

    answer: str
    source: str = ""


def dash_score(answers: dict[str, Answer]) -> int:
    """The Dash score: the count of "yes" answers ("don't know" is not "yes")."""
    return sum(1 for a in answers.values() if a.answer == "yes")


def record_risk_assessment(
    session: Session,
    *,
    actor: User,
    case_id: int,
    agency_id: int,
    assessed_on: date,
    answers: dict[str, Answer],
    notes: str = "",
) -> RiskAssessment:
    """Saves a Dash assessment and adds it to the chronology as the agency's risk assessment.

    Args:
        answers: each question's answer and its source when not the victim.
        notes: the assessor's notes on the checklist as a whole; also the chronology entry's detail.
    """
    notes = (notes or "").strip()
    if len(notes) > NOTES_LIMIT:
        raise ValidationError(f"The notes are {len(notes):,} characters; keep them under {NOTES_LIMIT:,}.")
    ids = {q.id for q in dash_questions()}
    unknown = set(answers) - ids
    if unknown:
        raise ValidationError(f"These are not Dash questions: {', '.join(sorted(unknown))}.")
    if assessed_on > date.today():
        raise ValidationError("An assessment cannot be dated in the future.")
    cleaned = {
        qid: {"answer": check_choice(a.answer, ANSWERS, "answer"), "source": a.source.strip()}
        for qid, a in answers.items()
    }
    score = sum(1 for a in cleaned.values() if a["answer"] == "yes")
    tool, version = dash_tool()
    with unit_of_work(session):
        level = current(session).risk_level(score)
        require(actor, "record_risk_assessment", agency_id=agency_id)
        get_case(session, case_id)
        assessment = RiskAssessment(
            case_id=case_id,
            tool=tool,
            tool_version=version,
            agency_id=agency_id,
            assessed_on=assessed_on,
            answers=cleaned,
            score=score,
            level=level,
            created_by_id=actor.id,
            notes=notes,
        )
        session.add(assessment)
        now = datetime.now(UTC)
        yes = [q.id for q in dash_questions() if cleaned.get(q.id, {}).get("answer") == "yes"]
        session.add(
            ChronologyEntry(
                case_id=case_id,
                agency_id=agency_id,
                event_date=assessed_on,
                event_type="risk_assessment",
                summary=f"{tool} risk assessment: {score} of 24 ({level} risk).",
                detail=notes,
                risk_indicators=yes,
                risk_level=level,
                subjects=["victim"],
                created_by_id=actor.id,
                updated_by_id=actor.id,
                created_at=now,
                updated_at=now,
                recorded_by=actor.name,
            )
        )
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="risk_assessment.create",
            object_type="risk_assessment",
            object_id=assessment.id,
            case_id=case_id,
            details={"score": score, "level": level},
        )
    return assessment


def assessments_for_case(session: Session, case_id: int) -> list[RiskAssessment]:
    return list(
        session.exec(
            select(RiskAssessment).where(RiskAssessment.case_id == case_id).order_by(col(RiskAssessment.assessed_on))
        ).all()
    )
