"""The idle lock asks for the same proof as signing in (issue 13): one click no longer unlocks a
profile that has a passphrase."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow

from marac_prep.core.db import open_database
from marac_prep.core.identity import current_os_account, unlock_check
from marac_prep.core.users import create_profile, find_user
from marac_prep.ui.idle_lock import IdleLock
from marac_prep.ui.profile_dialog import ProfileDialog

PASSPHRASE = "a long fictional passphrase"


@pytest.fixture
def database(tmp_path: Path):
    db = open_database(tmp_path / "m.sqlite")
    with db.session() as s:
        cora = create_profile(s, name="Cora Ordinator", role="coordinator", agency_id=None,
                              os_account=current_os_account())
        create_profile(s, actor=cora, name="Priya Viewer", role="viewer", agency_id=None, passphrase=PASSPHRASE)
    yield db
    db.close()


def test_the_idle_lock_wants_the_profiles_own_passphrase(qtbot, database):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    with database.read_session() as s:
        priya = find_user(s, "Priya Viewer")
    lock = IdleLock(window, timeout_ms=0, verify=unlock_check(database, priya))
    try:
        lock.lock()
        assert lock.unlock("") is False and lock.is_locked
        assert lock.unlock("a guess at the passphrase") is False and lock.is_locked
        assert lock.unlock(PASSPHRASE) is True and not lock.is_locked
    finally:
        lock.stop()


def test_a_profile_proved_by_its_account_alone_is_told_the_lock_cannot_ask(qtbot, database):
    with database.read_session() as s:
        cora = find_user(s, "Cora Ordinator")
    assert unlock_check(database, cora) is None  # the overlay says to lock the computer itself


def test_the_chooser_shows_profiles_and_a_passphrase_but_no_new_profile_form(qtbot, database):
    dialog = ProfileDialog(database)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.grab().save("/tmp/identity-profile-dialog.png")
    assert dialog.passphrase.isVisible() and not dialog.name.isVisible()
    assert dialog.profiles.count() == 2



def test_the_audit_windows_check_names_an_entry_edited_behind_the_apps_back(qtbot, tmp_path, monkeypatch):
    import sqlite3

    from marac_prep.ui.audit_view import AuditView
    from marac_prep.ui.messages import Messages
    from tests.factories import Workspace

    errors: list[str] = []
    monkeypatch.setattr(Messages, "error", classmethod(lambda cls, parent, title, text: errors.append(text)))
    db = open_database(tmp_path / "w.sqlite")
    try:
        with db.session() as s:
            ws = Workspace(s)
            entry = ws.entry(ws.case(ws.meeting()), "POL")
            coordinator = ws.coordinator
        conn = sqlite3.connect(db.location)  # the sqlite3 tool, behind the app's back
        conn.execute("UPDATE chronology_entry SET summary = 'Rewritten' WHERE id = ?", (entry.id,))
        conn.commit()
        conn.close()
        view = AuditView(db, coordinator)
        qtbot.addWidget(view)
        assert view.verify() is False
        assert errors and f"entry {entry.id} was changed outside the app" in errors[0]
    finally:
        db.close()
