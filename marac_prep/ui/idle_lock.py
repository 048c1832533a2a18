"""The idle lock: after a quiet spell every window's case data is covered until the user unlocks."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marac_prep.core.settings import Settings, packaged

# What counts as the user being there; anything else (timers, repaints) does not keep the app open.
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
        QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
    }
)
# Input that must not reach the covered windows while locked (typing blind, shortcuts that save).
_BLOCKED = frozenset(
    {
        QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.Shortcut, QEvent.Type.ShortcutOverride,
        QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel, QEvent.Type.ContextMenu, QEvent.Type.DragEnter, QEvent.Type.Drop,
        QEvent.Type.TouchBegin, QEvent.Type.InputMethod,
    }
)


def idle_minutes(settings: Settings | None = None) -> float:
    """The `idle_lock_minutes` setting in force (local practice; the packaged default is 10)."""
    return float((settings or packaged()).idle_lock_minutes)


class LockOverlay(QFrame):
    """An opaque cover over one window; the main window's cover carries the unlock prompt.

    Signals:
        unlock_requested(str): the user asked to unlock, with what they typed (may be "").
    """

    unlock_requested = Signal(str)

    def __init__(self, window: QWidget, *, prompt: bool, needs_passphrase: bool) -> None:
        super().__init__(window)
        self.setObjectName("idleLockOverlay")
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Window)
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Marac Prep is locked", self)
        title.setTextFormat(Qt.TextFormat.PlainText)
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setObjectName("idleLockMessage")
        self.message.setWordWrap(True)
        self.message.setMaximumWidth(520)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.message, 0, Qt.AlignmentFlag.AlignHCenter)
        self.passphrase: QLineEdit | None = None
        self.unlock_button: QPushButton | None = None
        if prompt:
            self.message.setText(
                "Case information is hidden because the app was left unused. "
                + ("Enter your passphrase to go on." if needs_passphrase else
                   "Unlock to go on. Your profile has no passphrase, so anyone at this computer "
                   "could: lock the computer itself when you leave it.")
            )
            if needs_passphrase:
                self.passphrase = QLineEdit(self)
                self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
                self.passphrase.setPlaceholderText("Passphrase")
                self.passphrase.setMaximumWidth(320)
                self.passphrase.returnPressed.connect(self._on_unlock)
                layout.addWidget(self.passphrase, 0, Qt.AlignmentFlag.AlignHCenter)
            self.unlock_button = QPushButton("Unlock", self)
            self.unlock_button.clicked.connect(self._on_unlock)
            layout.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignHCenter)
        else:
            self.message.setText("Unlock Marac Prep in its main window.")
        window.installEventFilter(self)
        self.setGeometry(window.rect())
        self.raise_()
        self.show()
        focus = self.passphrase or self.unlock_button
        if focus is not None:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_unlock(self) -> None:
        self.unlock_requested.emit(self.passphrase.text() if self.passphrase else "")

    def refuse(self, text: str) -> None:
        self.message.setText(text)
        if self.passphrase is not None:
            self.passphrase.clear()
            self.passphrase.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Override QObject.eventFilter.
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
        return False


class IdleLock(QObject):
    """Watches the user's input app-wide and locks after `timeout_ms` without any.

    While locked, every visible window is covered (nothing of a case shows), input and shortcuts
    to the covered windows are swallowed (so nothing can be typed or saved blind), and the widgets
    underneath are left exactly as they were: unsaved editor text is still there after unlocking.

    Attributes:
        main_window: the window whose cover carries the unlock prompt.
        verify: checks a typed passphrase: the acting profile's own, else the encrypted
            database's (`identity.unlock_check`); None means the prompt is a plain "Unlock"
            button (a profile proved only by the computer's account).

    Signals:
        locked(): the app has just locked; nothing should be written until `unlocked`.
        unlocked(): the user unlocked.
    """

    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        main_window: QWidget,
        *,
        timeout_ms: int | None = None,
        verify: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(main_window)
        self.main_window = main_window
        self.verify = verify
        self._overlays: list[LockOverlay] = []
        self._focus: QWidget | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms if timeout_ms is not None else int(idle_minutes() * 60_000))
        self._timer.timeout.connect(self.lock)
        app = QApplication.instance()
        assert app is not None, "a QApplication must exist before the idle lock"
        app.installEventFilter(self)
        if self._timer.interval() > 0:
            self._timer.start()

    def stop(self) -> None:
        """Switches the lock off for good (the window is closing): uncovers and stops watching."""
        self._timer.stop()
        overlays, self._overlays = self._overlays, []
        for overlay in overlays:
            overlay.hide()
            overlay.deleteLater()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    @property
    def is_locked(self) -> bool:
        return bool(self._overlays)

    def set_timeout_ms(self, timeout_ms: int) -> None:
        """Changes the quiet spell (0 switches the lock off)."""
        self._timer.setInterval(timeout_ms)
        if timeout_ms > 0 and not self.is_locked:
            self._timer.start()
        else:
            self._timer.stop()

    def lock(self) -> None:
        """Covers every visible window now."""
        if self.is_locked:
            return
        self._timer.stop()
        self._focus = QApplication.focusWidget()
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()
                   and w.windowType() not in (Qt.WindowType.ToolTip, Qt.WindowType.Popup)]
        if self.main_window not in windows:
            windows.insert(0, self.main_window)
        for window in windows:
            self._cover(window)
        self.locked.emit()

    def _cover(self, window: QWidget) -> None:
        prompt = window is self.main_window
        overlay = LockOverlay(window, prompt=prompt, needs_passphrase=self.verify is not None)
        if prompt:
            overlay.unlock_requested.connect(self.unlock)
        self._overlays.append(overlay)

    def unlock(self, passphrase: str = "") -> bool:
        """Uncovers the windows if the passphrase is right (or none is needed)."""
        if not self.is_locked:
            return True
        if self.verify is not None and not self.verify(passphrase):
            for overlay in self._overlays:
                if overlay.parent() is self.main_window:
                    overlay.refuse("That is not the passphrase; try again.")
            return False
        overlays, self._overlays = self._overlays, []
        for overlay in overlays:
            overlay.hide()
            overlay.deleteLater()
        if self._focus is not None:
            self._focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self._focus = None
        if self._timer.interval() > 0:
            self._timer.start()
        self.unlocked.emit()
        return True

    def _inside_overlay(self, obj: QObject) -> bool:
        node: QObject | None = obj
        while node is not None:
            if isinstance(node, LockOverlay):
                return True
            node = node.parent()
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Override QObject.eventFilter.
        kind = event.type()
        if not self.is_locked:
            if kind in _ACTIVITY and self._timer.interval() > 0:
                self._timer.start()  # restart the quiet spell
            return False
        if kind == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow() \
                and not isinstance(watched, LockOverlay) and watched.windowType() not in (
                    Qt.WindowType.ToolTip, Qt.WindowType.Popup):
            if not any(o.parent() is watched for o in self._overlays):
                self._cover(watched)  # a window that opens while locked is covered too
            return False
        # Only widgets are judged: Qt hands input to the window handle (a QWindow) first, and that
        # must pass so it can reach the overlay's own field and button.
        # A shortcut is delivered to its QAction or QShortcut, not a widget: refused outright.
        if kind == QEvent.Type.Shortcut:
            return not self._inside_overlay(watched)
        return isinstance(watched, QWidget) and kind in _BLOCKED and not self._inside_overlay(watched)
