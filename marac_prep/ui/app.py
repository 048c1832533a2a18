"""Starts the desktop application."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from marac_prep.core.db import open_database
from marac_prep.core.demo import build_demo
from marac_prep.core.errors import MaracError
from marac_prep.core.users import ensure_profile


def demo_database_path() -> Path:
    """A fresh demo workspace in a private temporary folder (never the user's real database)."""
    folder = Path(tempfile.mkdtemp(prefix="marac-prep-demo-"))
    return folder / "demo.sqlite"


def run_app(*, database_target: str | None, user_name: str | None, demo: bool) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Marac Prep")
    try:
        if demo:
            database_target = str(demo_database_path())
        db = open_database(database_target)
        if demo:
            with db.session() as session:
                build_demo(session, actor=ensure_profile(session, name="Demo coordinator"))
    except MaracError as exc:
        QMessageBox.critical(None, "Marac Prep", str(exc))
        return 1
    window = QMainWindow()
    window.setWindowTitle(f"Marac Prep – {db.location}")
    label = QLabel("Marac Prep")
    label.setTextFormat(label.textFormat().PlainText)
    window.setCentralWidget(label)
    window.resize(1200, 800)
    window.show()
    return int(app.exec())
