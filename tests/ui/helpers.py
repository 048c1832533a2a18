"""Building the main window in tests and waiting for a case to load."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from marac_prep.core.db import Database
from marac_prep.core.models import User
from marac_prep.ui.main_window import MainWindow


def make_window(qtbot, db: Database, actor: User, settings: QSettings) -> MainWindow:
    window = MainWindow(db, actor, settings=settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    # The meeting's case list is read off the GUI thread and shown at once only when it is quick
    # (ui/case_list_loader.py); on a busy machine wait for it, as a user would.
    qtbot.waitUntil(lambda: not window.case_list.running, timeout=30_000)
    return window


def open_case(qtbot, window: MainWindow, case_id: int) -> None:
    with qtbot.waitSignal(window.case_view.loaded, timeout=20_000):
        window.open_case(case_id)
