"""Starts the desktop application: the main window first, then the database and who-am-I over it.

Only Qt and light modules are imported before the window is painted; the data stack comes in
with the database, on the first turn of the event loop (see `MainWindow` for the two steps).
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from marac_prep.logging_setup import configure_logging
from marac_prep.resources import resource_path
from marac_prep.ui.idle_lock import IdleLock, idle_minutes
from marac_prep.ui.main_window import APPLICATION, ORGANISATION, MainWindow
from marac_prep.ui.messages import report_error

if TYPE_CHECKING:
    from marac_prep.core.db import Database
    from marac_prep.core.models import User

log = logging.getLogger("marac_prep.ui")
# The longest the workspace waits for the window's first paint before it opens anyway.
FIRST_PAINT_WAIT_MS = 1000


def demo_database_path() -> Path:
    """A fresh demo workspace in a private temporary folder (never the user's real database)."""
    folder = Path(tempfile.mkdtemp(prefix="marac-prep-demo-"))
    return folder / "demo.sqlite"


def stylesheet() -> str:
    """The app's stylesheet from `resources/` (empty if it cannot be read: the app still works)."""
    try:
        text = resource_path("stylesheet.qss").read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet.qss could not be read; using the platform style")
        return ""
    # Images in a stylesheet are found by path; the icons folder moves with the installation.
    return text.replace("@ICONS@", resource_path("icons").as_posix())


def prepare_application() -> QApplication:
    """The QApplication with our names, icon and stylesheet (created if needed)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:  # the policy can only be set before the application exists
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    # No display name: Qt would append it to every window title ("Marac Prep – … — Marac Prep").
    icon = resource_path("icons") / "marac-prep.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyle("Fusion")
    app.setStyleSheet(stylesheet())
    return app


def choose_actor(database: Database, user_name: str | None, parent: MainWindow | None = None) -> User | None:
    """The profile this person proves: their `--user` (or the one bound to their account or
    database login) when that needs no passphrase, else the one they pick and prove in the chooser."""
    from marac_prep.core.errors import MaracError
    from marac_prep.core.identity import Proof, authenticate, is_postgres
    from marac_prep.ui.profile_dialog import ProfileDialog

    with database.session() as session:
        try:
            return authenticate(session, name=user_name, proof=Proof.of_this_process())
        except MaracError:
            if is_postgres(session) and not user_name:
                raise  # on a shared server the login decides: there is nothing to choose
    return ProfileDialog.choose_profile(parent, database, suggested_name=user_name or "")


def open_app_database(target: str | None, parent: MainWindow | None = None) -> Database | None:
    """Opens the database, asking for the passphrase first when the file is encrypted.

    None when the user cancels the passphrase prompt; other refusals raise `MaracError`.
    """
    from marac_prep.core.db import default_database_path, is_encrypted_file, open_database
    from marac_prep.ui.passphrase_dialog import open_encrypted

    path = target if target is not None else str(default_database_path())
    if is_encrypted_file(path):
        return open_encrypted(path, parent=parent)
    return open_database(path)


def open_workspace(window: MainWindow, *, database_target: str | None, user_name: str | None, demo: bool) -> int | None:
    """Opens the database and the profile over the shown window, then fills it.

    None when the workspace is open; otherwise the exit status, the window to be closed: 0 when
    the user cancelled the passphrase or profile prompt, 1 when the database was refused or
    anything else went wrong (said in one sentence first, never a traceback).
    """
    db: Database | None = None
    try:
        if demo:
            database_target = str(demo_database_path())
        db = open_app_database(database_target, window)
        if db is None:
            return 0  # the user cancelled at the passphrase prompt: nothing was opened
        if demo:
            from marac_prep.core.users import ensure_profile
            from marac_prep.demo import build_demo

            window.statusBar().showMessage("Making the fictional demo workspace…")
            QApplication.processEvents()  # the message shows while the demo is written
            with db.session() as session:
                build_demo(session, actor=ensure_profile(session, name="Demo coordinator"))
            user_name = user_name or "Demo coordinator"
        actor = choose_actor(db, user_name, window)
        if actor is None:
            db.close()
            return 0
        window.attach(db, actor)
    except Exception as exc:  # A slot of the event loop: nothing above it would catch this.
        report_error(window, exc, doing="open the workspace")
        if db is not None:
            db.close()
        return 1
    # Locks the screen after the idle time in settings; unsaved text stays where it was; the
    # same proof as signing in unlocks it.
    from marac_prep.core.identity import unlock_check
    from marac_prep.core.settings import current

    with db.read_session() as session:
        minutes = idle_minutes(current(session))
    window.idle_lock = IdleLock(window, timeout_ms=int(minutes * 60_000), verify=unlock_check(db, window.actor))
    return None


def show_first_screen(window: MainWindow, *, database_target: str | None, user_name: str | None) -> bool:
    """Reads and paints the first screen without the ORM (decision 0100); False when the lean read
    is not sure (the normal path then opens the workspace as before, with its messages)."""
    from marac_prep.core.first_screen import read_first_screen
    from marac_prep.core.host import current_os_account

    screen = read_first_screen(database_target, user_name=user_name, os_account=current_os_account())
    if screen is None:
        return False
    try:
        window.show_first_screen(screen)
    except Exception:  # A slot of the event loop: the normal path shows the workspace anyway.
        log.exception("the first screen could not be shown; opening the workspace as usual")
        return False
    return True


def start_app(
    *, database_target: str | None, user_name: str | None, demo: bool, settings: QSettings | None = None
) -> MainWindow:
    """Shows the main window at once and opens the workspace on the event loop's first turn.

    If the workspace cannot be opened the window closes (which ends the app's event loop) and
    `window.exit_status` keeps the status `open_workspace` gave.
    """
    prepare_application()
    window = MainWindow(settings=settings)
    opened: list[bool] = []

    def open_now() -> None:
        if opened:
            return
        opened.append(True)
        if not demo and show_first_screen(window, database_target=database_target, user_name=user_name):
            # Painted; the data stack loads on the next turn (input and the paint are not held up).
            QTimer.singleShot(0, open_rest)
        else:
            open_rest()

    def open_rest() -> None:
        status = open_workspace(window, database_target=database_target, user_name=user_name, demo=demo)
        if status is not None:
            # Not QApplication.exit(): outside `exec()` that would stop every later event loop.
            window.exit_status = status
            window.close()

    # After the window's first paint, so the user sees it while the database opens; the timer
    # covers a window that is not painted at once (started minimised, say).
    window.first_painted.connect(open_now)
    QTimer.singleShot(FIRST_PAINT_WAIT_MS, open_now)
    window.show()
    return window


def run_app(*, database_target: str | None, user_name: str | None, demo: bool) -> int:
    configure_logging()
    app = prepare_application()
    window = start_app(database_target=database_target, user_name=user_name, demo=demo)
    try:
        code = int(app.exec())
        return window.exit_status if window.exit_status is not None else code
    finally:
        if window.attached:
            window.database.close()
