"""The audit trail: every change is recorded in its own transaction, hash-chained to the last."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, text
from sqlmodel import Session, col, select

from marac_prep.core.changes import Notification, announce, notification, wants_meeting
from marac_prep.core.db import is_read_only, unit_of_work
from marac_prep.core.files import PendingFile, atomic_write
from marac_prep.core.formulas import guard_formula
from marac_prep.core.models import Agency, AuditEvent, User
from marac_prep.core.permissions import require
from marac_prep.core.row_states import (
    Digested,
    StateProblem,
    check_sealed_states,
    seal_states,
    states_hash,
    take_changes,
)

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
    if event.states_hash:  # events before issue 13 have none and keep their hashes
        payload["states"] = event.states_hash
    return json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


KEYED = "hmac:"


def event_hash(prev_hash: str, event: AuditEvent, *, key: bytes | None = None) -> str:
    """SHA-256 over the predecessor's hash and the event; with `key` (an encrypted database's
    audit key) an HMAC-SHA-256, marked "hmac:", that nobody without the key can recompute."""
    message = (prev_hash + "\n" + _content(event)).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return KEYED + hmac.new(key, message, hashlib.sha256).hexdigest()


def audit_key(session: Session) -> bytes | None:
    """The chain's key: derived from an encrypted database's key; None for a plain file or a server."""
    key = session.get_bind().get_execution_options().get("marac_audit_key")
    return key if isinstance(key, bytes) else None


def chain_head(session: Session, *, lock: bool = True) -> tuple[int, str]:
    """(id, hash) of the last event, (0, "") for none; on PostgreSQL under the chain's lock.

    On PostgreSQL the head is read through `marac_audit_head()` (SECURITY DEFINER): row-level
    security lets most logins see only their own events, yet every event chains to the last.
    """
    if session.get_bind().dialect.name == "postgresql":
        if lock:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
        row = session.execute(text("SELECT head_id, head_hash FROM marac_audit_head()")).first()
    else:
        row = session.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)
        ).first()
    if row is None or row[0] is None:
        return 0, ""
    return int(row[0]), str(row[1])


def _next_event_id(session: Session) -> int:
    """SQLite: the id the next event gets, inside the write transaction (its row states are stored
    first). PostgreSQL takes it from the sequence under the chain's lock (`_append_under_lock`)."""
    return int(session.execute(text("SELECT coalesce(max(id), 0) + 1 FROM audit_event")).scalar() or 1)


def _quote(connection: Any) -> Callable[[str], str]:
    """A string as an SQL literal, quoted by the driver for this connection's server settings."""
    from psycopg import sql

    driver = connection.connection.driver_connection
    return lambda value: sql.Literal(value).as_string(driver)


# The id `nextval` just gave the event, for the later statements of the same query.
_EVENT_ID_NOW = "currval(pg_get_serial_sequence('audit_event', 'id'))"


def _append_under_lock(
    session: Session, states: Digested | None, notice: Notification | None
) -> tuple[str, int]:
    """PostgreSQL: takes the chain's lock and reads its head and the next event id - and stores the
    row states digested before the lock, and queues the notification - in one round trip.

    Every save on a server waits for the chain's lock in turn, so each round trip under it counts
    (decision 0098). The statements go as one query of several (the simple query protocol, which
    takes no bound parameters: the few values are ids, table names and hex digests, quoted by the
    driver). Each statement of such a query takes its own snapshot, so the head is read after the
    lock is held - one statement could not do both. Returns (the head's hash, the new event's id).
    """
    connection = session.connection()
    quote = _quote(connection)
    statements = [
        f"SELECT pg_advisory_xact_lock({_PG_AUDIT_LOCK})",
        "SELECT head_hash, nextval(pg_get_serial_sequence('audit_event', 'id')) FROM marac_audit_head()",
    ]
    if states:
        statements.append("INSERT INTO audit_row_state (event_id, tbl, row_id, digest) VALUES " + ", ".join(
            f"({_EVENT_ID_NOW}, {quote(table_name)}, {int(row_id)}, {quote(digest)})"
            for table_name, row_id, digest in states
        ))
    if notice is not None:
        statements.append(
            f"SELECT pg_notify({quote(notice.channel)}, {quote(notice.before)} || {_EVENT_ID_NOW} || "
            f"{quote(notice.after)})"
        )
    result = connection.exec_driver_sql("; ".join(statements))
    try:
        cursor = result.cursor
        # The lock's own result comes first; the head's is the next.
        head = cursor.fetchone() if cursor.nextset() else None
    finally:
        result.close()
    if head is None:
        raise RuntimeError("the audit chain's head was not read")
    return str(head[0] or ""), int(head[1])


