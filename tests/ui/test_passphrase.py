"""Opening an encrypted database from the app: the passphrase is asked for, wrong ones again."""

from __future__ import annotations

import hashlib

from PySide6.QtWidgets import QLineEdit

from marac_prep.core.db import open_database
from marac_prep.ui.app import open_app_database
from marac_prep.ui.passphrase_dialog import PassphraseDialog


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _encrypted_file(tmp_path):
    path = tmp_path / "locked.sqlite"
    db = open_database(path, passphrase="it's a \"quoted\" secret")
    db.close()
    return path


def test_wrong_passphrase_is_explained_and_asked_again_then_opens(tmp_path, monkeypatch):
    path = _encrypted_file(tmp_path)
    before = _digest(path)
    answers = iter(["wrong one", "", "it's a \"quoted\" secret"])
    problems: list[str] = []

    def ask(cls, parent, location, problem=""):
        problems.append(problem)
        if len(problems) == 3:
            # Nothing was written by the refused attempts.
            assert _digest(path) == before
        return next(answers)

    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(ask))
    db = open_app_database(str(path))
    assert db is not None and db.encrypted
    db.close()
    assert problems[0] == ""
    assert "passphrase" in problems[1].casefold() and "unchanged" in problems[1]
    assert "empty" in problems[2]


def test_cancel_at_the_prompt_opens_nothing_and_changes_nothing(tmp_path, monkeypatch):
    path = _encrypted_file(tmp_path)
    before = _digest(path)
    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(lambda cls, parent, location, problem="": None))
    assert open_app_database(str(path)) is None
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked.sqlite"]


def test_a_plain_file_never_asks(tmp_path, monkeypatch):
    def ask(cls, parent, location, problem=""):
        raise AssertionError("asked for a passphrase for a plain database")

    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(ask))
    db = open_app_database(str(tmp_path / "plain.sqlite"))
    assert db is not None and not db.encrypted
    db.close()


def test_the_dialog_hides_what_is_typed_and_shows_the_problem_as_plain_text(qtbot):
    dialog = PassphraseDialog("/tmp/x.sqlite", "Wrong <b>passphrase</b>.")
    qtbot.addWidget(dialog)
    assert dialog.passphrase.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.problem.text() == "Wrong <b>passphrase</b>."
    assert not dialog.problem.isHidden()
