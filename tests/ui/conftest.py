"""Fixtures for the desktop app's tests: remembered settings in a temporary folder, message stubs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QSettings

from marac_prep.core.db import Database
from marac_prep.ui.messages import Messages
from tests.factories import Workspace


@pytest.fixture(autouse=True)
def temporary_settings(tmp_path) -> Iterator[QSettings]:
    """Window geometry and column widths go to a temporary file, never the tester's own."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield settings


@pytest.fixture(autouse=True)
def empty_clipboard_after_test(qapp) -> Iterator[None]:
    """Rows copied by a test are cleared from the clipboard before the next one: the offscreen
    platform's clipboard still owning a QMimeData when the interpreter exits crashes it on the way
    out (exit status 139 after every test passed)."""
    yield
    qapp.clipboard().clear()


@pytest.fixture(autouse=True)
def no_pause_after_failed_backup(monkeypatch) -> None:
    """A failed backup on close is shown for a moment in the app; tests need not wait for it."""
    from marac_prep.ui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "BACKUP_FAILURE_PAUSE_MS", 0)


@dataclass
class MessageLog:
    """What the app would have shown; `answer` is what the stubbed user clicks in questions."""

    errors: list[tuple[str, str]] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)
    infos: list[tuple[str, str]] = field(default_factory=list)
    answer: bool = True
    choice: int | None = 0  # the option index picked in `Messages.choose` (None: cancel)


@pytest.fixture(autouse=True)
def messages(monkeypatch) -> MessageLog:
    log = MessageLog()

    def error(cls, parent, title, text):
        log.errors.append((title, text))

    def ask(cls, parent, title, text, *, yes, no):
        log.questions.append((title, text))
        return log.answer

    def info(cls, parent, title, text):
        log.infos.append((title, text))

    def choose(cls, parent, title, text, *, options):
        log.questions.append((title, text))
        return log.choice

    monkeypatch.setattr(Messages, "error", classmethod(error))
    monkeypatch.setattr(Messages, "ask", classmethod(ask))
    monkeypatch.setattr(Messages, "info", classmethod(info))
    monkeypatch.setattr(Messages, "choose", classmethod(choose))
    return log


@pytest.fixture
def workspace(ws: Workspace, db: Database) -> tuple[Workspace, Database]:
    """A populated workspace and its database; the factory session ends its transaction first."""
    ws.session.commit()
    return ws, db
