"""Evidence that cannot be quietly rewritten (issue 13, section 6): INSERT OR REPLACE is refused,
and a seal kept elsewhere (a seal file, a pack, a backup) catches a trail that was cut short or
rewritten with the app's own hash function, which `audit verify` alone cannot."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from marac_prep.cli import main
from marac_prep.core import audit
from marac_prep.core.audit import Seal, current_seal
from marac_prep.core.db import open_database, unit_of_work
from marac_prep.core.models import AuditEvent
from marac_prep.pack.export import export_pack
from tests.factories import Workspace

TRIGGERS = ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_replace")


def _events(path: Path, count: int) -> None:
    db = open_database(path)
    with db.session() as s:
        for n in range(count):
            with unit_of_work(s):
                audit.record(s, actor=None, action="test.event", details={"n": n})
    db.close()


def _behind_the_apps_back(path: Path, *statements: str) -> None:
    """What someone with the file and the sqlite3 tool can do: lift the triggers, change the
    trail, put the triggers back so nothing looks unprotected."""
    conn = sqlite3.connect(path)
    saved = [row[0] for row in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")]
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements:
        conn.execute(statement)
    for sql in saved:
        conn.execute(sql)
    conn.commit()
    conn.close()


def _rechain(path: Path) -> None:
    """Recomputes every hash with the app's own function, as an attacker with the code would."""
    db = open_database(path)
    with db.read_session() as s:
        events = list(s.exec(select(AuditEvent).order_by(AuditEvent.id)).all())
    db.close()
    prev, statements = "", []
    for event in events:
        event.prev_hash = prev
        event.hash = audit.event_hash(prev, event)
        statements.append(f"UPDATE audit_event SET prev_hash = '{prev}', hash = '{event.hash}' WHERE id = {event.id}")
        prev = event.hash
    _behind_the_apps_back(path, *statements)


def test_insert_or_replace_cannot_overwrite_an_event(tmp_path):
    path = tmp_path / "m.sqlite"
    _events(path, 3)
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(
            "INSERT OR REPLACE INTO audit_event (id, occurred_at, user_name, agency_name, action, object_type, "
            "details, prev_hash, hash) SELECT id, occurred_at, 'Someone else', agency_name, action, object_type, "
            "details, prev_hash, hash FROM audit_event WHERE id = 2"
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("REPLACE INTO audit_event (id, occurred_at, action, user_name, agency_name, object_type, "
                     "details, prev_hash, hash) VALUES (2, '2026-01-01', 'x', '', '', '', '{}', '', '')")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("INSERT INTO audit_event (id, occurred_at, action, user_name, agency_name, object_type, "
                     "details, prev_hash, hash) VALUES (2, '2026-01-01', 'x', '', '', '', '{}', '', '') "
                     "ON CONFLICT(id) DO UPDATE SET action = 'x'")
    conn.close()
    assert main(["--database", str(path), "audit", "verify"]) == 0


def test_upsert_is_refused_on_postgres_too(db):
    if db.is_sqlite:
        pytest.skip("covered above")
    with db.session() as s:
        Workspace(s)
    with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(
            "INSERT INTO audit_event (id, occurred_at, action, user_name, agency_name, object_type, details, "
            "prev_hash, hash) SELECT id, occurred_at, 'x', '', '', '', '{}', '', '' FROM audit_event LIMIT 1 "
            "ON CONFLICT (id) DO UPDATE SET action = 'rewritten'"
        ))


def test_a_cut_off_trail_passes_verify_but_not_its_seal(tmp_path, capsys):
    path, seal_file = tmp_path / "m.sqlite", tmp_path / "sealed.json"
    _events(path, 5)
    assert main(["--database", str(path), "audit", "seal", "-o", str(seal_file)]) == 0
    sealed = json.loads(seal_file.read_text())
    assert sealed["events"] == 5 and sealed["last_id"] == 5
    assert seal_file.stat().st_mode & 0o077 == 0
    _behind_the_apps_back(path, "DELETE FROM audit_event WHERE id >= 4")
    capsys.readouterr()
    assert main(["--database", str(path), "audit", "verify"]) == 0  # the attack: a valid prefix
    assert main(["--database", str(path), "audit", "verify", "--seal", str(seal_file)]) == 1
    assert "event 5, which is no longer there" in capsys.readouterr().out


def test_a_rewritten_and_rechained_trail_is_caught_by_its_seal(tmp_path, capsys):
    path, seal_file = tmp_path / "m.sqlite", tmp_path / "sealed.json"
    _events(path, 4)
    assert main(["--database", str(path), "audit", "seal", "-o", str(seal_file)]) == 0
    _events(path, 2)  # later, legitimate events do not disturb the seal
    assert main(["--database", str(path), "audit", "verify", "--seal", str(seal_file)]) == 0
    assert "the seal in" in capsys.readouterr().out
    _behind_the_apps_back(path, "UPDATE audit_event SET user_name = 'Someone else' WHERE id = 2")
    _rechain(path)
    assert main(["--database", str(path), "audit", "verify"]) == 0  # the attack: every hash matches
    capsys.readouterr()
    assert main(["--database", str(path), "audit", "verify", "--seal", str(seal_file)]) == 1
    assert "rewritten" in capsys.readouterr().out


