"""The idle lock hides case data after a quiet spell, blocks input while locked, keeps unsaved text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLineEdit, QMainWindow, QPushButton, QTextEdit, QVBoxLayout, QWidget

from marac_prep.ui.idle_lock import IdleLock, LockOverlay, idle_minutes

UNSAVED = "Victim disclosed that the perpetrator has a key — not saved yet"


class _Window(QMainWindow):
    """A stand-in main window with an editor holding unsaved text and a Save shortcut."""

    def __init__(self) -> None:
        super().__init__()
        self.saves = 0
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.editor = QTextEdit(body)
        self.editor.setPlainText(UNSAVED)
        self.save_button = QPushButton("Save", body)
        self.save_button.clicked.connect(self._save)
        layout.addWidget(self.editor)
        layout.addWidget(self.save_button)
        self.setCentralWidget(body)
        save = QAction("Save", self)
        save.setShortcut(QKeySequence("Ctrl+S"))
        save.triggered.connect(self._save)
        self.addAction(save)
        self.resize(640, 420)

    def _save(self) -> None:
        self.saves += 1


@pytest.fixture
def window(qtbot) -> _Window:
    w = _Window()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.editor.setFocus()
    return w


@pytest.fixture
def make_lock():
    """Builds idle locks and switches each off after the test, so none watches the next test's windows."""
    made: list[IdleLock] = []

    def _make(window: QWidget, **kwargs: object) -> IdleLock:
        lock = IdleLock(window, **kwargs)  # type: ignore[arg-type]
        made.append(lock)
        return lock

    yield _make
    for lock in made:
        lock.stop()


def _overlays(widget: QWidget) -> list[LockOverlay]:
    return [c for c in widget.findChildren(LockOverlay) if c.isVisible()]


def test_default_is_the_setting():
    assert idle_minutes() == 10


def test_locks_after_the_quiet_spell_and_hides_everything(qtbot, window, tmp_path, make_lock):
    lock = make_lock(window, timeout_ms=150)
    with qtbot.waitSignal(lock.locked, timeout=5000):
        pass
    assert lock.is_locked
    (overlay,) = _overlays(window)
    assert overlay.geometry() == window.rect()
    # The cover is on top where the editor is: what a person would see there is the cover.
    centre = window.editor.mapTo(window, window.editor.rect().center())
    assert window.childAt(centre) in (overlay, *overlay.findChildren(QWidget))
    window.grab().save(str(tmp_path / "locked.png"))
    window.resize(900, 600)
    qtbot.waitUntil(lambda: overlay.geometry() == window.rect())


def test_nothing_gets_through_while_locked_and_unsaved_text_survives(qtbot, window, make_lock):
    lock = make_lock(window, timeout_ms=0, verify=lambda text: text == "it's \"right\"")
    lock.lock()
    qtbot.keyClicks(window.editor, "typed blind")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)
    assert window.saves == 0
    assert window.editor.toPlainText() == UNSAVED

    (overlay,) = _overlays(window)
    assert isinstance(overlay.passphrase, QLineEdit)
    qtbot.keyClicks(overlay.passphrase, "wrong")
    qtbot.keyClick(overlay.passphrase, Qt.Key.Key_Return)
    assert lock.is_locked and "not the passphrase" in overlay.message.text()
    assert overlay.passphrase.text() == ""

    with qtbot.waitSignal(lock.unlocked, timeout=2000):
        qtbot.keyClicks(overlay.passphrase, "it's \"right\"")
        qtbot.mouseClick(overlay.unlock_button, Qt.MouseButton.LeftButton)
    assert not lock.is_locked and not _overlays(window)
    assert window.editor.toPlainText() == UNSAVED
    qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)
    assert window.saves == 1


def test_activity_keeps_it_open(qtbot, window, make_lock):
    lock = make_lock(window, timeout_ms=600)
    for _ in range(6):
        qtbot.keyClick(window.editor, Qt.Key.Key_Right)
        qtbot.wait(200)
    assert not lock.is_locked  # 1.2 s passed, but never 0.6 s without input
    with qtbot.waitSignal(lock.locked, timeout=5000):
        pass


def test_other_windows_are_covered_too(qtbot, window, make_lock):
    dialog = QDialog(window)
    editor = QLineEdit(dialog)
    editor.setText("a half-typed entry")
    dialog.show()
    qtbot.waitExposed(dialog)
    lock = make_lock(window, timeout_ms=0)
    lock.lock()
    assert len(_overlays(dialog)) == 1 and _overlays(dialog)[0].unlock_button is None
    late = QDialog(window)
    late.show()  # e.g. a message that popped up while nobody was there
    qtbot.waitUntil(lambda: len(_overlays(late)) == 1)
    assert lock.unlock()
    assert editor.text() == "a half-typed entry" and not _overlays(dialog) and not _overlays(late)