_EVENT_TABLE: Table = AuditEvent.metadata.tables["audit_event"]
_EVENT_COLUMNS = tuple(column.name for column in _EVENT_TABLE.columns)
_INSERT_EVENT = _EVENT_TABLE.insert()

_AGENCY_AND_MEETING = text(
    "SELECT (SELECT name FROM agency WHERE id = :agency), (SELECT meeting_id FROM marac_case WHERE id = :case)"
)


def _agency_and_meeting(session: Session, agency_id: int | None, case_id: int | None) -> tuple[str, int | None]:
    """The actor's agency's name ("" for none) and the case's meeting, in one query (PostgreSQL:
    before the chain's lock, decision 0101)."""
    if agency_id is None and case_id is None:
        return "", None
    row = session.execute(_AGENCY_AND_MEETING, {"agency": agency_id, "case": case_id}).one()
    return str(row[0] or ""), (int(row[1]) if row[1] is not None else None)


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
    session.flush()  # the triggers note every row this transaction changed
    # Every save on a server waits for the chain's lock in turn (docs/scaling.md): what does not
    # need the chain's head is done before it is taken.
    taken = take_changes(session)
    agency_id = actor.agency_id if actor is not None else None
    user_id = actor.id if actor else None
    if session.get_bind().dialect.name == "postgresql":
        meeting_wanted = wants_meeting(action=action, object_type=object_type, case_id=case_id)
        agency_name, case_meeting_id = _agency_and_meeting(session, agency_id, case_id if meeting_wanted else None)
        notice = notification(session, action=action, object_type=object_type, object_id=object_id,
                              case_id=case_id, user_id=user_id,
                              case_meeting_id=case_meeting_id if meeting_wanted else ...)
        presealed = taken.digested if taken is not None else None
        prev_hash, next_id = _append_under_lock(session, presealed, notice)
        sealed_states = states_hash(presealed) if presealed is not None else seal_states(session, next_id, taken)
    else:
        agency = session.get(Agency, agency_id) if agency_id is not None else None
        agency_name = agency.name if agency else ""
        prev_hash = chain_head(session)[1]
        next_id = _next_event_id(session)
        sealed_states = seal_states(session, next_id, taken)
    event = AuditEvent(
        id=next_id,
        occurred_at=datetime.now(UTC),
        user_id=user_id,
        user_name=actor.name if actor else "",
        agency_name=agency_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        details=details or {},
        prev_hash=prev_hash,
        states_hash=sealed_states,
    )
    event.hash = event_hash(prev_hash, event, key=audit_key(session))
    # One plain INSERT of the columns (not through the ORM's unit of work: the event is never
    # changed after, and the flush's bookkeeping was a tenth of a save's CPU). The returned event
    # carries every value written; it is not kept in the session.
    session.execute(_INSERT_EVENT, {column: getattr(event, column) for column in _EVENT_COLUMNS})
    announce(session, event)  # this process's own windows leave it out (core/changes.py)
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


