"""Sealed row states: each audit event records a digest of every case, entry, return, user,
action, attendance and hearing row its transaction changed, so `audit verify` can name a row
edited behind the app's back.

Triggers (migrations 0007_trust_identity, 0014_trust3) note each changed row in `audit_touched`; `take_states`
turns those into digests when the transaction's audit event is written, and the event's hash
covers them (through `AuditEvent.states_hash`). On SQLite the notes are cleared when a write
transaction begins, so a change made by another program is never swept into the app's next event.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from marac_prep.core.models import AuditRowState

TRACKED = (
    "marac_case", "chronology_entry", "agency_return", "app_user", "marac_action", "meeting_attendance",
    "case_hearing", "case_note",
)
ROW_NAMES = {
    "marac_case": "case", "chronology_entry": "entry", "agency_return": "return", "app_user": "user",
    "marac_action": "action", "meeting_attendance": "attendance", "case_hearing": "hearing",
    "case_note": "case note",
}
DELETED = "deleted"
_CHUNK = 500


def row_digest(row: Any) -> str:
    """A digest of one row's stored values (the first 64 bits of SHA-256 over canonical JSON).

    Values are the driver's own (read with plain SQL, no type conversion) and NULLs are left
    out, so a later version adding a nullable column does not change any digest.
    """
    return _digest_of(row._fields, tuple(row))


def _digest_of(names: Any, values: Any) -> str:
    stored = {key: value for key, value in zip(names, values, strict=True) if value is not None}
    canonical = json.dumps(stored, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _digests(session: Any, table_name: str, ids: list[int]) -> dict[int, str]:
    # Through the driver's own cursor: the values `row_digest` sees from plain SQL, without a
    # result-row object per row (an import seals tens of thousands of rows in one event).
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        low, high = min(chunk), max(chunk)
        params: tuple[int, ...]
        if high - low + 1 == len(set(chunk)):
            # A run of ids with no gap (an import's rows): the same rows, read as one range.
            sql, params = f"SELECT * FROM {table_name} WHERE id BETWEEN {mark} AND {mark}", (low, high)
        else:
            sql, params = f"SELECT * FROM {table_name} WHERE id IN ({', '.join([mark] * len(chunk))})", tuple(chunk)
        cursor = connection.exec_driver_sql(sql, params).cursor
        names = [column[0] for column in cursor.description]
        at = names.index("id")
        for values in cursor.fetchall():
            found[int(values[at])] = _digest_of(names, values)
    return found


def all_rows(connection: Any, table_name: str) -> Iterator[Any]:
    """Every row of a tracked table, as the driver gives it."""
    yield from connection.execute(text(f"SELECT * FROM {table_name} ORDER BY id"))


class _StatesHasher:
    """The hash an event's chain content covers: SHA-256 over its "table:row id:digest" lines in
    (table, row id) order, joined by newlines, fed one line at a time. (The tracked table names
    sort alike bytewise and in any locale – also where a locale ignores "_" – so PostgreSQL's
    ORDER BY agrees with Python's; `test_tracked_names_sort_alike_in_any_locale` checks it.)"""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, table_name: str, row_id: int, digest: str) -> None:
        if self.count:
            self._hash.update(b"\n")
        self._hash.update(f"{table_name}:{row_id}:{digest}".encode())
        self.count += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest() if self.count else ""


def _take_notes(session: Session) -> list[tuple[str, int]]:
    """PostgreSQL: this transaction's notes, consumed, in (table, row id) order."""
    return sorted((str(t), int(r)) for t, r in session.execute(text("SELECT tbl, row_id FROM marac_take_touched()")))


def _pages(notes: list[tuple[str, int]]) -> Iterator[list[tuple[str, int]]]:
    for start in range(0, len(notes), _CHUNK):
        yield notes[start : start + _CHUNK]


def _pending_pages(session: Session) -> Iterator[list[tuple[str, int]]]:
    """This transaction's notes in (table, row id) order, a page at a time; consumed as read."""
    if session.get_bind().dialect.name == "postgresql":
        yield from _pages(_take_notes(session))
        return
    # One table at a time, so each page is a range of the primary key (tbl, row_id, txid).
    page_query = text("SELECT row_id FROM audit_touched WHERE tbl = :t AND row_id > :r ORDER BY row_id LIMIT :n")
    found = False
    for table_name in sorted(TRACKED):
        after = -1
        while True:
            ids = [int(r) for (r,) in session.execute(page_query, {"t": table_name, "r": after, "n": _CHUNK})]
            if not ids:
                break
            found = True
            yield [(table_name, row_id) for row_id in ids]
            after = ids[-1]
    if found:
        session.execute(text("DELETE FROM audit_touched"))


Digested = list[tuple[str, int, str]]


def _digest_page(session: Session, page: list[tuple[str, int]]) -> Digested:
    out: Digested = []
    for table_name in dict.fromkeys(t for t, _ in page):
        if table_name not in TRACKED:
            continue
        ids = [r for t, r in page if t == table_name]
        digests = _digests(session, table_name, ids)
        out += [(table_name, row_id, digests.get(row_id, DELETED)) for row_id in ids]
    return out


@dataclass(frozen=True)
class TakenChanges:
    """A transaction's changed rows, taken before the audit chain's lock (PostgreSQL).

    Attributes:
        notes: (table, row id) of each changed row, in order; the triggers' notes are consumed.
        digested: their digests, when they fit in one page (a save); None for an import's many,
            digested a page at a time under the lock as before, so memory stays bounded.
    """

    notes: list[tuple[str, int]]
    digested: Digested | None


def take_changes(session: Session) -> TakenChanges | None:
    """PostgreSQL, before the audit chain's lock is taken: the rows this transaction changed and,
    for a save's few, their digests. Every save on the server waits for that lock in turn, so
    what can be worked out before it is: these rows cannot change meanwhile (another desk would
    wait for the row lock; a new row is invisible to others). None on SQLite, where BEGIN
    IMMEDIATE already serialises the whole save."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    notes = _take_notes(session)
    return TakenChanges(notes, _digest_page(session, notes) if len(notes) <= _CHUNK else None)


def states_hash(digested: Digested) -> str:
    """The hash `seal_states` would return for these digests, for states stored some other way
    (on PostgreSQL a save's are stored in the round trip that takes the chain's lock)."""
    hasher = _StatesHasher()
    for table_name, row_id, digest in digested:
        hasher.add(table_name, row_id, digest)
    return hasher.hexdigest()


def seal_states(session: Session, event_id: int, taken: TakenChanges | None = None) -> str:
    """Digests every row this transaction changed, stores them under `event_id` (append-only)
    and returns the hash the event's chain content covers ("" when no tracked row changed).

    Streams in pages, so an import of a million rows holds a page of them at a time; `taken` is
    what `take_changes` already took (and for a save, digested) before the chain's lock.
    """
    hasher = _StatesHasher()
    pages: Iterable[Digested]
    if taken is None:
        pages = (_digest_page(session, page) for page in _pending_pages(session))
    elif taken.digested is not None:
        pages = [taken.digested]
    else:
        pages = (_digest_page(session, page) for page in _pages(taken.notes))
    for page_digests in pages:
        rows = []
        for table_name, row_id, digest in page_digests:
            hasher.add(table_name, row_id, digest)
            rows.append({"event_id": event_id, "tbl": table_name, "row_id": row_id, "digest": digest})
        if rows:
            # The table, not the model: a plain executemany, not the ORM's bulk path row by row.
            session.execute(insert(AuditRowState.__table__), rows)  # type: ignore[attr-defined]
    return hasher.hexdigest()


@event.listens_for(Session, "after_begin")
def _forget_foreign_notes(session: Session, transaction: Any, connection: Any) -> None:
    """SQLite: notes left by a change outside the app must not be sealed by the app's next event.

    Only when the outermost transaction begins: a SAVEPOINT inside it keeps the notes so far.
    """
    if connection.dialect.name != "sqlite" or transaction.nested or transaction.parent is not None:
        return
    options = connection.get_execution_options()
    if options.get("marac_read_only") or options.get("marac_begin", "IMMEDIATE") != "IMMEDIATE":
        return
    with contextlib.suppress(OperationalError):  # a database not yet at this version has no notes table
        connection.exec_driver_sql("DELETE FROM audit_touched")


# --- verifying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateProblem:
    """A row whose stored values differ from what the trail last sealed, or sealed states altered."""

    sentence: str


def _latest_states(session: Session, table_name: str) -> Iterator[tuple[int, int, str]]:
    """(row id, event id, digest) of each row's last sealed state, by row id (from the index)."""
    yield from session.execute(
        text(
            "SELECT s.row_id, s.event_id, s.digest FROM audit_row_state s WHERE s.tbl = :t AND s.event_id = "
            "(SELECT max(l.event_id) FROM audit_row_state l WHERE l.tbl = s.tbl AND l.row_id = s.row_id) "
            "ORDER BY s.row_id, s.id DESC"
        ),
        {"t": table_name},
    )


def _sealed_sets_hold(session: Session, sealed_hashes: dict[int, str]) -> int | None:
    """The first event whose stored row states no longer give its sealed hash (None: all hold)."""
    seen: set[int] = set()
    current: int | None = None
    hasher = _StatesHasher()

    def broken(event_id: int | None) -> bool:
        return event_id not in (None, 0) and sealed_hashes.get(event_id or 0) != hasher.hexdigest()

    rows = session.execute(
        text("SELECT event_id, tbl, row_id, digest FROM audit_row_state ORDER BY event_id, tbl, row_id")
    )
    for event_id, table_name, row_id, digest in rows:
        if event_id != current:
            if broken(current):
                return current
            current, hasher = event_id, _StatesHasher()
            seen.add(event_id)
        hasher.add(table_name, row_id, digest)
    if broken(current):
        return current
    missing = sorted(set(sealed_hashes) - seen)
    return missing[0] if missing else None


def check_sealed_states(session: Session, sealed_hashes: dict[int, str]) -> Iterator[StateProblem]:
    """Problems, first the sealed states themselves, then every tracked row against its last state.

    Streams both sides in row order, so a million entries need no more memory than a few.

    Args:
        sealed_hashes: event id -> `states_hash` from the (already verified) chain.
    """
    altered = _sealed_sets_hold(session, sealed_hashes)
    if altered is not None:
        yield StateProblem(f"the row states sealed with event {altered} were altered")
        return
    for table_name in TRACKED:
        name = ROW_NAMES[table_name]
        sealed = iter(_latest_states(session, table_name))
        pending = next(sealed, None)
        for row in all_rows(session, table_name):
            row_id = int(row.id)
            while pending is not None and pending[0] < row_id:
                if pending[2] != DELETED:
                    yield StateProblem(f"{name} {pending[0]} was deleted outside the app")
                pending = next(sealed, None)
            if pending is None or pending[0] != row_id:
                yield StateProblem(f"{name} {row_id} was added outside the app (no audit event records it)")
                continue
            if pending[2] != row_digest(row):
                yield StateProblem(
                    f"{name} {row_id} was changed outside the app after event {pending[1]} (it no longer "
                    "matches its last audited state)"
                )
            pending = next(sealed, None)
        while pending is not None:
            if pending[2] != DELETED:
                yield StateProblem(f"{name} {pending[0]} was deleted outside the app")
            pending = next(sealed, None)
