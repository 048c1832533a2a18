"""Opening a Marac Prep database: a SQLite file by default, a PostgreSQL server when shared."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from marac_prep.core.errors import StorageError

APP_NAME = "MaracPrep"
ENV_DATABASE = "MARAC_PREP_DATABASE"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15_000
# Files larger than this are not fully integrity-checked on open, to keep start-up fast;
# SQLite still reports corruption when a damaged page is read.
QUICK_CHECK_LIMIT_BYTES = 64 * 1024 * 1024
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_database_path() -> Path:
    """Where the database lives unless `--database` or MARAC_PREP_DATABASE says otherwise."""
    configured = os.environ.get(ENV_DATABASE)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "marac-prep.sqlite"


def is_postgres_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql:", "postgres:", "postgresql+"))


@dataclass
class Database:
    """An open database.

    Attributes:
        engine: the SQLAlchemy engine.
        location: the file path or the URL with any password hidden.
        read_only: True when the file cannot be written; every change is then refused.
    """

    engine: Engine
    location: str
    read_only: bool = False
    _closed: bool = field(default=False, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        """A session for one unit of work; on SQLite its transactions take the write lock first."""
        return Session(self.engine, expire_on_commit=False)

    def read_session(self) -> Session:
        """A session for reading only: on SQLite it never waits for writers."""
        return Session(
            self.engine.execution_options(marac_begin="DEFERRED"), expire_on_commit=False
        )

    def close(self) -> None:
        if not self._closed:
            self.engine.dispose()
            self._closed = True


def _alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _known_revisions() -> tuple[set[str], str]:
    script = ScriptDirectory.from_config(_alembic_config(None))
    head = script.get_current_head()
    assert head is not None
    return {rev.revision for rev in script.walk_revisions()}, head


def _check_revision(revision: str | None, location: str) -> None:
    known, _ = _known_revisions()
    if revision is not None and revision not in known:
        raise StorageError(
            f"{location} was written by a newer version of Marac Prep; "
            "install the newer version to open it. The file was left unchanged."
        )


def _inspect_sqlite_file(path: Path) -> tuple[str | None, bool]:
    """Reads the file without changing a byte: returns (schema revision, is empty)."""
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a Marac Prep database.")
    if not path.exists() or path.stat().st_size == 0:
        return None, True
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise StorageError(
            f"{path} is not a Marac Prep database (it is not a database file at all). "
            "It was left unchanged."
        )
    uri = f"{path.resolve().as_uri()}?mode=ro"
    # A read-only open of a WAL database still creates -wal/-shm beside it; a refused file
    # must be left as we found it, so remove the ones this check made.
    sidecars = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    made = [p for p in sidecars if not p.exists()]
    try:
        revision, empty = _read_schema(path, uri)
        _check_revision(revision, str(path))
        return revision, empty
    except StorageError:
        for sidecar in made:
            sidecar.unlink(missing_ok=True)
        raise


def _read_schema(path: Path, uri: str) -> tuple[str | None, bool]:
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            if path.stat().st_size <= QUICK_CHECK_LIMIT_BYTES:
                result = conn.execute("PRAGMA quick_check").fetchone()
                if not result or result[0] != "ok":
                    raise StorageError(
                        f"{path} is damaged (SQLite reports: {result[0] if result else '?'}). "
                        "It was left unchanged; restore it from a backup."
                    )
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc):
            raise StorageError(
                f"{path} is busy in another program; try again in a moment."
            ) from None
        raise StorageError(
            f"{path} is damaged or is not a Marac Prep database ({exc}). It was left unchanged."
        ) from None
    user_tables = {t for t in tables if not t.startswith("sqlite_")}
    if revision is None and user_tables:
        raise StorageError(
            f"{path} is a database of another program, not Marac Prep. It was left unchanged."
        )
    return revision, not user_tables


def _sqlite_engine(path: Path, *, read_only: bool) -> Engine:
    if read_only:
        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            ),
        )
    else:
        engine = create_engine(
            f"sqlite:///{path}",
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )

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
        mode = conn.get_execution_options().get("marac_begin", "IMMEDIATE")
        conn.exec_driver_sql("BEGIN" if read_only else f"BEGIN {mode}")

    return engine


def _open_sqlite(path: Path) -> Database:
    revision, _empty = _inspect_sqlite_file(path)
    _check_revision(revision, str(path))
    read_only = path.exists() and not os.access(path, os.W_OK)
    if read_only and revision is None:
        raise StorageError(f"{path} cannot be written, so a new database cannot be made there.")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"The folder for {path} cannot be created: {exc.strerror}.") from None
    engine = _sqlite_engine(path, read_only=read_only)
    db = Database(engine=engine, location=str(path), read_only=read_only)
    _migrate(db, revision)
    return db


def _postgres_url(target: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if target.startswith(prefix):
            return "postgresql+psycopg://" + target[len(prefix) :]
    return target


def _open_postgres(target: str) -> Database:
    engine = create_engine(_postgres_url(target), pool_pre_ping=True)
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
    _check_revision(revision, location)
    db = Database(engine=engine, location=location)
    _migrate(db, revision)
    return db


def _migrate(db: Database, revision: str | None) -> None:
    """Brings the schema to head and seeds reference data, in one transaction."""
    from marac_prep.core.reference import seed_reference_data

    _, head = _known_revisions()
    if revision == head:
        return
    if db.read_only:
        raise StorageError(
            f"{db.location} is read-only and needs upgrading; open it once with write access."
        )
    try:
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two agencies' apps starting together must not both build the schema.
                conn.execute(text("SELECT pg_advisory_xact_lock(7243001)"))
                current = None
                if inspect(conn).has_table("alembic_version"):
                    current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if current == head:
                    return
            command.upgrade(_alembic_config(conn), "head")
            with Session(bind=conn) as session:
                seed_reference_data(session)
                session.flush()
    except SQLAlchemyError as exc:
        db.close()
        raise StorageError(f"{db.location} could not be prepared for use: {exc.__class__.__name__}.") from None


def open_database(target: str | Path | None = None) -> Database:
    """Opens (creating if new) the database at a file path or PostgreSQL URL.

    A file that is not a Marac Prep database, a damaged file, or one from a newer version is
    refused with a `StorageError` and left byte-for-byte unchanged.
    """
    if target is None:
        target = default_database_path()
    if is_postgres_url(target):
        return _open_postgres(str(target))
    return _open_sqlite(Path(target).expanduser())


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One transaction: committed if the block finishes, rolled back (leaving nothing) if it raises."""
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if "locked" in str(exc) or "busy" in str(exc):
            raise StorageError(
                "The database is busy with another user's change; nothing was saved. "
                "Try again in a moment."
            ) from None
        if "readonly" in str(exc).replace(" ", "") or "read-only" in str(exc):
            raise StorageError("This database is open read-only; nothing was saved.") from None
        raise
    except BaseException:
        session.rollback()
        raise
