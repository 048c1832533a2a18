"""Live updates: every change announces itself, and an open app follows the changes others make.

The audit trail is the one choke point: every change writes its audit event in its own
transaction (`core/audit.py`), so that is where a change is announced, and the trail - not the
announcement - is what a follower reads. A `ChangeFollower` keeps the last event id it has seen;
when woken it reads the events after it (one range scan on the primary key) and hands them on as
`Change` records. Waking up:

- PostgreSQL: `audit.record` also runs `pg_notify('marac_prep_changes', payload)` in the same
  transaction (delivered on commit, dropped on rollback), in the round trip that takes the audit
  chain's lock (`notification`); the follower LISTENs on a dedicated connection. The payload
  names ids only (object kind and id, case, meeting, event, user).
- SQLite: the follower polls `PRAGMA data_version` on its own connection (it changes whenever
  another connection - another window, the command line - commits to the file).

A lost connection is reported, retried with a growing pause, and followed by a catch-up from the
last event seen: nothing is missed, because the trail is the source of truth (decision 0090).
Changes written by this very process through the same engine are left out (`written_here`), so a
window never refreshes twice or tells its own user "changed by" themselves.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import EllipsisType
from typing import Any, Protocol

from sqlalchemy import Engine, event, text
from sqlalchemy import select as select_columns
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError
from marac_prep.core.models import AuditEvent, Case

log = logging.getLogger(__name__)

CHANNEL = "marac_prep_changes"
# Audited actions that change nothing another desk shows (opening a case, exports, backups):
# neither announced nor followed. Kept in step with migration 0015_live's `marac_changes_after`.
QUIET_ACTIONS = frozenset({
    "case.open", "audit.export", "pack.export", "minutes.export", "actions.export", "export",
    "export.everything", "database.backup",
})
BATCH = 500  # events read per query while catching up
LISTENER_NAME = "marac_prep_live"  # the listening connection's application_name (seen in pg_stat_activity)


@dataclass(frozen=True)
class Change:
    """One committed change, as the trail records it (ids and the author's name, no content).

    Attributes:
        kind: the changed object's table-like kind ("chronology_entry", "agency_return", "case", …).
        meeting_id: the meeting of the case changed (or the meeting itself), when there is one.
        who: the name of the user who made it, as recorded in the trail.
        when: when it was committed (UTC).
    """

    event_id: int
    action: str
    kind: str
    object_id: int | None
    case_id: int | None
    meeting_id: int | None
    user_id: int | None
    who: str
    when: datetime


# --- announcing -------------------------------------------------------------------------------

def _payload_parts(*, kind: str, object_id: int | None, case_id: int | None, meeting_id: int | None,
                   user_id: int | None) -> tuple[str, str]:
    """The payload's text before and after the event's id (ids only, in a fixed order)."""
    rest = json.dumps({"kind": kind, "id": object_id, "case": case_id, "meeting": meeting_id, "user": user_id},
                      separators=(",", ":"))
    return '{"event":', "," + rest[1:]


def payload(event_row: AuditEvent, meeting_id: int | None) -> str:
    """The NOTIFY payload: ids only - never a name, a summary or any other text a user typed."""
    before, after = _payload_parts(kind=event_row.object_type, object_id=event_row.object_id,
                                   case_id=event_row.case_id, meeting_id=meeting_id, user_id=event_row.user_id)
    return before + json.dumps(event_row.id) + after


@dataclass(frozen=True)
class Notification:
    """What `audit.record` sends on PostgreSQL for an event not yet written: the payload around
    the event's id, which is taken under the audit chain's lock.

    Attributes:
        before / after: the payload's text either side of the event id (`payload` gives the whole).
    """

    channel: str
    before: str
    after: str


def wants_meeting(*, action: str, object_type: str, case_id: int | None) -> bool:
    """Whether the notification of this event names a case's meeting that must be looked up
    (`audit.record` reads it in the query that reads the actor's agency, before the lock)."""
    return action not in QUIET_ACTIONS and object_type != "meeting" and case_id is not None


def notification(
    session: Session, *, action: str, object_type: str, object_id: int | None, case_id: int | None,
    user_id: int | None, case_meeting_id: int | EllipsisType | None = ...,
) -> Notification | None:
    """PostgreSQL, before the audit chain's lock: the notification for the event about to be
    written (None for a quiet action, and on SQLite, whose followers watch the file instead).

    `audit.record` queues it under the lock in the same round trip as reading the chain's head
    (delivered on commit, dropped on rollback); the case's meeting is looked up here - or passed
    in as `case_meeting_id` when already read - before the lock, because every save on the server
    waits for that lock in turn (decision 0098).
    """
    if action in QUIET_ACTIONS or session.get_bind().dialect.name != "postgresql":
        return None
    if object_type == "meeting":
        meeting_id = object_id
    elif case_id is None:
        meeting_id = None
    elif case_meeting_id is not ...:
        meeting_id = case_meeting_id
    else:
        meeting_id = session.exec(select(Case.meeting_id).where(Case.id == case_id)).first()
    before, after = _payload_parts(kind=object_type, object_id=object_id, case_id=case_id, meeting_id=meeting_id,
                                   user_id=user_id)
    return Notification(CHANNEL, before, after)


def announce(session: Session, event_row: AuditEvent) -> None:
    """Called by `audit.record` once the event is inserted: notes it as written here, so this
    process's own windows leave it out once it is committed."""
    if event_row.action in QUIET_ACTIONS or event_row.id is None:
        return
    session.info.setdefault(_PENDING, []).append((_engine_of(session.get_bind()), event_row.id))


# --- what this process wrote itself -------------------------------------------------------------

_PENDING = "marac_changes_pending"
_written: weakref.WeakKeyDictionary[Engine, set[int]] = weakref.WeakKeyDictionary()
_written_lock = threading.Lock()


def _engine_of(bind: Any) -> Engine:
    """The engine behind a bind: engines with execution options (a read session's, SQLite's own)
    proxy the one engine that owns the connections."""
    while (inner := getattr(bind, "_proxied", None)) is not None:
        bind = inner
    return bind  # type: ignore[no-any-return]


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    with _written_lock:
        for engine, event_id in pending:
            _written.setdefault(engine, set()).add(event_id)


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)  # never committed: not ours, and (on SQLite) its id is reused


def written_here(engine: Engine, event_id: int) -> bool:
    """True (once) when this process committed `event_id` through `engine`."""
    with _written_lock:
        ids = _written.get(_engine_of(engine))
        if ids is None or event_id not in ids:
            return False
        ids.discard(event_id)
        return True


# --- reading the changes ------------------------------------------------------------------------

def latest_event_id(session: Session) -> int:
    """The newest audit event's id (0 for none), whatever the login may read of the trail."""
    from marac_prep.core.audit import chain_head

    return chain_head(session, lock=False)[0]


def changes_after(session: Session, after_id: int, *, limit: int = BATCH) -> list[Change]:
    """The changes committed after event `after_id`, oldest first, at most `limit`.

    On PostgreSQL through `marac_changes_after` (SECURITY DEFINER: row-level security shows most
    logins only their own audit events, yet everyone must follow everyone's changes; it returns
    ids, actions and the author's name, never an event's details).
    """
    if session.get_bind().dialect.name == "postgresql":
        rows: list[Any] = list(session.execute(
            text("SELECT * FROM marac_changes_after(:after, :most)"), {"after": after_id, "most": limit}
        ))
    else:
        columns: list[Any] = [AuditEvent.id, AuditEvent.occurred_at, AuditEvent.user_id, AuditEvent.user_name,
                   AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.case_id,
                   Case.meeting_id]
        query = (
            select_columns(*columns)
            .outerjoin(Case, col(Case.id) == col(AuditEvent.case_id))
            .where(col(AuditEvent.id) > after_id, col(AuditEvent.action).not_in(QUIET_ACTIONS))
            .order_by(col(AuditEvent.id))
            .limit(limit)
        )
        rows = list(session.execute(query))
    changes = []
    for event_id, occurred, user_id, user_name, action, kind, object_id, case_id, meeting_id in rows:
        if kind == "meeting" and meeting_id is None:
            meeting_id = object_id
        when = occurred if occurred.tzinfo is not None else occurred.replace(tzinfo=UTC)
        changes.append(Change(
            event_id=int(event_id), action=action, kind=kind, object_id=object_id, case_id=case_id,
            meeting_id=meeting_id, user_id=user_id, who=user_name, when=when,
        ))
    return changes


# --- following ----------------------------------------------------------------------------------

class _Waker(Protocol):
    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Waits up to `seconds` (less when `stop` is set); True when something may have changed."""


class _DataVersionWaker:
    """SQLite: `PRAGMA data_version` on a connection of its own changes when another one commits."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._version = self._read()

    def _read(self) -> int:
        # fetchall: the statement runs to its end, so no read snapshot is held between polls.
        return int(self._connection.execute("PRAGMA data_version").fetchall()[0][0])

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        if stop.wait(seconds):
            return False
        version = self._read()
        changed, self._version = version != self._version, version
        return changed


class _ListenWaker:
    """PostgreSQL: LISTEN on a connection of its own; any notification wakes the follower."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        woken = False
        # `timeout` bounds the wait; a dropped server connection raises psycopg.OperationalError.
        for _note in self._connection.notifies(timeout=seconds, stop_after=1):
            woken = True
        if woken:  # the rest of a burst: one read of the trail covers them all
            for _note in self._connection.notifies(timeout=0.01):
                pass
        if not woken:
            self._connection.execute("SELECT 1")  # a quiet line must still be a live one
        return woken


def _listen_url(engine: Engine) -> str:
    """The server address for the listening connection, as libpq takes it (password kept)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _waker(database: Database) -> Iterator[_Waker]:
    if database.is_sqlite:
        connection = database.connect_file(Path(database.location), read_only=True)
        try:
            yield _DataVersionWaker(connection)
        finally:
            connection.close()
        return
    import psycopg

    with psycopg.connect(
        _listen_url(database.engine), autocommit=True, connect_timeout=5, application_name=LISTENER_NAME
    ) as connection:
        yield _ListenWaker(connection)


def _connection_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (SQLAlchemyError, sqlite3.Error, MaracError, OSError)
    try:
        import psycopg

        errors = (*errors, psycopg.Error)
    except ImportError:  # a SQLite-only install
        pass
    return errors


class ChangeFollower:
    """Follows the changes others commit to `database`, from the trail's head when created.

    `run` blocks (call it on a thread of its own) until `stop` is set, calling
    `on_changes(list[Change])` for each batch of others' changes and `on_connection(bool)` when
    the connection is lost (False) and back (True).

    Attributes:
        last_seen: the id of the last audit event read; a reconnect catches up from here.
        poll_seconds: how often SQLite's data_version is looked at (and how long PostgreSQL
            waits for a notification before checking the line is still there).
        max_backoff: the longest pause between reconnection attempts.
    """

    def __init__(self, database: Database, *, poll_seconds: float = 0.5, max_backoff: float = 15.0) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self.max_backoff = max_backoff
        with database.read_session() as session:
            self.last_seen = latest_event_id(session)

    def catch_up(self) -> list[Change]:
        """Others' changes since `last_seen` (advancing it), read in batches."""
        found: list[Change] = []
        with self.database.read_session() as session:
            while True:
                batch = changes_after(session, self.last_seen)
                if not batch:
                    break
                self.last_seen = batch[-1].event_id
                found.extend(c for c in batch if not written_here(self.database.engine, c.event_id))
                if len(batch) < BATCH:
                    break
        return found

    def run(
        self,
        stop: threading.Event,
        on_changes: Callable[[list[Change]], None],
        on_connection: Callable[[bool], None],
    ) -> None:
        errors = _connection_errors()
        lost = False
        backoff = self.poll_seconds
        while not stop.is_set():
            try:
                with _waker(self.database) as waker:
                    # Listening before reading: a change committed in between is read now or wakes us.
                    changes = self.catch_up()
                    if lost:
                        lost = False
                        backoff = self.poll_seconds
                        log.info("live updates: connection back, caught up to event %s", self.last_seen)
                        on_connection(True)
                    if changes:
                        on_changes(changes)
                    while not stop.is_set():
                        if waker.wait(stop, self.poll_seconds):
                            changes = self.catch_up()
                            if changes:
                                on_changes(changes)
            except errors as exc:
                if not lost:
                    lost = True
                    # The class only: a driver's message may quote the server address or SQL.
                    log.warning("live updates: connection lost (%s); retrying", exc.__class__.__name__)
                    on_connection(False)
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)


def changes_function_sql() -> str:
    """PostgreSQL's `marac_changes_after(after_id, most)` (created by migration 0015_live).

    SECURITY DEFINER with a fixed search_path, like the chain's head: it hands every login the
    ids, action and author of others' changes - not an event's details, and not the quiet
    actions (who opened which case stays for those allowed to read the trail).
    """
    quiet = ", ".join(f"'{action}'" for action in sorted(QUIET_ACTIONS))
    return f"""
    CREATE OR REPLACE FUNCTION marac_changes_after(after_id integer, most integer)
    RETURNS TABLE (id integer, occurred_at timestamptz, user_id integer, user_name text, action text,
                   object_type text, object_id integer, case_id integer, meeting_id integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
    $$ SELECT e.id, e.occurred_at::timestamptz, e.user_id, e.user_name::text, e.action::text,
              e.object_type::text, e.object_id, e.case_id, c.meeting_id
         FROM audit_event e LEFT JOIN marac_case c ON c.id = e.case_id
        WHERE e.id > after_id AND e.action NOT IN ({quiet})
        ORDER BY e.id LIMIT most $$
    """
