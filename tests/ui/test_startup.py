"""Starting the app: the window first, then the database and profile over it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from marac_prep.ui.app import open_workspace, start_app
from marac_prep.ui.main_window import MainWindow
from tests.factories import demo_file


@pytest.fixture
def workspace_file(tmp_path):
    return demo_file(tmp_path / "workspace.sqlite", cases=2, entries_per_case=3)


def test_the_window_module_loads_without_the_data_stack():
    # What lets the window paint before SQLAlchemy is imported (the startup benchmark).
    code = "import sys, marac_prep.ui.app; sys.exit(int('sqlalchemy' in sys.modules or 'sqlmodel' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_window_is_built_and_shown_without_the_data_stack(tmp_path):
    # The window itself (menus, the background-work bookkeeping, the views) is built and shown
    # before SQLAlchemy is imported: the workspace is opened on the next turn of the event loop.
    code = (
        "import sys\n"
        "from PySide6.QtCore import QSettings\n"
        "from marac_prep.ui.app import start_app\n"
        f"settings = QSettings({str(tmp_path / 'qt.ini')!r}, QSettings.Format.IniFormat)\n"
        f"window = start_app(database_target={str(tmp_path / 'none.sqlite')!r}, user_name='Cora Ordinator',"
        " demo=False, settings=settings)\n"
        "loaded = sorted(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules)\n"
        "print(window.isVisible(), loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert done.stdout.strip().splitlines()[-1:] == ["True []"], done.stderr[-2000:]


def test_the_window_shows_at_once_and_the_workspace_fills_it_on_the_next_turn(qtbot, workspace_file,
                                                                               temporary_settings):
    window = start_app(database_target=str(workspace_file), user_name="Cora Ordinator", demo=False,
                       settings=temporary_settings)
    qtbot.addWidget(window)
    assert window.isVisible() and not window.attached
    assert window.centralWidget() is window.opening and window.opening.text() == "Opening the workspace…"
    assert not window.export_action.isEnabled() and window.quit_action.isEnabled()
    # The menus stay open-able, so File > Quit and Help > About work while the workspace opens.
    assert window.file_menu.menuAction().isEnabled() and window.help_menu.menuAction().isEnabled()
    with qtbot.waitSignal(window.workspace_opened, timeout=20_000):
        pass
    assert window.attached and window.centralWidget() is window.splitter
    assert window.meetings_model.rowCount() >= 1 and window.meeting_view.table.model().rowCount() == 2
    assert str(workspace_file) in window.windowTitle() and window.export_action.isEnabled()
    assert "Cora Ordinator" in window.who.text()
    window.close()
    window.database.close()


def test_a_refused_database_is_one_sentence_the_file_is_untouched_and_the_status_is_1(qtbot, tmp_path, messages,
                                                                                     temporary_settings):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("Not a database: a coordinator's notes.\n")
    window = MainWindow(settings=temporary_settings)
    qtbot.addWidget(window)
    window.show()
    assert open_workspace(window, database_target=str(notes), user_name=None, demo=False) == 1
    assert len(messages.errors) == 1 and "Traceback" not in messages.errors[0][1]
    assert notes.read_text() == "Not a database: a coordinator's notes.\n"
    assert not window.attached


def test_the_window_closes_when_the_user_cancels_the_profile_choice(qtbot, workspace_file, temporary_settings,
                                                                     monkeypatch):
    from marac_prep.core.db import open_database
    from marac_prep.core.identity import current_os_account
    from marac_prep.core.users import create_profile, find_user
    from marac_prep.ui.profile_dialog import ProfileDialog

    # Two profiles belong to this account, so the app must ask which one.
    db = open_database(workspace_file)
    with db.session() as s:
        create_profile(s, actor=find_user(s, "Cora Ordinator"), name="Cora's viewer", role="viewer",
                       agency_id=None, os_account=current_os_account())
    db.close()
    monkeypatch.setattr(ProfileDialog, "choose_profile", classmethod(lambda cls, *a, **k: None))
    window = start_app(database_target=str(workspace_file), user_name=None, demo=False, settings=temporary_settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert not window.attached and window.exit_status == 0


def test_an_unexpected_failure_while_opening_is_one_sentence_and_closes_the_window_with_status_1(
    qtbot, workspace_file, temporary_settings, messages, monkeypatch
):
    import marac_prep.ui.app as app_module

    def broken(target, parent=None):
        raise ValueError("invalid literal for int() with base 10: 'notaport'")

    monkeypatch.setattr(app_module, "open_app_database", broken)
    window = start_app(database_target="postgresql://u@127.0.0.1:notaport/db", user_name=None, demo=False,
                       settings=temporary_settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert window.exit_status == 1 and not window.attached
    assert messages.errors == [("Marac Prep", "Something went wrong while trying to open the workspace; nothing was "
                                "saved. The details are in the log file.")]


def test_a_failure_after_the_database_opened_closes_the_database_too(qtbot, workspace_file, temporary_settings,
                                                                      messages, monkeypatch):
    from marac_prep.core.db import Database

    closed: list[bool] = []
    real_close = Database.close

    def spy_close(self):
        closed.append(True)
        real_close(self)

    def broken_attach(self, database, actor):
        raise RuntimeError("the meeting list could not be read")

    monkeypatch.setattr(Database, "close", spy_close)
    monkeypatch.setattr(MainWindow, "attach", broken_attach)
    window = MainWindow(settings=temporary_settings)
    qtbot.addWidget(window)
    assert open_workspace(window, database_target=str(workspace_file), user_name="Cora Ordinator", demo=False) == 1
    assert closed and len(messages.errors) == 1

