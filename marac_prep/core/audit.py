"""The audit trail: every change is recorded in its own transaction, hash-chained to the last."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from marac_prep.core.models import Agency, AuditEvent, User

# Serialises writers of the chain on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
_PG_AUDIT_LOCK = 7243002


def _content(event: AuditEvent) -> str:
    """The canonical text an event's hash covers."""
    occurred = event.occurred_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    payload = {
        "occurred_at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
        "user_id": event.user_id,
        "user_name": event.user_name,
        "agency_name": event.agency_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "case_id": event.case_id,
        "details": event.details,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + "\n" + _content(event)).encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Adds one audit event inside the caller's transaction (so a rollback removes it too).

    `details` must never hold personal data beyond ids and field names: it is shown in the
    Audit view and exported.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    last = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    prev_hash = last or ""
    agency_name = ""
    if actor is not None and actor.agency_id is not None:
        agency = session.get(Agency, actor.agency_id)
        agency_name = agency.name if agency else ""
    event = AuditEvent(
        occurred_at=datetime.now(UTC),
        user_id=actor.id if actor else None,
        user_name=actor.name if actor else "",
        agency_name=agency_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        details=details or {},
        prev_hash=prev_hash,
    )
    event.hash = event_hash(prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainCheck:
    """The result of verifying the audit chain.

    Attributes:
        ok: True when every event's hashes match.
        count: events checked.
        broken_id: the first event whose stored hash or predecessor link does not match.
        reason: a sentence saying what is wrong.
    """

    ok: bool
    count: int
    broken_id: int | None = None
    reason: str = ""


def verify_chain(session: Session, *, batch: int = 5000) -> ChainCheck:
    """Recomputes every hash in order; the first mismatch is reported."""
    prev_hash = ""
    count = 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(col(AuditEvent.id) > last_id).order_by(col(AuditEvent.id)).limit(batch)
        ).all()
        if not rows:
            return ChainCheck(ok=True, count=count)
        for event in rows:
            assert event.id is not None
            if event.prev_hash != prev_hash:
                return ChainCheck(False, count, event.id, f"event {event.id} does not follow event {last_id}: an event was removed or reordered")
            if event.hash != event_hash(prev_hash, event):
                return ChainCheck(False, count, event.id, f"event {event.id} was altered after it was written")
            prev_hash = event.hash
            last_id = event.id
            count += 1
