"""Keeps what each entry's text says: read once per entry version (and rules version), stored in
`entry_signals`, and attached to case files for analysis."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from marac_prep.analysis.reading.patterns import rules_version
from marac_prep.analysis.reading.reader import entry_text, read_entry, remember
from marac_prep.core.casefile import CaseFile, EntryRecord
from marac_prep.core.db import is_read_only
from marac_prep.core.errors import StorageError
from marac_prep.core.models import ChronologyEntry
from marac_prep.core.signals import TextSignal

log = logging.getLogger(__name__)

# One signal as stored: kind, code, field, start, end, words, target agency, target agency code.
Stored = tuple[str, str, str, int, int, str, str | None, str | None]
_CHUNK = 500  # rows per INSERT and ids per IN (...) list: well inside every database's limits


def encode(signals: Sequence[TextSignal]) -> str:
    """Signals as the stored JSON text ("" for none: most entries)."""
    if not signals:
        return ""
    return json.dumps(
        [[s.kind, s.code, s.field, s.start, s.end, s.words, s.target_agency, s.target_agency_code] for s in signals],
        ensure_ascii=False, separators=(",", ":"),
    )


@lru_cache(maxsize=16384)
def _decoded(text: str) -> tuple[Stored, ...]:
    """Stored JSON decoded once per distinct text: agencies' wording repeats, and so do its signals."""
    return tuple(tuple(item) for item in json.loads(text))


def decode(entry_id: int, text: str) -> tuple[TextSignal, ...]:
    if not text:
        return ()
    return tuple(
        TextSignal(entry_id, kind, code, words, field, start, end, agency, agency_code)  # type: ignore[arg-type]
        for kind, code, field, start, end, words, agency, agency_code in _decoded(text)
    )


def stored_signals(session: Session, case_ids: Iterable[int]) -> dict[int, tuple[int, str, str]]:
    """entry id -> (entry version, rules version, stored JSON) for the current entries of these
    cases that have stored signals: one query (a plain DB-API one: SQLAlchemy's statement and row
    handling cost more than the database's own work here)."""
    ids = sorted({int(i) for i in case_ids})  # integers only: nothing to escape
    found: dict[int, tuple[int, str, str]] = {}
    connection = session.connection()
    for first in range(0, len(ids), _CHUNK):
        listed = ",".join(str(i) for i in ids[first : first + _CHUNK])
        rows = connection.exec_driver_sql(
            "SELECT s.entry_id, s.entry_version, s.rules_version, s.signals FROM entry_signals s "
            f"JOIN chronology_entry e ON e.id = s.entry_id WHERE e.case_id IN ({listed}) AND e.withdrawn_at IS NULL"
        ).fetchall()
        for entry_id, version, rules, text in rows:
            found[entry_id] = (version, rules, text)
    return found


def _store(session: Session, rows: list[tuple[int, int, str]], version: str) -> None:
    """Replaces the stored signals of these entries and commits. Skipped when the session holds
    changes of its caller's (never commit someone else's half-finished work). A failure (another
    user writing, a reader racing us to the same entries) only means the text is read again next
    time. Through the caller's session, not a second connection: on SQLite a write session already
    holds the write lock, and a second connection would wait for it."""
    if session.new or session.dirty or session.deleted:
        return
    try:
        # In a savepoint: a refused write rolls back only itself, not the caller's transaction – a
        # rollback would expire the caller's loaded objects (read again, or unreadable once the
        # session is closed).
        with session.begin_nested():
            connection = session.connection()
            mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
            # Plain DB-API statements: SQLAlchemy's per-row parameter handling cost more than the reading.
            for first in range(0, len(rows), _CHUNK):
                chunk = rows[first : first + _CHUNK]
                ids = ",".join(str(int(r[0])) for r in chunk)  # integers only: nothing to escape
                connection.exec_driver_sql(f"DELETE FROM entry_signals WHERE entry_id IN ({ids})")
                connection.exec_driver_sql(
                    f"INSERT INTO entry_signals (entry_id, entry_version, rules_version, signals) "
                    f"VALUES ({mark}, {mark}, {mark}, {mark})",
                    [(i, v, version, s) for i, v, s in chunk],
                )
    except (SQLAlchemyError, StorageError) as exc:  # StorageError: busy, said as a sentence (storage_errors)
        log.info("text signals not stored this time (%s); they are read again next time", type(exc).__name__)
        return
    try:
        session.commit()
    except (SQLAlchemyError, StorageError) as exc:
        session.rollback()
        log.info("text signals not stored this time (%s); they are read again next time", type(exc).__name__)


def attach_signals(session: Session, case_files: Sequence[CaseFile], *, store: bool = True) -> None:
    """Fills each case file's `signals` (entry id -> TextSignals): stored signals are read in one
    query; an entry whose text was never read, changed since, or was read with older rules is read
    now and (unless the database is read-only or `store` is False) stored for next time.

    The session may be a read session: new rows are written in a transaction of their own.
    """
    entries: list[EntryRecord] = [e for f in case_files for e in f.entries]
    if not entries:
        for f in case_files:
            f.signals = {}
        return
    version = rules_version()
    stored = stored_signals(session, [f.case.id or 0 for f in case_files])
    fresh: list[tuple[int, int, str]] = []
    for case_file in case_files:
        signals: dict[int, tuple[TextSignal, ...]] = {}
        for entry in case_file.entries:
            row = stored.get(entry.id)
            if row is not None and row[0] == entry.version and row[1] == version:
                found = decode(entry.id, row[2])
                if not found:
                    # The analysis asks the victim-blaming finder about an entry with no signals:
                    # answer it from the store ("nothing") rather than by reading the text again.
                    remember(entry_text(entry.summary, entry.detail), ())
            else:
                found = read_entry(entry.id, entry.summary, entry.detail)
                fresh.append((entry.id, entry.version, encode(found)))
            if found:
                signals[entry.id] = found
        case_file.signals = signals
    if fresh and store and not is_read_only(session):
        _store(session, fresh, version)


def read_and_store(session: Session, entries: Iterable[ChronologyEntry | EntryRecord]) -> int:
    """Reads and stores the signals of these entries now (after an import, or to prepare a
    workspace); returns how many were read. Committed through the session."""
    version = rules_version()
    rows = [
        (e.id, e.version, encode(read_entry(e.id, e.summary, e.detail or "")))
        for e in entries
        if e.id is not None
    ]
    if rows and not is_read_only(session):
        _store(session, rows, version)
    return len(rows)
