"""A busy database, a full disk and a closed output pipe: said plainly, nothing half-saved."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from marac_prep.cli import main
from marac_prep.core import db as db_module
from marac_prep.core import storage_errors
from marac_prep.core.cases import update_case
from marac_prep.core.errors import StorageError
from marac_prep.core.meetings import list_meetings
from marac_prep.core.models import Case, ChronologyEntry
from marac_prep.core.storage_errors import BUSY
from marac_prep.interchange.importer import import_file


def _short_busy_timeout(monkeypatch) -> None:
    from marac_prep.core.db import engine, keying

    monkeypatch.setattr(keying, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)


def test_a_command_waiting_for_another_writer_says_the_database_is_busy(tmp_path, monkeypatch, capsys):
    target = str(tmp_path / "busy.sqlite")
    db_module.open_database(target).close()
    _short_busy_timeout(monkeypatch)
    holder = sqlite3.connect(target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program (an import) is writing
    try:
        capsys.readouterr()
        status = main(["--database", target, "meeting", "create", "--date", "2027-01-14"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert status == 1
    assert "The database is busy with another change (an import?); try again in a moment." in err
    assert "something went wrong" not in err and "OperationalError" not in err


def test_a_save_waiting_for_another_desk_says_the_database_is_busy(db, ws, monkeypatch):
    case = ws.case()
    ws.session.commit()
    _short_busy_timeout(monkeypatch)
    monkeypatch.setattr(storage_errors, "PG_LOCK_TIMEOUT_MS", 300)
    other = db_module.open_database(
        db.location if db.is_sqlite else db.engine.url.render_as_string(hide_password=False)
    )
    holder = db_module.open_database(
        db.location if db.is_sqlite else db.engine.url.render_as_string(hide_password=False)
    )
    try:
        with holder.session() as busy:
            # The other desk holds the case (PostgreSQL: its row lock; SQLite: the write lock).
            busy.execute(select(Case).where(Case.id == case.id).with_for_update())
            with other.session() as s, pytest.raises(StorageError) as raised:
                update_case(s, actor=ws.coordinator, case_id=case.id, expected_version=case.version, criteria_notes="Waiting.")
            busy.rollback()
    finally:
        other.close()
        holder.close()
    assert str(raised.value) == BUSY
    with db.read_session() as s:
        assert s.get(Case, case.id).criteria_notes != "Waiting."


def test_a_full_disk_is_said_and_the_import_leaves_nothing(sqlite_db, tmp_path):
    from tests.factories import Workspace

    with sqlite_db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        case = ws.case(meeting)
        case_id = case.id
        session.commit()
        lines = ["case_reference,agency,date,event_type,summary"]
        for i in range(3000):
            when = date.today() - timedelta(days=1 + i % 900)
            lines.append(f"{case.reference},Housing,{when:%d/%m/%Y},incident,Fictional visit {i} {'x' * 200}.")
        source = tmp_path / "housing.csv"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pages = session.connection().exec_driver_sql("PRAGMA page_count").scalar()
        # The database may not grow: as on a disk with no space left.
        session.connection().exec_driver_sql(f"PRAGMA max_page_count = {pages + 2}")
        session.commit()
        with pytest.raises(StorageError, match="disk holding the database is full"):
            import_file(session, actor=ws.coordinator, meeting_id=meeting.id, path=source)
    with sqlite_db.read_session() as s:
        assert s.exec(select(ChronologyEntry).where(ChronologyEntry.case_id == case_id)).all() == []
    assert not (tmp_path / "housing.rejects.csv").exists()


def test_a_saved_change_exits_0_when_its_output_pipe_is_closed(tmp_path):
    target = tmp_path / "pipe.sqlite"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head -0`) has gone before the command writes
    try:
        result = subprocess.run(
            [sys.executable, "-m", "marac_prep", "--database", str(target), "meeting", "create",
             "--date", "2027-01-14"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0, result.stderr
    assert "Broken pipe" not in result.stderr and "Traceback" not in result.stderr
    database = db_module.open_database(Path(target))
    try:
        with database.read_session() as s:
            assert [m.meeting_date for m in list_meetings(s)] == [date(2027, 1, 14)]
    finally:
        database.close()