def verify_chain(
    session: Session, *, batch: int = 5000, progress: Callable[[int, int], None] | None = None
) -> ChainCheck:
    """Recomputes every hash in order; the first mismatch is reported. `progress(checked, total)`
    is called after each batch (for a progress bar)."""
    total = int(session.execute(select(func.count()).select_from(AuditEvent)).scalar() or 0) if progress else 0
    prev_hash = ""
    count = 0
    last_id = 0
    key = audit_key(session)
    must_be_keyed_from = session.execute(text("SELECT min(keyed_from) FROM audit_chain")).scalar()
    keyed_from: int | None = None
    while True:
        rows = session.exec(
            select(AuditEvent).where(col(AuditEvent.id) > last_id).order_by(col(AuditEvent.id)).limit(batch)
        ).all()
        if not rows:
            return ChainCheck(ok=True, count=count)
        if progress is not None:
            progress(count, max(total, count))
        for event in rows:
            assert event.id is not None
            if event.prev_hash != prev_hash:
                return ChainCheck(
                    False, count, event.id,
                    f"event {event.id} does not follow event {last_id}: an event was removed or reordered",
                )
            keyed = event.hash.startswith(KEYED)
            if keyed and keyed_from is None:
                keyed_from = event.id
            if must_be_keyed_from is not None and event.id >= must_be_keyed_from and not keyed:
                return ChainCheck(
                    False, count, event.id,
                    f"event {event.id} is not keyed, though this database keys every event: it was rewritten",
                )
            if keyed_from is not None and not keyed:
                return ChainCheck(
                    False, count, event.id,
                    f"event {event.id} is not keyed like the events before it: it was rewritten without the key",
                )
            if keyed and key is None:
                return ChainCheck(False, count, event.id, f"event {event.id} is keyed, but this database has no key")
            if event.hash != event_hash(prev_hash, event, key=key if keyed else None):
                return ChainCheck(False, count, event.id, f"event {event.id} was altered after it was written")
            prev_hash = event.hash
            last_id = event.id
            count += 1


def verify_row_states(session: Session, *, limit: int = 20) -> list[StateProblem]:
    """Rows (cases, entries, returns, users) that no longer match their last audited state, and
    sealed states that were altered; at most `limit`. Run after `verify_chain` holds."""
    sealed = {
        int(event_id): value
        for event_id, value in session.execute(
            select(AuditEvent.id, AuditEvent.states_hash).where(AuditEvent.states_hash != "")
        )
    }
    problems: list[StateProblem] = []
    for problem in check_sealed_states(session, sealed):
        problems.append(problem)
        if len(problems) >= limit:
            break
    return problems


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
    session: Session,
    *,
    actor: User,
    where: AuditFilter | None = None,
    limit: int | None = None,
    before_id: int | None = None,
) -> list[AuditEvent]:
    """Audit events matching `where`, newest first; only for those allowed to see the trail.
    `before_id` pages back: only events older than that one."""
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
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
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
        _write_events([event_row(event) for event in events], pending)


def _write_events(rows: list[list[str]], pending: PendingFile) -> None:
    writer = csv.writer(pending.text())
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)


def export_events(
    session: Session, *, actor: User, path: Path, where: AuditFilter | None = None
) -> int:
    """Exports the matching events to CSV, audited (`publish_audited`: the file is written before
    the audit event's transaction, and appears with it). Pass a session with no pending changes.

    Returns:
        The number of events written.
    """
    require(actor, "view_audit")
    require(actor, "export")
    # As text now: the events are not read again once the read transaction has ended.
    rows = [event_row(event) for event in find_events(session, actor=actor, where=where)]
    publish_audited(
        session, Path(path), lambda pending: _write_events(rows, pending), actor=actor,
        action="audit.export", object_type="audit_event", case_id=(where.case_id if where else None),
        details={"events": len(rows)},
    )
    return len(rows)


def publish_audited(
    session: Session,
    path: Path,
    write: Callable[[PendingFile], object],
    *,
    actor: User,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
    check: Callable[[], None] | None = None,
    actor_id: int | None = None,
) -> None:
    """An output file and its audit event: the file is written first, then the event recorded and
    the file renamed over `path` in one step (every export, pack, minutes and statistics file).

    The session's read transaction is ended first (so pass a session with no pending changes),
    and `write(pending)` fills a temporary file beside `path` (`core.files`), flushed to disk,
    while no lock is held: neither SQLite's write lock nor, on a server, the audit chain's lock
    that every desk's save waits for in turn (docs/scaling.md). Only then does one unit of work
    run `check()` (which may raise to stop, as a cancelled pack does), record the event and
    rename the file. A failed write leaves no file and no event; a failed commit removes the
    renamed file again. `actor_id` is the actor's id when the caller has already ended the read
    transaction the actor was loaded in (the actor is read again by id).
    """
    if actor_id is None:
        actor_id = actor.id
    session.rollback()  # end the read transaction while the file is written
    with atomic_write(path) as pending:
        write(pending)
        pending.finish()
        try:
            with unit_of_work(session):
                if check is not None:
                    check()
                record(
                    session, actor=session.get(User, actor_id) if actor_id else actor, action=action,
                    object_type=object_type, object_id=object_id, case_id=case_id, details=details,
                )
                session.flush()
                pending.publish()  # inside the transaction: a failed commit removes the file below
        except BaseException:
            if pending.published:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            raise


