"""Opening a Marac Prep database: a SQLite file by default, a PostgreSQL server when shared."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from marac_prep.core import person_keys  # noqa: F401  # registers the listener that keeps person keys current
from marac_prep.core.errors import StorageError, ValidationError

APP_NAME = "MaracPrep"
ENV_DATABASE = "MARAC_PREP_DATABASE"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15_000
# Files larger than this are not fully integrity-checked on open, to keep start-up fast;
# SQLite still reports corruption when a damaged page is read.
QUICK_CHECK_LIMIT_BYTES = 64 * 1024 * 1024
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)

# Encryption at rest (SQLCipher). The key is derived from the passphrase with scrypt (memory-hard:
# 32 MiB per guess) and handed to SQLCipher as a raw key, so the passphrase never appears in SQL.
# The scrypt salt is SQLCipher's own per-file salt: the first 16 bytes of the file, which SQLCipher
# keeps unencrypted. We set it explicitly when the file is created ("x'<key><salt>'"), so an
# encrypted database is one self-contained file: no sidecar to lose, backups carry their salt.
SALT_BYTES = 16
KDF_N, KDF_R, KDF_P = 2**15, 8, 1
_KDF_MAXMEM = 64 * 1024 * 1024

# File systems on which SQLite's WAL locking cannot be trusted (it needs shared memory on one host).
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "coda", "9p",
        "ceph", "glusterfs", "lustre", "gpfs", "davfs", "fuse.sshfs", "sshfs", "fuse.rclone",
        "fuse.davfs2", "fuse.glusterfs", "fuse.s3fs", "fuse.gcsfuse", "fuse.cephfs", "webdav",
    }
)
FilesystemLookup = Callable[[Path], "str | None"]


def default_database_path() -> Path:
    """Where the database lives unless `--database` or MARAC_PREP_DATABASE says otherwise."""
    configured = os.environ.get(ENV_DATABASE)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "marac-prep.sqlite"


def is_postgres_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql:", "postgres:", "postgresql+"))


@dataclass(frozen=True)
class _Cipher:
    """A derived SQLCipher key and its salt; never printed, never put into SQL as a passphrase."""

    key: bytes = field(repr=False)
    salt: bytes = field(repr=False)

    @classmethod
    def derive(cls, passphrase: str, salt: bytes) -> _Cipher:
        key = hashlib.scrypt(
            passphrase.encode("utf-8"), salt=salt, n=KDF_N, r=KDF_R, p=KDF_P,
            maxmem=_KDF_MAXMEM, dklen=32,
        )
        return cls(key=key, salt=salt)

    def pragma(self) -> str:
        # Hex digits only: nothing the user typed ever reaches the SQL text.
        return f"PRAGMA key = \"x'{self.key.hex()}{self.salt.hex()}'\""

    def matches(self, passphrase: str) -> bool:
        return hmac.compare_digest(self.derive(passphrase, self.salt).key, self.key)


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
    _cipher: _Cipher | None = field(default=None, repr=False)
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

    def check_passphrase(self, passphrase: str) -> bool:
        """True when `passphrase` is this encrypted database's (for unlocking an idle-locked app)."""
        return self._cipher is not None and self._cipher.matches(passphrase)

    def connect_file(self, path: Path, *, read_only: bool = False) -> Any:
        """A plain DB-API connection to another SQLite file keyed like this one (for backups)."""
        return _connect(path, cipher=self._cipher, read_only=read_only)

    def close(self) -> None:
        if not self._closed:
            self.engine.dispose()
            self._closed = True


def is_read_only(session: Session) -> bool:
    """True when the session's database was opened read-only (so nothing may be written)."""
    return bool(session.get_bind().get_execution_options().get("marac_read_only", False))


def _alembic_config(connection: Any) -> Any:
    # Alembic is imported only when a schema must change: it costs a noticeable part of start-up.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*=\s*(['\"])(\w+)\2", re.MULTILINE)


