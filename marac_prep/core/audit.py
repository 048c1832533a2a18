"""The audit trail: every change is recorded in its own transaction, hash-chained to the last."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from marac_prep.core.db import is_read_only, unit_of_work
from marac_prep.core.files import atomic_write
from marac_prep.core.formulas import guard_formula
from marac_prep.core.models import Agency, AuditEvent, User
from marac_prep.core.permissions import require

log = logging.getLogger(__name__)

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
    # Ids and the action only: names and summaries never go to the log file.
    log.info("audit %s %s=%s case=%s by user=%s", action, object_type or "-", object_id, case_id, event.user_id)
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
                return ChainCheck(
                    False, count, event.id,
                    f"event {event.id} does not follow event {last_id}: an event was removed or reordered",
                )
            if event.hash != event_hash(prev_hash, event):
                return ChainCheck(False, count, event.id, f"event {event.id} was altered after it was written")
            prev_hash = event.hash
            last_id = event.id
            count += 1


# --- reading and exporting the trail --------------------------------------------------------

CSV_COLUMNS = (
    "id", "occurred_at", "user_id", "user_name", "agency_name", "action", "object_type",
    "object_id", "case_id", "details", "prev_hash", "hash",
)


@dataclass(frozen=True)
class AuditFilter:
    """What the Audit view and `audit export` narrow the trail to; None means "any".

    Attributes:
        since / until: calendar days (UK local dates are near enough; the day is inclusive).
    """

    user_id: int | None = None
    case_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def find_events(
    session: Session, *, actor: User, where: AuditFilter | None = None, limit: int | None = None
) -> list[AuditEvent]:
    """Audit events matching `where`, newest first; only for those allowed to see the trail."""
    require(actor, "view_audit")
    where = where or AuditFilter()
    query = select(AuditEvent)
    if where.user_id is not None:
        query = query.where(AuditEvent.user_id == where.user_id)
    if where.case_id is not None:
        query = query.where(AuditEvent.case_id == where.case_id)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.since is not None:
        query = query.where(col(AuditEvent.occurred_at) >= _day_start(where.since))
    if where.until is not None:
        query = query.where(col(AuditEvent.occurred_at) < _day_start(where.until + timedelta(days=1)))
    query = query.order_by(col(AuditEvent.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def actions_in_trail(session: Session) -> list[str]:
    """The distinct actions recorded so far, for a filter list."""
    return sorted(set(session.exec(select(AuditEvent.action).distinct()).all()))


def users_in_trail(session: Session) -> list[tuple[int, str]]:
    """(user id, name as recorded) for everyone who appears in the trail, for a filter list."""
    rows = session.exec(select(AuditEvent.user_id, AuditEvent.user_name).distinct()).all()
    named: dict[int, str] = {}
    for user_id, name in rows:
        if user_id is not None:
            named.setdefault(user_id, name)
    return sorted(named.items(), key=lambda item: item[1].casefold())


def event_row(event: AuditEvent) -> list[str]:
    occurred = event.occurred_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    values: list[object] = [
        event.id, occurred.astimezone(UTC).isoformat(timespec="seconds"), event.user_id,
        event.user_name, event.agency_name, event.action, event.object_type, event.object_id,
        event.case_id, json.dumps(event.details, sort_keys=True, ensure_ascii=False),
        event.prev_hash, event.hash,
    ]
    return [guard_formula(v) for v in values]


def write_events_csv(events: list[AuditEvent], path: Path) -> None:
    """Writes the events as CSV (UTF-8 with a byte-order mark, so Excel reads it right).

    The file appears whole or not at all: it is written beside the target and renamed.
    """
    with atomic_write(path) as pending:
        writer = csv.writer(pending.text())
        writer.writerow(CSV_COLUMNS)
        for event in events:
            writer.writerow(event_row(event))


def export_events(
    session: Session, *, actor: User, path: Path, where: AuditFilter | None = None
) -> int:
    """Exports the matching events to CSV and audits the export in the same transaction.

    Returns:
        The number of events written.
    """
    with unit_of_work(session):
        require(actor, "view_audit")
        require(actor, "export")
        events = find_events(session, actor=actor, where=where)
        record(
            session, actor=actor, action="audit.export", object_type="audit_event",
            case_id=(where.case_id if where else None), details={"events": len(events)},
        )
        write_events_csv(events, Path(path))
    return len(events)


def record_case_opened(session: Session, *, actor: User, case_id: int) -> None:
    """Audits that `actor` opened a case (who looked at whose file is part of the trail).

    Nothing is recorded on a read-only database, where nothing can be written.
    """
    if is_read_only(session):
        return
    with unit_of_work(session):
        record(session, actor=actor, action="case.open", object_type="case", object_id=case_id, case_id=case_id)


def append_only_protection_missing(session: Session) -> bool:
    """True when the database no longer refuses changes to the trail (its triggers were dropped)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        names = set(session.exec(  # type: ignore[call-overload]
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")
        ).scalars())
        return not {"audit_event_no_update", "audit_event_no_delete"} <= names
    names = set(session.exec(  # type: ignore[call-overload]
        text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND tgenabled <> 'D'")
    ).scalars())
    return "audit_event_append_only" not in names