def record_printout(session: Session, *, actor: User, case_id: int, entries: int, filtered: bool) -> None:
    """Audits that `actor` printed a case's chronology (`chronology.print`): a printout leaves the
    app like an export. Called when the user printed, not when a preview was only looked at.

    Nothing is recorded on a read-only database, where nothing can be written.
    """
    if is_read_only(session):
        return
    with unit_of_work(session):
        record(session, actor=actor, action="chronology.print", object_type="case", object_id=case_id,
               case_id=case_id, details={"entries": entries, "filtered": filtered})


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
        return not {"audit_event_no_update", "audit_event_no_delete", "audit_event_no_replace"} <= names
    names = set(session.exec(  # type: ignore[call-overload]
        text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND tgenabled <> 'D'")
    ).scalars())
    return "audit_event_append_only" not in names


# --- seals: the chain's head, kept outside the database ---------------------------------------

SEAL_FORMAT = "marac-audit-seal/1"
_SEAL_TOKEN = re.compile(
    r"marac-audit-seal/1 events=(?P<events>\d+) last=(?P<last>\d+) hash=(?P<hash>(?:hmac:)?[0-9a-f]*)"
)


@dataclass(frozen=True)
class Seal:
    """The audit chain's head at one moment: how many events, and the last one's id and hash.

    Written into every pack (PDF keywords) and by `audit seal -o FILE`; a backup carries its own.
    Anything the trail held when sealed can later be shown to be still there, unchanged.
    """

    events: int
    last_id: int
    hash: str

    def token(self) -> str:
        """One line: "marac-audit-seal/1 events=N last=ID hash=HEX" (no personal data)."""
        return f"{SEAL_FORMAT} events={self.events} last={self.last_id} hash={self.hash}"

    def to_json(self, *, sealed_at: datetime | None = None) -> str:
        when = (sealed_at or datetime.now(UTC)).isoformat(timespec="seconds")
        return json.dumps(
            {"format": SEAL_FORMAT, "events": self.events, "last_id": self.last_id, "hash": self.hash,
             "sealed_at": when, "token": self.token()},
            indent=2,
        ) + "\n"

    @classmethod
    def find_in(cls, text_value: str) -> Seal | None:
        """The seal in a token, a JSON seal file or any text holding a token; None if there is none."""
        match = _SEAL_TOKEN.search(text_value)
        if match is None:
            return None
        return cls(events=int(match["events"]), last_id=int(match["last"]), hash=match["hash"])


def current_seal(session: Session) -> Seal:
    """The chain's head now (for packs, minutes, backups and `audit seal`)."""
    head_id, head_hash = chain_head(session, lock=False)
    return Seal(events=_count_upto(session, head_id), last_id=head_id, hash=head_hash)


def _count_upto(session: Session, last_id: int) -> int:
    """Events with ids up to `last_id` (on PostgreSQL all of them, whatever the login may read)."""
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text("SELECT marac_audit_count(:last)"), {"last": last_id}).scalar() or 0)
    query = select(func.count()).select_from(AuditEvent).where(col(AuditEvent.id) <= last_id)
    return int(session.execute(query).scalar() or 0)


def check_seal(session: Session, seal: Seal) -> ChainCheck:
    """Whether everything sealed is still in the trail, unchanged (run `verify_chain` as well)."""
    if seal.events == 0:
        return ChainCheck(ok=True, count=0)
    sealed = session.get(AuditEvent, seal.last_id)
    before = _count_upto(session, seal.last_id)
    if sealed is None:
        return ChainCheck(
            False, before, seal.last_id,
            f"the sealed trail ended at event {seal.last_id}, which is no longer there: "
            "events were cut off or removed",
        )
    if sealed.hash != seal.hash:
        return ChainCheck(
            False, before, seal.last_id,
            f"event {seal.last_id} is not the one sealed: the trail up to it was rewritten",
        )
    if before != seal.events:
        return ChainCheck(
            False, before, seal.last_id,
            f"{seal.events} events were sealed up to event {seal.last_id}, but {before} are there now: "
            "events were removed or slipped in",
        )
    return ChainCheck(ok=True, count=before)
