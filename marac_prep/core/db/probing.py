"""Probing a database file before opening it: its file system, write protection, encryption and
schema, read without changing a byte."""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

from marac_prep.core.db.keying import SALT_BYTES, Cipher, cipher_error, connect, looks_encrypted, salt_of
from marac_prep.core.db.schema import check_revision
from marac_prep.core.errors import StorageError
from marac_prep.core.host import filesystem_type as filesystem_type  # re-exported: callers import it from here
from marac_prep.core.host import is_network_type
from marac_prep.core.passphrases import check_new_passphrase

SQLITE_HEADER = b"SQLite format 3\x00"
# Files larger than this are not fully integrity-checked on open, to keep start-up fast;
# SQLite still reports corruption when a damaged page is read.
QUICK_CHECK_LIMIT_BYTES = 64 * 1024 * 1024

FilesystemLookup = Callable[[Path], "str | None"]


def is_postgres_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql:", "postgres:", "postgresql+"))


def refuse_network_filesystem(path: Path, lookup: FilesystemLookup) -> None:
    fs_type = (lookup(path) or "").lower()
    if is_network_type(fs_type):
        raise StorageError(
            f"{path} is on a network drive ({fs_type}). A Marac Prep file must be on this "
            "computer's own disk: SQLite's locking only works on one computer, and two people "
            "writing over a network could damage it. Keep the file on a local disk, or use a "
            "shared PostgreSQL database for several users."
        )


def file_write_protected(path: Path) -> bool:
    """True when the file cannot be written, or its permissions say nobody should write it.

    The permission bits are read as well as `os.access`, because for an administrator (root)
    `os.access` says yes even for a file marked read-only.
    """
    if not path.exists():
        return False
    if not os.access(path, os.W_OK):
        return True
    return stat.S_IMODE(path.stat().st_mode) & 0o222 == 0


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
    return header != SQLITE_HEADER and looks_encrypted(path)


def inspect_sqlite_file(path: Path, passphrase: str | None) -> tuple[str | None, bool, Cipher | None]:
    """Reads the file without changing a byte: returns (schema revision, is empty, cipher)."""
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a Marac Prep database.")
    if not path.exists() or path.stat().st_size == 0:
        if passphrase:
            # Only a new database's passphrase is judged: an existing file opens with its own.
            check_new_passphrase(passphrase)
        cipher = Cipher.derive(passphrase, secrets.token_bytes(SALT_BYTES)) if passphrase else None
        return None, True, cipher
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    cipher = None
    if header == SQLITE_HEADER:
        if passphrase:
            raise StorageError(
                f"{path} is not encrypted, so it opens without a passphrase. It was left unchanged."
            )
    elif passphrase and looks_encrypted(path):
        cipher = Cipher.derive(passphrase, salt_of(path))
    elif looks_encrypted(path):
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
        check_revision(revision, str(path))
        return revision, empty, cipher
    except StorageError:
        for sidecar in made:
            sidecar.unlink(missing_ok=True)
        raise


def _read_schema(path: Path, cipher: Cipher | None) -> tuple[str | None, bool]:
    try:
        conn = connect(path, cipher=cipher, read_only=True)
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
    except (sqlite3.DatabaseError, cipher_error()) as exc:
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