@cache
def _known_revisions() -> tuple[frozenset[str], str]:
    """Every migration's revision id and the head, read from the migration files themselves.

    A test checks this agrees with Alembic's own reading of the same folder.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (_MIGRATIONS / "versions").glob("*.py"):
        for kind, _quote, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) != 1:
        raise StorageError("This installation of Marac Prep is damaged (its migrations have no single head).")
    return frozenset(revisions), heads.pop()


def _check_revision(revision: str | None, location: str) -> None:
    known, _ = _known_revisions()
    if revision is not None and revision not in known:
        raise StorageError(
            f"{location} was written by a newer version of Marac Prep; "
            "install the newer version to open it. The file was left unchanged."
        )


# --- the file system -------------------------------------------------------------------------


def _linux_filesystem_type(path: Path, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    """The type of the file system holding `path`, from the longest matching mount point."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(path)
    best, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        # /proc/mounts escapes spaces in mount points as \040.
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, best_type = mount, parts[2]
    return best_type


def _windows_filesystem_type(path: Path) -> str | None:
    import ctypes

    drive = path.anchor
    if drive.startswith("\\\\"):
        return "smb"  # a UNC path (\\server\share) is always a network share
    windll = getattr(ctypes, "windll", None)
    if windll is None or not drive:
        return None
    drive_remote = 4
    return "smb" if windll.kernel32.GetDriveTypeW(drive) == drive_remote else None


def filesystem_type(path: Path) -> str | None:
    """The file-system type of `path` ("nfs", "cifs", "ext4" …), or None when it cannot be told."""
    existing = path.resolve()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if sys.platform.startswith("linux"):
        return _linux_filesystem_type(existing)
    if sys.platform == "win32":
        return _windows_filesystem_type(existing)
    return None


def _refuse_network_filesystem(path: Path, lookup: FilesystemLookup) -> None:
    fs_type = (lookup(path) or "").lower()
    if fs_type in NETWORK_FILESYSTEMS or fs_type.startswith(("nfs", "smb", "cifs")):
        raise StorageError(
            f"{path} is on a network drive ({fs_type}). A Marac Prep file must be on this "
            "computer's own disk: SQLite's locking only works on one computer, and two people "
            "writing over a network could damage it. Keep the file on a local disk, or use a "
            "shared PostgreSQL database for several users."
        )


def _file_write_protected(path: Path) -> bool:
    """True when the file cannot be written, or its permissions say nobody should write it.

    The permission bits are read as well as `os.access`, because for an administrator (root)
    `os.access` says yes even for a file marked read-only.
    """
    if not path.exists():
        return False
    if not os.access(path, os.W_OK):
        return True
    return stat.S_IMODE(path.stat().st_mode) & 0o222 == 0


# --- connecting ------------------------------------------------------------------------------


def _cipher_module() -> Any:
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        raise StorageError(
            "Encrypted databases need the sqlcipher3 package, which is not installed."
        ) from None
    return dbapi2


