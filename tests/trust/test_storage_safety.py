"""Read-only databases open read-only; a database on a network drive is refused with a reason."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from sqlmodel import func, select

from marac_prep.cli import main
from marac_prep.core.audit import record_case_opened
from marac_prep.core.db import open_database
from marac_prep.core.errors import StorageError
from marac_prep.core.host import _linux_filesystem_type
from marac_prep.core.models import AuditEvent, ChronologyEntry, User
from tests.factories import Workspace


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(tmp_path) -> Path:
    path = tmp_path / "marac.sqlite"
    db = open_database(path)
    with db.session() as s:
        ws = Workspace(s)
        ws.entry(ws.case(ws.meeting()), "POL")
    db.close()
    return path


def _try_to_write(db) -> None:
    with db.session() as s:
        actor = s.exec(select(User)).first()
        case_id = s.exec(select(ChronologyEntry.case_id)).first()
        from datetime import date

        from marac_prep.core.chronology import add_entry
        from marac_prep.core.dates import PartialDate

        with pytest.raises(StorageError, match="read-only; nothing was saved"):
            add_entry(s, actor=actor, case_id=case_id, agency_id=1, date=PartialDate(date(2024, 5, 1)),
                      event_type="incident", summary="Should not be saved.")


def test_explicit_read_only_reads_and_refuses_every_change(filled):
    before = _digest(filled)
    db = open_database(filled, read_only=True)
    assert db.read_only
    with db.read_session() as s:
        assert s.exec(select(func.count()).select_from(ChronologyEntry)).one() == 1
    _try_to_write(db)
    with db.session() as s:
        case_id = s.exec(select(ChronologyEntry.case_id)).first()
        record_case_opened(s, actor=s.exec(select(User)).first(), case_id=case_id)  # silently skipped
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() > 0
    db.close()
    assert _digest(filled) == before


def test_write_protected_file_opens_read_only(filled):
    """chmod 444. As root os.access still says "writable"; the permission bits decide."""
    os.chmod(filled, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        before = _digest(filled)
        db = open_database(filled)
        assert db.read_only
        _try_to_write(db)
        db.close()
        assert _digest(filled) == before
    finally:
        os.chmod(filled, stat.S_IRUSR | stat.S_IWUSR)


def test_read_only_command_line_says_so_in_one_line(filled, capsys):
    os.chmod(filled, 0o444)
    try:
        assert main(["--database", str(filled), "meeting", "list"]) == 0
        args = ["--database", str(filled), "--user", "Cora Ordinator", "meeting", "create", "--date", "2030-01-07"]
        assert main(args) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "read-only" in err and "Traceback" not in err
    finally:
        os.chmod(filled, 0o600)


def test_a_new_database_cannot_be_made_read_only(tmp_path):
    with pytest.raises(StorageError, match="cannot be written"):
        open_database(tmp_path / "new.sqlite", read_only=True)
    assert not (tmp_path / "new.sqlite").exists()


@pytest.mark.parametrize("fs_type", ["nfs", "nfs4", "cifs", "smb3", "fuse.sshfs"])
def test_network_drive_is_refused_and_nothing_is_made(tmp_path, fs_type):
    path = tmp_path / "shared" / "marac.sqlite"
    seen: list[Path] = []

    def lookup(p: Path) -> str:
        seen.append(p)
        return fs_type

    with pytest.raises(StorageError, match="network drive") as info:
        open_database(path, filesystem_lookup=lookup)
    assert "one computer" in str(info.value) and "PostgreSQL" in str(info.value)
    assert seen and not path.parent.exists()


def test_network_drive_refusal_leaves_an_existing_file_untouched(filled):
    before = _digest(filled)
    with pytest.raises(StorageError, match="network drive"):
        open_database(filled, filesystem_lookup=lambda _p: "cifs")
    assert _digest(filled) == before


def test_local_disk_is_accepted(tmp_path):
    open_database(tmp_path / "m.sqlite", filesystem_lookup=lambda _p: "ext4").close()


def test_mount_table_is_read_by_longest_matching_mount_point(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n"
        "server:/export /mnt/share nfs4 rw 0 0\n"
        "//nas/team /mnt/share/team\\040files cifs rw 0 0\n",
        encoding="utf-8",
    )
    assert _linux_filesystem_type(Path("/home/cora/marac.sqlite"), mounts) == "ext4"
    assert _linux_filesystem_type(Path("/mnt/share/marac.sqlite"), mounts) == "nfs4"
    assert _linux_filesystem_type(Path("/mnt/share/team files/m.sqlite"), mounts) == "cifs"
    assert _linux_filesystem_type(Path("/mnt/shared/m.sqlite"), mounts) == "ext4"  # not a prefix match
