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
# How long a PostgreSQL writer waits for a row or advisory lock before saying the database is
# busy (SQLite waits as long through its busy timeout).
PG_LOCK_TIMEOUT_MS = 15_000

# PostgreSQL error codes: lock_not_available, disk_full, out_of_memory/insufficient_resources.
_PG_BUSY = frozenset({"55P03"})
_PG_FULL = frozenset({"53100"})


def plain_error(exc: BaseException) -> StorageError | None:
    """The sentence for a driver error a user can act on, or None for any other error."""
    code = getattr(exc, "sqlstate", None)
    words = str(exc).lower()
    if code in _PG_BUSY or "database is locked" in words or "database table is locked" in words:
        return StorageError(BUSY)
    if code in _PG_FULL or "database or disk is full" in words or "no space left on device" in words:
        return StorageError(DISK_FULL)
    return None


def translate_errors(engine: Engine) -> None:
    """Every statement on `engine` that fails because the database is busy or the disk is full
    raises `StorageError` with a sentence instead of the driver's OperationalError."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        plain = plain_error(context.original_exception)
        if plain is not None:
            raise plain from None

    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Without a limit a writer waits for another desk's lock for ever, the window frozen.
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {PG_LOCK_TIMEOUT_MS}")
            dbapi_connection.commit()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # An interactive save (Database.interactive_session) waits less, for this transaction only.
            wait_ms = conn.get_execution_options().get("marac_wait_ms")
            if wait_ms is not None:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")
