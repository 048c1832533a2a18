"""Opening databases: new, existing, and files that must be refused and left untouched."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from marac_prep.core.db import open_database
from marac_prep.core.errors import StorageError
from marac_prep.core.models import Agency


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_has_default_agencies_once(tmp_path):
    path = tmp_path / "new.sqlite"
    for _ in range(2):
        db = open_database(path)
        with db.read_session() as s:
            names = [a.name for a in s.exec(select(Agency)).all()]
        db.close()
    assert names.count("Police") == 1
    assert "Children's Social Care" in names and len(names) == 12


def test_sqlite_pragmas(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def _refused_unchanged(path: Path, match: str) -> None:
    before = _digest(path)
    siblings = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(StorageError, match=match) as info:
        open_database(path)
    assert "left unchanged" in str(info.value)
    assert _digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == siblings


def test_text_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "minutes.txt"
    path.write_text("Minutes of the last meeting\n", encoding="utf-8")
    _refused_unchanged(path, "not a Marac Prep database")


def test_other_programs_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    _refused_unchanged(path, "another program")


def test_corrupt_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "damaged.sqlite"
    open_database(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wipe the schema page after the header
    path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    _refused_unchanged(path, "damaged")


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path):
    path = tmp_path / "future.sqlite"
    open_database(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _refused_unchanged(path, "newer version")


def test_folder_is_refused(tmp_path):
    with pytest.raises(StorageError, match="folder"):
        open_database(tmp_path)


def test_core_modules_do_not_load_qt():
    code = (
        "import sys, pkgutil, importlib, marac_prep\n"
        "core = ('core', 'analysis', 'interchange', 'pack', 'commands')\n"
        "for pkg in ['marac_prep.' + name for name in core]:\n"
        "    try:\n"
        "        mod = importlib.import_module(pkg)\n"
        "    except ModuleNotFoundError:\n"
        "        continue\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        if '.migrations' in info.name:\n"
        "            continue\n"
        "        importlib.import_module(info.name)\n"
        "importlib.import_module('marac_prep.cli')\n"
        "loaded = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "print(loaded)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr + result.stdout


def test_migration_heads_read_without_alembic_agree_with_alembic():
    from alembic.script import ScriptDirectory

    from marac_prep.core.db.schema import alembic_config, known_revisions

    script = ScriptDirectory.from_config(alembic_config(None))
    known, head = known_revisions()
    assert head == script.get_current_head()
    assert known == {rev.revision for rev in script.walk_revisions()}
