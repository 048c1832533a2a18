"""Opening a Marac Prep database: a SQLite file by default, a PostgreSQL server when shared."""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from marac_prep.core import storage_errors
from marac_prep.core.db.keying import BUSY_TIMEOUT_MS, INTERACTIVE_WAIT_MS, Cipher, cipher_module, connect
from marac_prep.core.db.probing import (
    FilesystemLookup,
    file_write_protected,
    filesystem_type,
    inspect_sqlite_file,
    is_postgres_url,
    refuse_network_filesystem,
)
from marac_prep.core.db.schema import check_revision, migrate
from marac_prep.core.errors import StorageError, ValidationError
from marac_prep.core.files import create_new
from marac_prep.core.storage_errors import translate_errors

APP_NAME = "MaracPrep"
ENV_DATABASE = "MARAC_PREP_DATABASE"
log = logging.getLogger(__name__)


def default_database_path() -> Path:
    """Where the database lives unless `--database` or MARAC_PREP_DATABASE says otherwise."""
    configured = os.environ.get(ENV_DATABASE)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "marac-prep.sqlite"


@dataclass
class Database:
    """An open database.

    Attributes:
        engine: the SQLAlchemy engine.
        location: the file path or the URL with any password hidden.
        read_only: True when the file cannot (or must not) be written; every change is refused.
        encrypted: True for a SQLCipher-encrypted SQLite file.
    """

    engine: Engine
    location: str
    read_only: bool = False
    encrypted: bool = False
    _cipher: Cipher | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        """A session for one unit of work; on SQLite its transactions take the write lock first."""
        return Session(self.engine, expire_on_commit=False)

    def interactive_session(self) -> Session:
        """A write session for work done on the GUI thread while the user waits (a save, a return's
        note, the "case opened" audit event): it waits for another desk's write (an import, say) at
        most `INTERACTIVE_WAIT_MS`, not the full busy timeout, then says the database is busy
        (`storage_errors.BUSY`) and the window stays responsive; nothing typed is lost."""
        return Session(self.engine.execution_options(marac_wait_ms=INTERACTIVE_WAIT_MS), expire_on_commit=False)

    def read_session(self) -> Session:
        """A session for reading only: on SQLite it never waits for writers."""
        return Session(
            self.engine.execution_options(marac_begin="DEFERRED"), expire_on_commit=False
        )

    def check_passphrase(self, passphrase: str) -> bool:
        """True when `passphrase` is this encrypted database's (for unlocking an idle-locked app)."""
        return self._cipher is not None and self._cipher.matches(passphrase)

    def connect_file(self, path: Path, *, read_only: bool = False) -> Any:
        """A plain DB-API connection to another SQLite file keyed like this one (for backups)."""
        return connect(path, cipher=self._cipher, read_only=read_only)

    def close(self) -> None:
        if not self._closed:
            self.engine.dispose()
            self._closed = True


def _sqlite_engine(path: Path, *, read_only: bool, cipher: Cipher | None) -> Engine:
    module: Any = sqlite3 if cipher is None else cipher_module()
    engine = create_engine(
        "sqlite://",
        module=module,
        creator=lambda: connect(path, cipher=cipher, read_only=read_only),
        # A file, not ":memory:": one connection per session, as for "sqlite:///path".
        poolclass=QueuePool,
    ).execution_options(
        marac_read_only=read_only,
        # Keys the audit chain of an encrypted database (core/audit.py; decision 0034).
        marac_audit_key=cipher.audit_key() if cipher is not None else None,
    )
    translate_errors(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's own transaction handling is switched off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock at the start, so a writer waits (busy_timeout) instead of
        # failing half-way with "database is locked" when another process wrote in between.
        options = conn.get_execution_options()
        mode = options.get("marac_begin", "IMMEDIATE")
        # Each transaction says how long it may wait for the write lock (the pooled connection
        # keeps the last value): an interactive save far less than a background import.
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(options.get('marac_wait_ms', BUSY_TIMEOUT_MS))}")
        conn.exec_driver_sql("BEGIN" if read_only else f"BEGIN {mode}")

    return engine


def _open_sqlite(
    path: Path, *, passphrase: str | None, read_only: bool, lookup: FilesystemLookup, create: bool
) -> Database:
    refuse_network_filesystem(path, lookup)
    if not create and not path.exists():
        raise StorageError(f"There is no Marac Prep database at {path}; check the path. Nothing was created.")
    revision, _empty, cipher = inspect_sqlite_file(path, passphrase)
    if not create and revision is None:
        raise StorageError(f"{path} holds no Marac Prep data yet; check the path. It was left unchanged.")
    read_only = read_only or file_write_protected(path)
    if read_only and revision is None:
        raise StorageError(f"{path} cannot be written, so a new database cannot be made there.")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                # Created new and owner-only before SQLite opens it (its -wal and -shm files take
                # the same permissions): the file holds everything the Marac knows.
                os.close(create_new(path))
        except OSError as exc:
            raise StorageError(f"The database {path} cannot be created: {exc.strerror}.") from None
    engine = _sqlite_engine(path, read_only=read_only, cipher=cipher)
    db = Database(
        engine=engine, location=str(path), read_only=read_only,
        encrypted=cipher is not None, _cipher=cipher,
    )
    migrate(db, revision)
    if read_only:
        _check_readable(db)
    log.info("opened a SQLite database (encrypted=%s, read_only=%s)", db.encrypted, read_only)
    return db


