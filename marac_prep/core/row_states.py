"""Sealed row states: each audit event records a digest of every case, entry, return and user row
its transaction changed, so `audit verify` can name a row edited behind the app's back.

Triggers (migration 0007_trust_identity) note each changed row in `audit_touched`; `take_states`
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

from sqlalchemy import bindparam, event, insert, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from marac_prep.core.models import AuditRowState

TRACKED = ("marac_case", "chronology_entry", "agency_return", "app_user")
ROW_NAMES = {"marac_case": "case", "chronology_entry": "entry", "agency_return": "return", "app_user": "user"}
DELETED = "deleted"
_CHUNK = 500


def row_digest(row: Any) -> str:
    """A digest of one row's stored values (the first 64 bits of SHA-256 over canonical JSON).

    Values are the driver's own (read with plain SQL, no type conversion) and NULLs are left
    out, so a later version adding a nullable column does not change any digest.
    """
    values = {key: value for key, value in row._mapping.items() if value is not None}
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def states_hash(states: Iterable[tuple[str, int, str]]) -> str:
    """The hash an event's chain content covers: over its (table, row id, digest) triples."""
    lines = "\n".join(f"{table}:{row_id}:{digest}" for table, row_id, digest in sorted(states))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def _digests(session: Any, table_name: str, ids: list[int]) -> dict[int, str]:
    query = text(f"SELECT * FROM {table_name} WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in session.execute(query, {"ids": ids[start : start + _CHUNK]}):
            found[int(row.id)] = row_digest(row)
    return found


def all_rows(connection: Any, table_name: str) -> Iterator[Any]:
    """Every row of a tracked table, as the driver gives it."""
    yield from connection.execute(text(f"SELECT * FROM {table_name} ORDER BY id"))


def take_states(session: Session) -> list[tuple[str, int, str]]:
    """The rows this transaction changed, with their digests now; the notes are consumed."""
    if session.get_bind().dialect.name == "postgresql":
        touched = session.execute(text("SELECT tbl, row_id FROM marac_take_touched()")).all()
    else:
        touched = session.execute(text("SELECT tbl, row_id FROM audit_touched")).all()
        if touched:
            session.execute(text("DELETE FROM audit_touched"))
    by_table: dict[str, list[int]] = {}
    for table_name, row_id in touched:
        if table_name in TRACKED:
            by_table.setdefault(table_name, []).append(int(row_id))
    states: list[tuple[str, int, str]] = []
    for table_name, ids in by_table.items():
        digests = _digests(session, table_name, sorted(set(ids)))
        states.extend((table_name, row_id, digests.get(row_id, DELETED)) for row_id in sorted(set(ids)))
    return states


def store_states(session: Session, event_id: int, states: list[tuple[str, int, str]]) -> None:
    rows = [{"event_id": event_id, "tbl": t, "row_id": r, "digest": d} for t, r, d in states]
    for start in range(0, len(rows), 5000):
        session.execute(insert(AuditRowState), rows[start : start + 5000])


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


def _latest_states(session: Session) -> dict[tuple[str, int], tuple[int, str]]:
    latest: dict[tuple[str, int], tuple[int, str]] = {}
    query = text("SELECT tbl, row_id, event_id, digest FROM audit_row_state ORDER BY event_id, id")
    for table_name, row_id, event_id, digest in session.execute(query):
        latest[(table_name, row_id)] = (event_id, digest)
    return latest


def check_sealed_states(session: Session, sealed_hashes: dict[int, str]) -> Iterator[StateProblem]:
    """Problems, first the sealed states themselves, then every tracked row against its last state.

    Args:
        sealed_hashes: event id -> `states_hash` from the (already verified) chain.
    """
    per_event: dict[int, list[tuple[str, int, str]]] = {}
    for event_id, table_name, row_id, digest in session.execute(
        text("SELECT event_id, tbl, row_id, digest FROM audit_row_state")
    ):
        per_event.setdefault(event_id, []).append((table_name, row_id, digest))
    for event_id in sorted(set(per_event) | set(sealed_hashes)):
        expected = sealed_hashes.get(event_id)
        if event_id == 0:
            continue  # rows already there when this version first opened the database
        if expected is None or states_hash(per_event.get(event_id, [])) != expected:
            yield StateProblem(f"the row states sealed with event {event_id} were altered")
            return
    latest = _latest_states(session)
    seen: set[tuple[str, int]] = set()
    for table_name in TRACKED:
        name = ROW_NAMES[table_name]
        for row in all_rows(session, table_name):
            key = (table_name, int(row.id))
            seen.add(key)
            sealed = latest.get(key)
            if sealed is None:
                yield StateProblem(f"{name} {row.id} was added outside the app (no audit event records it)")
            elif sealed[1] != row_digest(row):
                yield StateProblem(
                    f"{name} {row.id} was changed outside the app after event {sealed[0]} (it no longer "
                    "matches its last audited state)"
                )
    for key, (_event_id, digest) in latest.items():
        if key not in seen and digest != DELETED:
            yield StateProblem(f"{ROW_NAMES.get(key[0], key[0])} {key[1]} was deleted outside the app")
