"""Starts the desktop application: stylesheet, who-am-I, then the main window."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from marac_prep.core.db import Database, default_database_path, is_encrypted_file, open_database
from marac_prep.core.errors import MaracError
from marac_prep.core.models import User
from marac_prep.core.users import ensure_profile, find_user
from marac_prep.logging_setup import configure_logging
from marac_prep.resources import resource_path
from marac_prep.ui.idle_lock import IdleLock
from marac_prep.ui.main_window import APPLICATION, ORGANISATION, MainWindow
from marac_prep.ui.messages import Messages
from marac_prep.ui.passphrase_dialog import open_encrypted
from marac_prep.ui.profile_dialog import ProfileDialog

log = logging.getLogger("marac_prep.ui")


def demo_database_path() -> Path:
    """A fresh demo workspace in a private temporary folder (never the user's real database)."""
    folder = Path(tempfile.mkdtemp(prefix="marac-prep-demo-"))
    return folder / "demo.sqlite"


def stylesheet() -> str:
    """The app's stylesheet from `resources/` (empty if it cannot be read: the app still works)."""
    try:
        return resource_path("stylesheet.qss").read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet.qss could not be read; using the platform style")
        return ""


def prepare_application() -> QApplication:
    """The QApplication with our names, icon and stylesheet (created if needed)."""
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationDisplayName(APPLICATION)
    icon = resource_path("icons") / "marac-prep.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyle("Fusion")
    app.setStyleSheet(stylesheet())
    return app


def choose_actor(database: Database, user_name: str | None) -> User | None:
    """The `--user` profile if it exists, else the profile the user picks or creates."""
    if user_name:
        with database.read_session() as session:
            user = find_user(session, user_name)
        if user is not None and user.active:
            return user
    return ProfileDialog.choose_profile(None, database, suggested_name=user_name or "")


def open_app_database(target: str | None) -> Database | None:
    """Opens the database, asking for the passphrase first when the file is encrypted.

    None when the user cancels the passphrase prompt; other refusals raise `MaracError`.
    """
    path = target if target is not None else str(default_database_path())
    if is_encrypted_file(path):
        return open_encrypted(path)
    return open_database(path)


def run_app(*, database_target: str | None, user_name: str | None, demo: bool) -> int:
    configure_logging()
    app = prepare_application()
    try:
        if demo:
            database_target = str(demo_database_path())
        opened = open_app_database(database_target)
        if opened is None:
            return 0  # the user cancelled at the passphrase prompt: nothing was opened
        db = opened
        if demo:
            from marac_prep.core.demo import build_demo

            with db.session() as session:
                build_demo(session, actor=ensure_profile(session, name="Demo coordinator"))
            user_name = user_name or "Demo coordinator"
    except MaracError as exc:
        Messages.error(None, "Marac Prep", str(exc))
        return 1
    actor = choose_actor(db, user_name)
    if actor is None:
        db.close()
        return 0
    window = MainWindow(db, actor)
    # Locks the screen after the idle time in settings; unsaved text stays where it was.
    window.idle_lock = IdleLock(window, verify=db.check_passphrase if db.encrypted else None)
    window.show()
    try:
        return int(app.exec())
    finally:
        db.close()