def _check_readable(db: Database) -> None:
    """A read-only file in WAL mode needs its -shm file; say so plainly when it cannot be had."""
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar()
    except SQLAlchemyError:
        db.close()
        raise StorageError(
            f"{db.location} is read-only and cannot be opened here: copy it to a folder you "
            "can write to (a read-only file still needs a writable folder beside it)."
        ) from None


def _postgres_url(target: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if target.startswith(prefix):
            return "postgresql+psycopg://" + target[len(prefix) :]
    return target


# Connections one desktop app keeps to a shared server (docs/decisions/0095). The window's own
# reads and saves and one background load (a case, the meeting's returns) are what runs at once:
# two are kept; a burst (an export while a case loads) may open three more, closed when given
# back. So a fleet of 40 desks holds about 80 idle connections, not 40 × 5.
PG_POOL_SIZE = 2
PG_MAX_OVERFLOW = 3
# Waiting this long for one of the app's own connections means something inside the app is
# stuck; the same wait as for another desk's lock, then the plain "busy" sentence.
PG_POOL_TIMEOUT_S = 15
# A server that does not answer is said after 10 s, not after the operating system's minutes.
PG_CONNECT_TIMEOUT_S = 10
# Server-side limits set on each connection (a why for each in docs/decisions/0095):
# no statement of the app runs near a minute (the slowest measured, reading a 5,000-entry
# meeting or a 5,000-row import batch, takes well under a second), so one that does is a fault
# holding a server process and its locks for everyone; it is cancelled and said plainly.
PG_STATEMENT_TIMEOUT_MS = 60_000
# The app never waits for a person inside a transaction (unit_of_work commits at once; the pack
# ends its read before laying out). A transaction idle this long belongs to a frozen or
# suspended desk, and may hold the audit chain's lock that every other desk's save waits for.
PG_IDLE_IN_TRANSACTION_MS = 60_000


def _postgres_engine(target: str) -> Engine:
    engine = create_engine(
        _postgres_url(target),
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_timeout=PG_POOL_TIMEOUT_S,
        # A connection the server or a firewall dropped overnight is replaced, not reported.
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )
    translate_errors(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Session settings, not startup options: one round trip, and they work through a pooler
        # that refuses the `options` startup parameter (PgBouncer; docs/scaling.md).
        with dbapi_connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false),"
                " set_config('idle_in_transaction_session_timeout', %s, false)",
                (
                    # Read at each connect: the busy tests shorten it.
                    str(storage_errors.PG_LOCK_TIMEOUT_MS),
                    str(PG_STATEMENT_TIMEOUT_MS),
                    str(PG_IDLE_IN_TRANSACTION_MS),
                ),
            )
        dbapi_connection.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # An interactive save (Database.interactive_session) waits less, for this transaction only.
        wait_ms = conn.get_execution_options().get("marac_wait_ms")
        if wait_ms is not None:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")

    return engine


def _open_postgres(target: str, *, create: bool = True) -> Database:
    engine = _postgres_engine(target)
    location = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise StorageError(f"The database server at {location} cannot be reached ({reason}).") from None
    if revision is None and tables:
        engine.dispose()
        raise StorageError(f"{location} holds tables of another program, not Marac Prep.")
    if revision is None and not create:
        engine.dispose()
        raise StorageError(f"{location} holds no Marac Prep database yet; check the address. Nothing was created.")
    check_revision(revision, location)
    db = Database(engine=engine, location=location)
    migrate(db, revision)
    log.info("opened a PostgreSQL database")
    return db


def open_database(
    target: str | Path | None = None,
    *,
    passphrase: str | None = None,
    read_only: bool = False,
    filesystem_lookup: FilesystemLookup | None = None,
    create: bool = True,
) -> Database:
    """Opens (creating if new) the database at a file path or PostgreSQL URL.

    A file that is not a Marac Prep database, a damaged file, or one from a newer version is
    refused with a `StorageError` and left byte-for-byte unchanged.

    Args:
        passphrase: for an encrypted SQLite file; a new file given a passphrase is created
            encrypted (encryption is chosen when a database is created).
        read_only: open without allowing any change (also chosen automatically when the file
            is write-protected).
        filesystem_lookup: tells a path's file-system type; tests inject one to stand for a
            network drive.
        create: False for reading commands: a path or server holding no database is an error
            (a mistyped path must not quietly become a new, empty database).
    """
    if passphrase is not None and not passphrase:
        raise ValidationError("The passphrase is empty.")
    if target is None:
        target = default_database_path()
    if is_postgres_url(target):
        if passphrase:
            raise StorageError(
                "A passphrase applies to a database file on this computer; a PostgreSQL "
                "server is protected by the server's own encryption and access rules."
            )
        return _open_postgres(str(target), create=create)
    return _open_sqlite(
        Path(target).expanduser(), passphrase=passphrase, read_only=read_only,
        lookup=filesystem_lookup or filesystem_type, create=create,
    )
