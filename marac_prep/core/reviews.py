"""Reviews of gap findings: a coordinator's note on a finding, kept by the finding's stable key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ConflictError, ValidationError
from marac_prep.core.models import FindingReview, User
from marac_prep.core.permissions import require

NOTE_LIMIT = 2000


@dataclass(frozen=True)
class Review:
    """A finding's review as the analysis, the app, `gaps --json` and the pack show it.

    Attributes:
        entry_ids: the entries the finding rested on when reviewed (later ones are new since).
    """

    note: str
    reviewed_by: str
    reviewed_at: datetime
    entry_ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, row: FindingReview) -> Review:
        return cls(row.note, row.reviewed_by_name, row.reviewed_at, tuple(row.entry_ids))


def review_finding(
    session: Session,
    *,
    actor: User,
    case_id: int,
    finding_key: str,
    note: str,
    entry_ids: Iterable[int] = (),
    expected_version: int | None = None,
) -> FindingReview:
    """Marks a case's finding reviewed with a note (a coordinator's decision), or changes the note.

    Args:
        finding_key: the finding's `GapFinding.key`; the review follows it across re-analysis.
        entry_ids: the entries the finding rests on now, kept to tell later what is new.
        expected_version: when given, the change fails with `ConflictError` if someone changed
            the review meanwhile.
    """
    text = (note or "").strip()
    if not text:
        raise ValidationError("Write a note saying why the finding is reviewed, e.g. 'raised at the meeting'.")
    if len(text) > NOTE_LIMIT:
        raise ValidationError(f"The note is too long; keep it under {NOTE_LIMIT} characters.")
    kind = finding_key.split("|", 1)[0].strip()
    if not kind or "|" not in finding_key:
        raise ValidationError("That is not a finding of this case; run the gap analysis again and choose it there.")
    with unit_of_work(session):
        require(actor, "review_finding")
        get_case(session, case_id)
        review = session.exec(
            select(FindingReview).where(FindingReview.case_id == case_id, FindingReview.finding_key == finding_key)
        ).first()
        if review is None:
            review = FindingReview(
                case_id=case_id, finding_key=finding_key, kind=kind, note=text, reviewed_at=datetime.now(UTC), version=0
            )
        elif expected_version is not None and review.version != expected_version:
            raise ConflictError("Someone else reviewed this finding meanwhile; reload it and try again.")
        review.note = text
        review.entry_ids = sorted(set(entry_ids))
        review.reviewed_by_id = actor.id
        review.reviewed_by_name = actor.name
        review.reviewed_at = datetime.now(UTC)
        review.version += 1
        session.add(review)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="finding.review",
            object_type="finding_review",
            object_id=review.id,
            case_id=case_id,
            details={"finding_key": finding_key, "kind": kind, "note": text},
        )
    return review


def reviews_for_cases(session: Session, case_ids: Iterable[int]) -> dict[int, list[FindingReview]]:
    """Every review of these cases' findings, by case id (one query for a whole meeting)."""
    ids = list(case_ids)
    found: dict[int, list[FindingReview]] = {i: [] for i in ids}
    if not ids:
        return found
    for review in session.exec(
        select(FindingReview).where(col(FindingReview.case_id).in_(ids)).order_by(col(FindingReview.id))
    ).all():
        found[review.case_id].append(review)
    return found


def reviews_by_key(session: Session, case_ids: Iterable[int]) -> dict[int, dict[str, Review]]:
    """Each case's reviews by finding key, ready for `analysis.findings.with_reviews`."""
    return {
        case_id: {row.finding_key: Review.of(row) for row in rows}
        for case_id, rows in reviews_for_cases(session, case_ids).items()
    }
