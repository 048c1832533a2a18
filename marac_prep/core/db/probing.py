"""Probing a database file before opening it: its file system, write protection, encryption and
schema, read without changing a byte."""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from marac_prep.core.db.keying import SALT_BYTES, Cipher, cipher_error, connect, looks_encrypted, salt_of
from marac_prep.core.db.schema import check_revision
from marac_prep.core.errors import StorageError
from marac_prep.core.passphrases import check_new_passphrase

SQLITE_HEADER = b"SQLite format 3\x00"
# Files larger than this are not fully integrity-checked on open, to keep start-up fast;
# SQLite still reports corruption when a damaged page is read.
QUICK_CHECK_LIMIT_BYTES = 64 * 1024 * 1024

# File systems on which SQLite's WAL locking cannot be trusted (it needs shared memory on one host).
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "coda", "9p",
        "ceph", "glusterfs", "lustre", "gpfs", "davfs", "fuse.sshfs", "sshfs", "fuse.rclone",
        "fuse.davfs2", "fuse.glusterfs", "fuse.s3fs", "fuse.gcsfuse", "fuse.cephfs", "webdav",
    }
)
FilesystemLookup = Callable[[Path], "str | None"]


def is_postgres_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql:", "postgres:", "postgresql+"))


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


def refuse_network_filesystem(path: Path, lookup: FilesystemLookup) -> None:
    fs_type = (lookup(path) or "").lower()
    if fs_type in NETWORK_FILESYSTEMS or fs_type.startswith(("nfs", "smb", "cifs")):
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
