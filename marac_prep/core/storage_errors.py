"""Database failures a user can act on (a busy database, a full disk), said as sentences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from marac_prep.core.errors import StorageError

BUSY = (
    "The database is busy with another change (an import?); try again in a moment. "
    "Nothing was saved."
)
DISK_FULL = (
    "The disk holding the database is full, so nothing was saved; free some space (or ask for "
    "the server's disk to be enlarged) and try again."
)
TOO_SLOW = (
    "The database server gave up on this request because it took too long (the server may be "
    "overloaded); nothing was saved. Try again in a while, and tell the server's administrator "
    "if it keeps happening."
)
LEFT_UNFINISHED = (
    "The database server closed the connection because a change was left unfinished for too long "
    "(was the computer asleep?); that change was not saved. Try again."
)
# How long a PostgreSQL writer waits for a row or advisory lock before saying the database is
# busy (SQLite waits as long through its busy timeout).
PG_LOCK_TIMEOUT_MS = 15_000

# PostgreSQL error codes: lock_not_available, disk_full, out_of_memory/insufficient_resources.
_PG_BUSY = frozenset({"55P03"})
_PG_FULL = frozenset({"53100"})
# query_canceled (also a cancel by an administrator: the words tell the timeout apart) and
# idle_in_transaction_session_timeout (the server ends the session; the words arrive with it).
_PG_CANCELED = "57014"
_PG_IDLE_ENDED = "25P03"


def plain_error(exc: BaseException) -> StorageError | None:
    """The sentence for a driver error a user can act on, or None for any other error."""
    code = getattr(exc, "sqlstate", None)
    words = str(exc).lower()
    if code in _PG_BUSY or "database is locked" in words or "database table is locked" in words:
        return StorageError(BUSY)
    if code in _PG_FULL or "database or disk is full" in words or "no space left on device" in words:
        return StorageError(DISK_FULL)
    if code == _PG_CANCELED and "statement timeout" in words:
        return StorageError(TOO_SLOW)
    if code == _PG_IDLE_ENDED or "idle-in-transaction timeout" in words:
        return StorageError(LEFT_UNFINISHED)
    return None


def translate_errors(engine: Engine) -> None:
    """Every statement on `engine` that fails because the database is busy, the disk is full or a
    server-side timeout ended it raises `StorageError` with a sentence instead of the driver's
    OperationalError."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        plain = plain_error(context.original_exception)
        if plain is not None:
            raise plain from None