def test_an_event_slipped_in_before_the_seal_is_caught(tmp_path, capsys):
    path, seal_file = tmp_path / "m.sqlite", tmp_path / "sealed.json"
    _events(path, 3)
    assert main(["--database", str(path), "audit", "seal", "-o", str(seal_file)]) == 0
    # Move the sealed head to a new id and put a forged event in its place, then rechain.
    _behind_the_apps_back(
        path,
        "INSERT INTO audit_event (id, occurred_at, user_name, agency_name, action, object_type, details, prev_hash, "
        "hash) SELECT 10, occurred_at, user_name, agency_name, action, object_type, details, prev_hash, hash "
        "FROM audit_event WHERE id = 3",
        "UPDATE audit_event SET action = 'forged' WHERE id = 3",
    )
    _rechain(path)
    assert main(["--database", str(path), "audit", "verify", "--seal", str(seal_file)]) == 1


def test_a_pack_and_a_backup_carry_the_seal(tmp_path, capsys):
    path = tmp_path / "m.sqlite"
    db = open_database(path)
    with db.session() as s:
        ws = Workspace(s)
        meeting = ws.meeting()
        ws.case(meeting)
        head = current_seal(s)
        export_pack(s, actor=ws.coordinator, meeting_id=meeting.id, destination=tmp_path / "pack.pdf")
    db.close()
    from pypdf import PdfReader

    keywords = str(PdfReader(tmp_path / "pack.pdf").metadata["/Keywords"])
    assert Seal.find_in(keywords) == head and head.events > 0
    backup = tmp_path / "backup.sqlite"
    assert main(["--database", str(path), "--user", "Cora Ordinator", "backup", "-o", str(backup)]) == 0
    for seal in (tmp_path / "pack.pdf", backup):
        assert main(["--database", str(path), "audit", "verify", "--seal", str(seal)]) == 0
    _behind_the_apps_back(path, f"DELETE FROM audit_event WHERE id >= {head.last_id}")
    capsys.readouterr()
    for seal in (tmp_path / "pack.pdf", backup):
        assert main(["--database", str(path), "audit", "verify", "--seal", str(seal)]) == 1
        assert "no longer there" in capsys.readouterr().out


def test_something_that_is_not_a_seal_is_said_plainly(tmp_path, capsys):
    path = tmp_path / "m.sqlite"
    _events(path, 1)
    notes = tmp_path / "notes.txt"
    notes.write_text("Not a seal.\n")
    assert main(["--database", str(path), "audit", "verify", "--seal", str(notes)]) == 2
    assert "holds no audit seal" in capsys.readouterr().err


def test_an_encrypted_databases_chain_is_keyed(tmp_path, capsys):
    pytest.importorskip("sqlcipher3")
    path = tmp_path / "secret.sqlite"
    passphrase = "a long fictional database passphrase"
    db = open_database(path, passphrase=passphrase)
    with db.session() as s:
        for n in range(3):
            with unit_of_work(s):
                audit.record(s, actor=None, action="test.event", details={"n": n})
        events = list(s.exec(select(AuditEvent).order_by(AuditEvent.id)).all())
    assert all(e.hash.startswith("hmac:") for e in events)
    with db.read_session() as s:
        assert audit.verify_chain(s).ok
    # Rewritten and rechained with the public hash function: refused, as it lacks the key.
    conn = db.connect_file(path)
    conn.execute("DROP TRIGGER audit_event_no_update")
    prev = ""
    for event in events:
        if event.id == 2:
            event.user_name = "Someone else"
        event.prev_hash = prev
        event.hash = audit.event_hash(prev, event)
        conn.execute("UPDATE audit_event SET user_name = ?, prev_hash = ?, hash = ? WHERE id = ?",
                     (event.user_name, event.prev_hash, event.hash, event.id))
        prev = event.hash
    conn.commit()
    conn.close()
    with db.read_session() as s:
        check = audit.verify_chain(s)
    db.close()
    assert not check.ok and check.broken_id == 1 and "rewritten" in check.reason


@pytest.mark.parametrize("password", [None, "fictional minutes pass"])
def test_the_minutes_carry_the_seal(tmp_path, capsys, password):
    from marac_prep.pack.minutes import export_minutes

    path = tmp_path / "m.sqlite"
    db = open_database(path)
    with db.session() as s:
        ws = Workspace(s)
        meeting = ws.meeting()
        ws.case(meeting)
        head = current_seal(s)
        export_minutes(s, actor=ws.coordinator, meeting_id=meeting.id, destination=tmp_path / "minutes.pdf",
                       password=password)
    db.close()
    args = ["--database", str(path), "audit", "verify", "--seal", str(tmp_path / "minutes.pdf")]
    if password:
        (tmp_path / "pw").write_text(password)
        args += ["--password-file", str(tmp_path / "pw")]
    else:
        from pypdf import PdfReader

        assert Seal.find_in(str(PdfReader(tmp_path / "minutes.pdf").metadata["/Keywords"])) == head
    assert head.events > 0
    capsys.readouterr()
    assert main(args) == 0, capsys.readouterr()
    _behind_the_apps_back(path, f"DELETE FROM audit_event WHERE id >= {head.last_id}")
    capsys.readouterr()
    assert main(args) == 1
    assert "no longer there" in capsys.readouterr().out
