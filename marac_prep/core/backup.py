"""Backups of a SQLite database: one on request, and rolling ones kept when the app closes."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from marac_prep.core import audit
from marac_prep.core.db import Database, is_read_only, unit_of_work
from marac_prep.core.errors import StorageError, ValidationError
from marac_prep.core.files import atomic_write
from marac_prep.core.models import User
from marac_prep.core.permissions import require
from marac_prep.core.settings import current

log = logging.getLogger(__name__)
ROLLING_PREFIX = "marac-prep-"
_ROLLING_NAME = re.compile(r"^marac-prep-(\d{8}-\d{6})(?:-(\d+))?\.sqlite$")
# Pages copied per step: small steps let other writers in between, and SQLite restarts the copy
# if another connection changes the file meanwhile, so the backup is still one consistent state.
_PAGES_PER_STEP = 256


@dataclass(frozen=True)
class BackupResult:
    """A finished backup.

    Attributes:
        path: the backup file.
        size: its size in bytes.
        encrypted: True when the backup is encrypted with the same key as the database.
    """

    path: Path
    size: int
    encrypted: bool


def _require_sqlite(db: Database) -> None:
    if not db.is_sqlite:
        raise StorageError(
            "This is a PostgreSQL database: back it up on the server with pg_dump "
            "(see the README, 'Backups and restoring')."
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _copy(db: Database, destination: Path) -> None:
    """SQLite's online backup API, page by page, into `destination` (which must not exist)."""
    with db.engine.connect() as conn:
        source: Any = conn.connection.dbapi_connection
        target = db.connect_file(destination)
        try:
            source.backup(target, pages=_PAGES_PER_STEP)
            check = target.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise StorageError("The backup copy did not check out; the backup was not kept.")
        finally:
            target.close()


def backup_database(
    db: Database, destination: Path, *, actor: User | None = None, overwrite: bool = False
) -> BackupResult:
    """Copies the whole database to `destination`, consistent even while others write.

    The copy appears whole or not at all (written beside the target, then renamed), is readable
    only by its owner, and an encrypted database gives an encrypted backup with the same
    passphrase. When `actor` is given (every backup a person asks for) it must be a coordinator –
    a backup holds everything, confidential addresses included – and the backup is audited first,
    so the copy holds its own event. Without an actor it is the app's own rolling backup.

    Raises:
        ValidationError: the destination is the database itself, a folder, or exists already.
        StorageError: PostgreSQL (use pg_dump), or the copy failed.
    """
    if actor is not None:
        require(actor, "backup")
    _require_sqlite(db)
    destination = Path(destination).expanduser()
    if _same_file(Path(db.location), destination):
        raise ValidationError("A backup cannot be written over the database itself; choose another file.")
    if destination.is_dir():
        raise ValidationError(f"{destination} is a folder; give a file name for the backup.")
    if destination.exists() and not overwrite:
        raise ValidationError(f"{destination} already exists; choose another name for the backup.")
    if not destination.parent.is_dir():
        raise ValidationError(f"The folder {destination.parent} does not exist.")
    if actor is not None and not db.read_only:
        with db.session() as session:
            _audit_backup(session, actor, destination.name)
    try:
        # The temporary copy is created empty, new and private first (core.files): the backup
        # holds everything the database holds.
        with atomic_write(destination) as pending:
            try:
                _copy(db, pending.path)
            finally:
                for suffix in ("-wal", "-shm", "-journal"):
                    Path(f"{pending.path}{suffix}").unlink(missing_ok=True)
    except StorageError:
        raise
    except Exception as exc:
        log.error("backup failed (%s)", exc.__class__.__name__)
        raise StorageError(f"The backup could not be made ({exc.__class__.__name__}); nothing was kept.") from None
    log.info("backup written (%d bytes)", destination.stat().st_size)
    return BackupResult(destination, destination.stat().st_size, db.encrypted)


def _audit_backup(session: Session, actor: User, file_name: str) -> None:
    if is_read_only(session):
        return
    with unit_of_work(session):
        audit.record(session, actor=actor, action="database.backup", object_type="database",
                     details={"file": file_name})


def default_backup_folder(db: Database) -> Path:
    """Rolling backups live beside the database, in "<name>-backups"."""
    path = Path(db.location)
    return path.with_name(f"{path.stem}-backups")


def rolling_backups(folder: Path) -> list[Path]:
    """The rolling backups in `folder`, oldest first."""
    if not folder.is_dir():
        return []
    found: list[tuple[str, int, Path]] = []
    for path in folder.iterdir():
        match = _ROLLING_NAME.match(path.name)
        if match:
            found.append((match.group(1), int(match.group(2) or 1), path))
    return [path for *_key, path in sorted(found)]


def rolling_backup(
    db: Database, *, folder: Path | None = None, keep: int | None = None, now: datetime | None = None
) -> Path | None:
    """Makes a timestamped backup and removes the oldest beyond `keep` (setting `rolling_backups`).

    Called when the app closes. Returns the new file, or None when there is nothing to do
    (PostgreSQL, or `keep` is 0).
    """
    if not db.is_sqlite:
        return None
    if keep is None:
        with db.read_session() as session:
            keep = current(session).rolling_backups
    if keep <= 0:
        return None
    folder = folder or default_backup_folder(db)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"The backup folder {folder} cannot be made: {exc.strerror}.") from None
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{ROLLING_PREFIX}{stamp}.sqlite"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{ROLLING_PREFIX}{stamp}-{n}.sqlite"
    backup_database(db, target)
    for old in rolling_backups(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return target
