"""The first screen, read without the ORM (decision 0100), shows what the normal read shows, to the
same people, or it is not shown at all."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from marac_prep.core import first_screen
from marac_prep.core.db import open_database
from marac_prep.core.identity import current_os_account
from marac_prep.core.returns import set_return
from marac_prep.core.settings import set_setting
from marac_prep.core.users import create_profile
from marac_prep.ui.app import start_app
from marac_prep.ui.meeting_view import ID_ROLE, REPEAT_PENDING, load_case_lines
from tests.factories import Workspace, demo_file

HOSTILE = '<b>Eve</b> <img src="x"> =HYPERLINK("http://x")'
ROLES = {  # profile name: (role, agency)
    "Cora Ordinator": ("coordinator", None),
    "Ivy Advocate": ("idva", "IDVA"),
    "Paul Constable": ("agency_rep", "POL"),
    "Vera Viewer": ("viewer", None),
}
REPEAT_COLUMN = 4
ITEM_ROLES = [*range(0, 14), *range(Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 5)]


def _build(path: Path) -> Path:
    """A workspace with every case-list and matrix rule in play: agenda order, children, a
    withdrawn entry, chased and "nothing known" returns, local risk bands, a repeat, hostile text."""
    db = open_database(str(path))
    with db.session() as session:
        ws = Workspace(session)
        for name, (role, agency) in ROLES.items():
            if name != "Cora Ordinator":
                ws.user(role, agency, name=name)
        earlier = ws.meeting(days_ahead=-200)
        ws.case(earlier, referral_days_ago=210)  # the same victim and perpetrator: a repeat below
        meeting = ws.meeting(days_ahead=5)
        repeat = ws.case(meeting, dash_score=12)
        hostile = ws.case(meeting, victim=HOSTILE, reference="MAR-<i>7</i>", children=2, dash_score=None,
                          referral_days_ago=20,
                          victim_dob=date(1979, 1, 1), perpetrator="Rhodri EVANS", perpetrator_dob=None)
        third = ws.case(meeting, victim="Nia THOMAS", victim_dob=date(1995, 6, 6), perpetrator="Owain LLOYD",
                        dash_score=18, referral_days_ago=5)
        # The running order first (not referral order, not creation order), then an unplaced case.
        from marac_prep.core.attendance import set_running_order

        set_running_order(session, actor=ws.coordinator, meeting_id=meeting.id,
                          case_ids=[third.id, repeat.id, hostile.id])
        ws.case(meeting, victim="Megan JONES", victim_dob=date(1988, 2, 2), perpetrator="Dylan HUGHES",
                referral_days_ago=30)
        ws.case(meeting, victim="Carys PRICE", victim_dob=date(1991, 3, 3), perpetrator="Aled ROBERTS",
                referral_days_ago=40)
        ws.entry(repeat, "POL")
        ws.entry(hostile, "HSG", summary="Tenancy visit.")
        wrong = ws.entry(hostile, "MH", summary="Entered on the wrong case.")
        from marac_prep.core.chronology import withdraw_entry

        withdraw_entry(session, actor=ws.coordinator, entry_id=wrong.id, expected_version=wrong.version,
                       reason="Wrong case")
        # Its return goes back to "requested": silent, as the withdrawn entry no longer answers for it.
        set_return(session, actor=ws.coordinator, case_id=hostile.id, agency_id=ws.agency["MH"].id,
                   status="requested", on=date.today())
        set_return(session, actor=ws.coordinator, case_id=repeat.id, agency_id=ws.agency["PROB"].id,
                   status="nothing_known", on=date.today())
        set_return(session, actor=ws.coordinator, case_id=third.id, agency_id=ws.agency["HLTH"].id,
                   status="requested", on=date.today() - timedelta(days=9))
        for _ in range(2):
            set_return(session, actor=ws.coordinator, case_id=third.id, agency_id=ws.agency["HLTH"].id,
                       status="chased", on=date.today() - timedelta(days=1))
        set_return(session, actor=ws.coordinator, case_id=third.id, agency_id=ws.agency["SMS"].id,
                   status="requested", on=date.today() - timedelta(days=3))
        # Actions: two overdue, one due later, one without a date.
        from marac_prep.core.actions import add_action

        for case, due in ((repeat, -3), (third, -1), (third, 10), (hostile, None)):
            add_action(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                       text="Check on the victim's safety plan.",
                       due_date=None if due is None else date.today() + timedelta(days=due))
        set_setting(session, actor=ws.coordinator, name="risk_bands",
                    value={"standard": [0, 7], "medium": [8, 11], "high": [12, 24]})
        ws.meeting(days_ahead=40)
        session.commit()
    db.close()
    return path


@pytest.fixture
def workspace_file(tmp_path) -> Path:
    return _build(tmp_path / "workspace.sqlite")


def _model(model: Any, *, skip_column: int | None = None) -> list[Any]:
    cells: list[Any] = []
    from PySide6.QtCore import QAbstractListModel

    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount()
    for row in range(model.rowCount()):
        for column in range(max(columns, 1)):
            index = model.index(row, column)
            cells += [(row, column, role, index.data(role)) for role in ITEM_ROLES if column != skip_column]
    for column in range(columns):
        for role in ITEM_ROLES:
            cells.append(("header", column, role, model.headerData(column, Qt.Orientation.Horizontal, role)))
    for row in range(model.rowCount()):
        cells.append(("row header", row, model.headerData(row, Qt.Orientation.Vertical, 0)))
    return cells


def _screen(window: Any) -> dict[str, Any]:
    """What the meeting page shows: the meetings, the heading, the case list, the gap matrix."""
    view = window.meeting_view
    return {
        "meetings": _model(window.meetings_model),
        "chosen meeting": window.meetings.currentIndex().row(),
        "title": view.title.text(),
        "cases": _model(view.model, skip_column=REPEAT_COLUMN),
        "chosen case": view.current_case_id(),
        "repeat": [view.model.index(r, REPEAT_COLUMN).data() for r in range(view.model.rowCount())],
        "subtitle": view.subtitle.text(),
        "matrix": _model(window.gap_matrix.model),
        "page": window.stack.currentWidget() is view,
        "overdue": (view.overdue_button.isVisibleTo(view), view.overdue_button.text()),
    }


def _on_screen(window: Any) -> bool:
    """The first screen's widgets are shown and laid out when it says it is painted (not only
    filled): the list and the matrix are visible with room for their rows."""
    widgets = (window.meetings, window.meeting_view.table, window.gap_matrix.table)
    return all(w.isVisible() and w.width() > 100 and w.height() > 50 for w in widgets)


def _settled(window: Any) -> bool:
    matrix = getattr(window, "_matrix_op", None)
    return window.attached and not window.case_list.running and not (matrix is not None and matrix.running)


@pytest.mark.parametrize("name", list(ROLES))
def test_the_first_screen_equals_the_normal_one_for_each_role(qtbot, workspace_file, temporary_settings, name):
    lean: list[dict[str, Any]] = []
    window = start_app(database_target=str(workspace_file), user_name=name, demo=False, settings=temporary_settings)
    qtbot.addWidget(window)
    window.first_screen_shown.connect(lambda: lean.append({**_screen(window), "attached": window.attached,
                                                           "on screen": _on_screen(window)}))
    qtbot.waitUntil(lambda: bool(lean), timeout=20_000)
    qtbot.waitUntil(lambda: _settled(window), timeout=20_000)
    qtbot.wait(50)
    normal = _screen(window)
    first = lean[0]
    assert not first.pop("attached") and first.pop("on screen")
    assert normal["cases"] and normal["matrix"] and normal["overdue"] == (True, "⚠ 2 overdue actions")
    references = [c[3] for c in normal["cases"] if c[0] != "header" and c[1] == 0 and c[2] == Qt.ItemDataRole.DisplayRole]
    # The running order, then the cases not yet placed in it by referral date (referred first, shown last).
    assert references == ["MAR-T-0007", "MAR-T-0005", "MAR-<i>7</i>", "MAR-T-0009", "MAR-T-0008"]
    # Everything but the repeat findings, which need the person matcher, is the same.
    assert {k: v for k, v in first.items() if k not in ("repeat", "subtitle")} == {
        k: v for k, v in normal.items() if k not in ("repeat", "subtitle")
    }
    assert first["repeat"] == [REPEAT_PENDING] * 5
    assert sorted(normal["repeat"]) == ["", "", "", "", "↻ Possible repeat"]  # the normal read replaced "Checking…"
    assert "repeats being checked" in first["subtitle"] and "1 repeat" in normal["subtitle"]
    assert first["subtitle"].replace("repeats being checked", "1 repeat") == normal["subtitle"]
    # Hostile text is shown as it was typed (the view shows plain text; nothing was interpreted).
    cells = [c[3] for c in first["cases"] if c[2] == Qt.ItemDataRole.DisplayRole]
    assert HOSTILE in cells and "MAR-<i>7</i>" in cells
    assert window.attached and name in window.who.text()
    window.close()
    window.database.close()


def test_the_lean_rows_equal_the_normal_rows_on_a_demo_workspace(tmp_path):
    from marac_prep.ui.gap_matrix import load_matrix_rows
    from marac_prep.ui.meeting_view import load_meeting_lines

    path = demo_file(tmp_path / "demo.sqlite", cases=30, entries_per_case=4)
    screen = first_screen.read_first_screen(str(path), user_name="Cora Ordinator", os_account=current_os_account())
    assert screen is not None and screen.cases
    db = open_database(str(path))
    try:
        with db.read_session() as session:
            meetings = load_meeting_lines(session)
            cases = load_case_lines(session, meetings[0].meeting_id)
            matrix = load_matrix_rows(session, meetings[0].meeting_id)
    finally:
        db.close()
    assert [vars(m) for m in screen.meetings] == [vars(m) for m in meetings]
    fields = ("case_id", "reference", "victim", "referring_agency", "dash_score", "repeat", "answered", "expected",
              "status", "risk_level")
    assert [[getattr(c, f) for f in fields] for c in screen.cases] == [[getattr(c, f) for f in fields] for c in cases]

    def flat(rows: Any) -> list[Any]:
        return [(r.case_id, r.reference, r.agencies_with_entries,
                 [(x.agency.id, x.agency.name, x.agency.short_code, x.expected, x.status, x.answered,
                   None if x.record is None else (x.record.requested_on, x.record.chased_on, x.record.chase_count,
                                                  x.record.returned_on))
                  for x in r.returns]) for r in rows]

    assert flat(screen.matrix) == flat(matrix)


def test_sqlalchemy_is_not_imported_before_the_grid_is_filled(tmp_path, workspace_file):
    code = (
        "import sys\n"
        "from PySide6.QtCore import QSettings, QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from marac_prep.ui.app import start_app\n"
        f"settings = QSettings({str(tmp_path / 'qt.ini')!r}, QSettings.Format.IniFormat)\n"
        f"window = start_app(database_target={str(workspace_file)!r}, user_name='Vera Viewer', demo=False,"
        " settings=settings)\n"
        "seen = []\n"
        "def shown():\n"
        "    seen.append((window.meeting_view.table.model().rowCount(), window.gap_matrix.model.rowCount(),\n"
        "                 window.gap_matrix.table.isVisible() and window.gap_matrix.table.height() > 50,\n"
        "                 sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic') if m in sys.modules)))\n"
        "window.first_screen_shown.connect(shown)\n"
        "window.workspace_opened.connect(lambda: QTimer.singleShot(0, QApplication.instance().quit))\n"
        "QTimer.singleShot(60_000, QApplication.instance().quit)\n"
        "QApplication.instance().exec()\n"
        "print(seen, window.attached, 'sqlalchemy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert done.stdout.strip().splitlines()[-1:] == ["[(5, 5, True, [])] True True"], done.stderr[-2000:]


# ----- when the lean read is not sure, it shows nothing and the normal path decides ---------------


def _read(path: Path, name: str | None = "Cora Ordinator") -> first_screen.FirstScreen | None:
    return first_screen.read_first_screen(str(path), user_name=name, os_account=current_os_account())


def _set_revision(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    connection.close()


def test_a_workspace_to_migrate_or_from_a_newer_version_is_left_to_the_normal_path(tmp_path, workspace_file):
    assert _read(workspace_file) is not None
    older = tmp_path / "older.sqlite"
    shutil.copy(workspace_file, older)
    _set_revision(older, "0015_live")  # an earlier revision than the head (0014_trust3 follows it)
    assert _read(older) is None
    _set_revision(older, "0099_future")
    assert _read(older) is None


def test_a_newer_workspace_gets_the_normal_message_and_no_first_screen(qtbot, tmp_path, workspace_file,
                                                                     temporary_settings, messages):
    newer = tmp_path / "newer.sqlite"
    shutil.copy(workspace_file, newer)
    _set_revision(newer, "0099_future")
    window = start_app(database_target=str(newer), user_name="Cora Ordinator", demo=False,
                       settings=temporary_settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.exit_status is not None, timeout=20_000)
    assert window.exit_status == 1 and not window.first_screen_filled
    assert len(messages.errors) == 1 and "newer version" in messages.errors[0][1]


def test_encrypted_damaged_missing_and_locked_files_are_left_to_the_normal_path(tmp_path, workspace_file):
    encrypted = tmp_path / "encrypted.sqlite"
    encrypted.write_bytes(os.urandom(8192))
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(first_screen.SQLITE_HEADER + os.urandom(8192))
    notes = tmp_path / "notes.sqlite"
    notes.write_text("Not a database: a coordinator's notes.\n")
    for path in (encrypted, damaged, notes, tmp_path / "missing.sqlite"):
        assert _read(path) is None
    assert not (tmp_path / "missing.sqlite").exists()  # nothing was created
    assert notes.read_text() == "Not a database: a coordinator's notes.\n"
    assert first_screen.read_first_screen("postgresql://u@127.0.0.1/marac", user_name="Cora Ordinator",
                                          os_account=current_os_account()) is None
    locker = sqlite3.connect(workspace_file)
    try:
        locker.execute("PRAGMA locking_mode = EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        assert _read(workspace_file) is None
    finally:
        locker.rollback()
        locker.close()


def test_a_profile_the_normal_path_would_question_gets_no_first_screen(workspace_file):
    db = open_database(str(workspace_file))
    with db.session() as session:
        from marac_prep.core.users import find_user

        coordinator = find_user(session, "Cora Ordinator")
        create_profile(session, actor=coordinator, name="Pia Passphrase", role="viewer", agency_id=None,
                       passphrase="correct horse battery staple 42")
        create_profile(session, actor=coordinator, name="Olly Otheraccount", role="viewer", agency_id=None,
                       os_account="someone-else")
        create_profile(session, actor=coordinator, name="Ina Inactive", role="viewer", agency_id=None,
                       os_account=current_os_account())
        session.commit()
    db.close()
    with sqlite3.connect(workspace_file) as connection:  # no service deactivates a profile yet
        connection.execute("UPDATE app_user SET active = 0 WHERE name = 'Ina Inactive'")
    connection.close()
    assert _read(workspace_file, "  cora   ORDINATOR ") is not None  # the name as `authenticate` reads it
    for name in ("Pia Passphrase", "Olly Otheraccount", "Ina Inactive", "Nobody Known"):
        assert _read(workspace_file, name) is None, name
    # Without a name: several active profiles belong to this account, so the app must ask.
    assert _read(workspace_file, None) is None
    assert first_screen.read_first_screen(str(workspace_file), user_name="Cora Ordinator", os_account="") is None


def test_the_lean_copies_agree_with_the_originals(monkeypatch, tmp_path):
    from marac_prep.core.db import default_database_path, probing
    from marac_prep.core.db.schema import known_revisions

    assert first_screen.head_revision() == known_revisions()[1]
    assert first_screen.QUICK_CHECK_LIMIT_BYTES == probing.QUICK_CHECK_LIMIT_BYTES
    monkeypatch.delenv(first_screen.ENV_DATABASE, raising=False)
    assert first_screen.default_target() == str(default_database_path())
    monkeypatch.setenv(first_screen.ENV_DATABASE, str(tmp_path / "elsewhere.sqlite"))
    assert first_screen.default_target() == str(default_database_path())


def test_an_empty_workspace_shows_no_meeting_as_the_normal_path_does(qtbot, tmp_path, temporary_settings):
    path = tmp_path / "empty.sqlite"
    db = open_database(str(path))
    with db.session() as session:
        Workspace(session)
        session.commit()
    db.close()
    lean: list[dict[str, Any]] = []
    window = start_app(database_target=str(path), user_name="Cora Ordinator", demo=False, settings=temporary_settings)
    qtbot.addWidget(window)
    window.first_screen_shown.connect(lambda: lean.append(_screen(window)))
    qtbot.waitUntil(lambda: bool(lean), timeout=20_000)
    qtbot.waitUntil(lambda: _settled(window), timeout=20_000)
    assert lean[0] == _screen(window) and lean[0]["title"] == "No meeting yet"
    assert window.meeting_view.table.model().index(0, 0).data(ID_ROLE) is None
    window.close()
    window.database.close()


def test_a_file_on_a_network_drive_is_left_to_the_normal_path(workspace_file, monkeypatch):
    assert _read(workspace_file) is not None
    monkeypatch.setattr(first_screen, "filesystem_type", lambda path: "cifs")
    assert _read(workspace_file) is None


def test_the_lean_read_leaves_no_side_files_behind(workspace_file):
    # A cleanly closed WAL database has no -wal or -shm; a read-only open makes them.
    sidecars = [Path(f"{workspace_file}{suffix}") for suffix in ("-wal", "-shm")]
    assert not any(p.exists() for p in sidecars)
    before = workspace_file.read_bytes()
    assert _read(workspace_file) is not None and _read(workspace_file, "Nobody Known") is None
    assert not any(p.exists() for p in sidecars) and workspace_file.read_bytes() == before
