"""Encryption at rest: SQLCipher with a scrypt-derived raw key; wrong or missing passphrase changes nothing."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import select

from marac_prep.cli import main
from marac_prep.core.audit import verify_chain
from marac_prep.core.backup import backup_database
from marac_prep.core.db import SQLITE_HEADER, is_encrypted_file, open_database
from marac_prep.core.db.keying import Cipher
from marac_prep.core.errors import StorageError, ValidationError
from marac_prep.core.models import Person
from tests.factories import Workspace

pytest.importorskip("sqlcipher3")

PASSPHRASE = "Bryn's \"safe\" word'; DROP TABLE person; --"
CANARY = "Zephyrine QUILLBECK"


def _state(path: Path) -> tuple[str, list[str]]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(p.name for p in path.parent.iterdir())


@pytest.fixture
def encrypted(tmp_path) -> Path:
    path = tmp_path / "secret.sqlite"
    db = open_database(path, passphrase=PASSPHRASE)
    assert db.encrypted
    with db.session() as s:
        ws = Workspace(s)
        ws.entry(ws.case(victim=CANARY), "POL")
    db.close()
    return path


def test_file_is_not_plain_sqlite_and_holds_no_readable_text(encrypted):
    raw = encrypted.read_bytes()
    assert not raw.startswith(SQLITE_HEADER)
    assert b"SQLite format" not in raw
    for part in [encrypted, *encrypted.parent.glob("*-wal")]:
        assert CANARY.encode() not in part.read_bytes()
        assert b"QUILLBECK" not in part.read_bytes()
    assert is_encrypted_file(encrypted)
    conn = sqlite3.connect(encrypted)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        conn.execute("SELECT * FROM sqlite_master").fetchall()
    conn.close()


def test_reopens_with_its_passphrase(encrypted):
    db = open_database(encrypted, passphrase=PASSPHRASE)
    with db.read_session() as s:
        assert s.exec(select(Person.name).where(Person.role == "victim")).one() == CANARY
        assert verify_chain(s).ok
    assert db.check_passphrase(PASSPHRASE) and not db.check_passphrase(PASSPHRASE + " ")
    db.close()


@pytest.mark.parametrize("given", [None, "wrong passphrase", PASSPHRASE.upper()])
def test_wrong_or_missing_passphrase_is_refused_and_changes_nothing(encrypted, given):
    before = _state(encrypted)
    with pytest.raises(StorageError) as info:
        open_database(encrypted, passphrase=given)
    message = str(info.value)
    assert "left unchanged" in message
    assert ("passphrase is wrong" in message) if given else ("encrypted" in message)
    assert PASSPHRASE not in message
    assert _state(encrypted) == before


def test_plain_database_refuses_a_passphrase_unchanged(tmp_path):
    path = tmp_path / "plain.sqlite"
    open_database(path).close()
    before = _state(path)
    with pytest.raises(StorageError, match="not encrypted"):
        open_database(path, passphrase="anything")
    assert _state(path) == before
    with pytest.raises(ValidationError, match="empty"):
        open_database(path, passphrase="")


def test_the_key_reaches_sqlite_as_hex_only():
    cipher = Cipher.derive(PASSPHRASE, b"\x01" * 16)
    pragma = cipher.pragma()
    assert re.fullmatch(r"PRAGMA key = \"x'[0-9a-f]{96}'\"", pragma)
    assert pragma.endswith("01" * 16 + "'\"")  # the salt rides along
    assert "safe" not in pragma and PASSPHRASE not in repr(cipher)
    # memory-hard and salted: the same passphrase with another salt gives another key
    assert Cipher.derive(PASSPHRASE, b"\x02" * 16).key != cipher.key


def test_salt_is_the_files_own_first_bytes_and_differs_per_file(tmp_path):
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for path in (a, b):
        open_database(path, passphrase=PASSPHRASE).close()
    assert a.read_bytes()[:16] != b.read_bytes()[:16]


def test_encrypted_backup_needs_the_same_passphrase(encrypted, tmp_path):
    db = open_database(encrypted, passphrase=PASSPHRASE)
    copy = tmp_path / "copy.sqlite"
    result = backup_database(db, copy)
    db.close()
    assert result.encrypted and not copy.read_bytes().startswith(SQLITE_HEADER)
    with pytest.raises(StorageError):
        open_database(copy)
    restored = open_database(copy, passphrase=PASSPHRASE)
    with restored.read_session() as s:
        assert s.exec(select(Person.name).where(Person.role == "victim")).one() == CANARY
    restored.close()


def test_command_line_passphrase_file(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "keys").mkdir()
    target = str(tmp_path / "data" / "cli.sqlite")
    secret = tmp_path / "keys" / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    assert main(["--database", target, "--passphrase-file", str(secret), "demo"]) == 0
    assert not Path(target).read_bytes().startswith(SQLITE_HEADER)
    assert main(["--database", target, "--passphrase-file", str(secret), "audit", "verify"]) == 0
    assert capsys.readouterr().out.strip().endswith("events")
    before = _state(Path(target))
    assert main(["--database", target, "audit", "verify"]) == 1  # no terminal to ask on
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "passphrase" in err
    wrong = tmp_path / "keys" / "wrong.txt"
    wrong.write_text("not it\n", encoding="utf-8")
    assert main(["--database", target, "--passphrase-file", str(wrong), "meeting", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "passphrase is wrong" in err
    assert main(["--database", target, "--passphrase-file", str(tmp_path / "missing.txt"), "meeting", "list"]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert _state(Path(target)) == before