def _connect(path: Path, *, cipher: _Cipher | None, read_only: bool) -> Any:
    """A DB-API connection to the file, keyed when encrypted (before any other statement)."""
    if read_only:
        target, uri = f"{path.resolve().as_uri()}?mode=ro", True
    else:
        target, uri = str(path), False
    module: Any = sqlite3 if cipher is None else _cipher_module()
    conn = module.connect(target, uri=uri, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    if cipher is not None:
        # SQLCipher would otherwise print decryption failures to stderr; we report them ourselves.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(cipher.pragma())
    return conn


def _salt_of(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SALT_BYTES)


def _looks_encrypted(path: Path) -> bool:
    """An encrypted file is whole pages of random-looking bytes with no SQLite header."""
    size = path.stat().st_size
    return size >= 1024 and size % 512 == 0


def is_encrypted_file(target: str | Path) -> bool:
    """True when `target` is an existing SQLite-sized file without the plain SQLite header
    (so it needs a passphrase to open); False for a plain file, a new file or a URL."""
    if is_postgres_url(target):
        return False
    path = Path(target).expanduser()
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    return header != SQLITE_HEADER and _looks_encrypted(path)


def _inspect_sqlite_file(path: Path, passphrase: str | None) -> tuple[str | None, bool, _Cipher | None]:
    """Reads the file without changing a byte: returns (schema revision, is empty, cipher)."""
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a Marac Prep database.")
    if not path.exists() or path.stat().st_size == 0:
        cipher = _Cipher.derive(passphrase, secrets.token_bytes(SALT_BYTES)) if passphrase else None
        return None, True, cipher
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    cipher = None
    if header == SQLITE_HEADER:
        if passphrase:
            raise StorageError(
                f"{path} is not encrypted, so it opens without a passphrase. It was left unchanged."
            )
    elif passphrase and _looks_encrypted(path):
        cipher = _Cipher.derive(passphrase, _salt_of(path))
    elif _looks_encrypted(path):
        raise StorageError(
            f"{path} is encrypted, or is not a Marac Prep database: open it with its passphrase "
            "(the app asks; the command line takes --passphrase-file). It was left unchanged."
        )
    else:
        raise StorageError(
            f"{path} is not a Marac Prep database (it is not a database file at all). "
            "It was left unchanged."
        )
    # A read-only open of a WAL database still creates -wal/-shm beside it; a refused file
    # must be left as we found it, so remove the ones this check made.
    sidecars = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    made = [p for p in sidecars if not p.exists()]
    try:
        revision, empty = _read_schema(path, cipher)
        _check_revision(revision, str(path))
        return revision, empty, cipher
    except StorageError:
        for sidecar in made:
            sidecar.unlink(missing_ok=True)
        raise


def _read_schema(path: Path, cipher: _Cipher | None) -> tuple[str | None, bool]:
    try:
        conn = _connect(path, cipher=cipher, read_only=True)
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
    except (sqlite3.DatabaseError, _cipher_error()) as exc:
        if "locked" in str(exc):
            raise StorageError(f"{path} is busy in another program; try again in a moment.") from None
        if cipher is not None and "not a database" in str(exc):
            raise StorageError(
                f"The passphrase is wrong for {path} (or the file is not a Marac Prep database). "
                "It was left unchanged."
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


def _cipher_error() -> type[Exception]:
    """SQLCipher's DatabaseError class when it is installed (it is not sqlite3's)."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        return sqlite3.DatabaseError
    return dbapi2.DatabaseError  # type: ignore[no-any-return]


def _sqlite_engine(path: Path, *, read_only: bool, cipher: _Cipher | None) -> Engine:
    module: Any = sqlite3 if cipher is None else _cipher_module()
    engine = create_engine(
        "sqlite://",
        module=module,
        creator=lambda: _connect(path, cipher=cipher, read_only=read_only),
        # A file, not ":memory:": one connection per session, as for "sqlite:///path".
        poolclass=QueuePool,
    ).execution_options(marac_read_only=read_only)

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


def _open_sqlite(
    path: Path, *, passphrase: str | None, read_only: bool, lookup: FilesystemLookup
) -> Database:
    _refuse_network_filesystem(path, lookup)
    revision, _empty, cipher = _inspect_sqlite_file(path, passphrase)
    read_only = read_only or _file_write_protected(path)
    if read_only and revision is None:
        raise StorageError(f"{path} cannot be written, so a new database cannot be made there.")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"The folder for {path} cannot be created: {exc.strerror}.") from None
    engine = _sqlite_engine(path, read_only=read_only, cipher=cipher)
    db = Database(
        engine=engine, location=str(path), read_only=read_only,
        encrypted=cipher is not None, _cipher=cipher,
    )
    _migrate(db, revision)
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
    log.info("opened a PostgreSQL database")
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
            from alembic import command

            command.upgrade(_alembic_config(conn), "head")
            with Session(bind=conn) as session:
                seed_reference_data(session)
                session.flush()
    except SQLAlchemyError as exc:
        db.close()
        raise StorageError(f"{db.location} could not be prepared for use: {exc.__class__.__name__}.") from None


def open_database(
    target: str | Path | None = None,
    *,
    passphrase: str | None = None,
    read_only: bool = False,
    filesystem_lookup: FilesystemLookup | None = None,
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
        return _open_postgres(str(target))
    return _open_sqlite(
        Path(target).expanduser(), passphrase=passphrase, read_only=read_only,
        lookup=filesystem_lookup or filesystem_type,
    )


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One transaction: committed if the block finishes, rolled back (leaving nothing) if it raises."""
    try:
        if is_read_only(session):
            raise StorageError("This database is open read-only; nothing was saved.")
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
