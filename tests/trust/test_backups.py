"""Backups: SQLite's online backup API, consistent while others write; rolling copies on close."""

from __future__ import annotations

import sqlite3
import stat
import threading
from datetime import datetime, timedelta

import pytest
from sqlmodel import func, select

from marac_prep.cli import main
from marac_prep.core.audit import verify_chain
from marac_prep.core.backup import backup_database, rolling_backup, rolling_backups
from marac_prep.core.chronology import add_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import open_database
from marac_prep.core.errors import StorageError, ValidationError
from marac_prep.core.models import AuditEvent, ChronologyEntry, User
from tests.factories import Workspace


def test_backup_while_another_connection_writes_is_consistent(sqlite_db, tmp_path):
    ws = Workspace(sqlite_db.session())
    case = ws.case()
    for _ in range(20):
        ws.entry(case)
    writer_db = open_database(sqlite_db.location)
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        with writer_db.read_session() as r:
            actor = r.get(User, ws.coordinator.id)
        n = 0
        while not stop.is_set():
            with writer_db.session() as s:
                entry = add_entry(s, actor=actor, case_id=case.id, agency_id=ws.agency["HSG"].id,
                                  date=PartialDate(datetime.now().date() - timedelta(days=n % 50)),
                                  event_type="incident", summary=f"Written during the backup {n}.")
                written.append(entry.id)
            n += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        for _ in range(3000):
            if len(written) >= 5 or not thread.is_alive():
                break
            stop.wait(0.01)
        assert len(written) >= 5, "the writer did not get going"
        copies = [backup_database(sqlite_db, tmp_path / f"copy{i}.sqlite", actor=ws.coordinator) for i in range(3)]
    finally:
        stop.set()
        thread.join(timeout=60)
        writer_db.close()
        ws.session.close()
    for copy in copies:
        assert stat.S_IMODE(copy.path.stat().st_mode) == 0o600
        conn = sqlite3.connect(copy.path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        restored = open_database(copy.path)
        with restored.read_session() as s:
            count = s.exec(select(func.count()).select_from(ChronologyEntry)).one()
            assert 20 <= count <= 20 + len(written)
            assert verify_chain(s).ok  # a consistent snapshot: the chain is whole
            assert s.exec(select(AuditEvent).where(AuditEvent.action == "database.backup")).first()
        restored.close()


def test_backup_refuses_to_overwrite_unless_asked_and_never_the_database_itself(sqlite_db, tmp_path):
    target = tmp_path / "b.sqlite"
    backup_database(sqlite_db, target)
    with pytest.raises(ValidationError, match="already exists"):
        backup_database(sqlite_db, target)
    backup_database(sqlite_db, target, overwrite=True)
    with pytest.raises(ValidationError, match="over the database itself"):
        backup_database(sqlite_db, sqlite_db.location, overwrite=True)
    with pytest.raises(ValidationError, match="folder"):
        backup_database(sqlite_db, tmp_path)
    assert not list(tmp_path.glob(".*partial"))


def test_rolling_backups_keep_the_newest(sqlite_db, tmp_path):
    folder = tmp_path / "rolling"
    start = datetime(2025, 3, 1, 9, 0, 0)
    made = [rolling_backup(sqlite_db, folder=folder, keep=3, now=start + timedelta(hours=i)) for i in range(5)]
    kept = rolling_backups(folder)
    assert kept == made[2:]
    again = rolling_backup(sqlite_db, folder=folder, keep=3, now=start + timedelta(hours=4))  # same second
    assert again is not None and again.name.endswith("-2.sqlite")
    assert rolling_backups(folder)[-1] == again and len(rolling_backups(folder)) == 3
    assert rolling_backup(sqlite_db, folder=folder, keep=0) is None


def test_default_rolling_folder_sits_beside_the_database(sqlite_db):
    made = rolling_backup(sqlite_db, keep=2)
    assert made is not None and made.parent.name == "marac-backups" and made.exists()


def test_postgres_points_to_pg_dump(db, tmp_path):
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    with pytest.raises(StorageError, match="pg_dump"):
        backup_database(db, tmp_path / "x.sqlite")
    assert rolling_backup(db) is None


def test_backup_command(tmp_path, capsys):
    target = str(tmp_path / "m.sqlite")
    assert main(["--database", target, "demo"]) == 0
    out = tmp_path / "backup.sqlite"
    assert main(["--database", target, "backup", "-o", str(out)]) == 0
    assert "Wrote a backup" in capsys.readouterr().out
    assert main(["--database", str(out), "audit", "verify"]) == 0
    assert main(["--database", target, "backup", "-o", str(out)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
