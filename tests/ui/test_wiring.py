"""The main window's wiring: backups on close, read-only databases, audited openings, exports, drops."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QMimeData, QObject, QPointF, Qt, QUrl, Signal
from PySide6.QtGui import QDropEvent
from sqlalchemy import func
from sqlmodel import select

import marac_prep.ui.main_window as main_window
from marac_prep.core.backup import default_backup_folder, rolling_backups
from marac_prep.core.db import open_database
from marac_prep.core.errors import StorageError
from marac_prep.core.models import AuditEvent
from marac_prep.ui.entry_dialog import EntryDialog
from marac_prep.ui.import_dialog import ImportDialog
from marac_prep.ui.main_window import READ_ONLY_NOTICE
from marac_prep.ui.operations.interchange import ExportFiles
from tests.factories import Workspace
from tests.ui.helpers import make_window, open_case


def _opened_events(db) -> int:
    with db.read_session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.open")).one()


@pytest.fixture
def sqlite_workspace(sqlite_db):
    with sqlite_db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        case = ws.case(meeting)
        entry = ws.entry(case, "POL", summary="Police attended.")
        session.commit()
    return ws, sqlite_db, meeting, case, entry


def test_closing_the_window_keeps_rolling_backups(qtbot, sqlite_workspace, temporary_settings):
    ws, db, *_ = sqlite_workspace
    folder = default_backup_folder(db)
    for expected in (1, 2):
        window = make_window(qtbot, db, ws.coordinator, temporary_settings)
        window.close()
        assert len(rolling_backups(folder)) == expected
    backup = open_database(rolling_backups(folder)[-1], read_only=True)
    with backup.read_session() as s:
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() > 0
    backup.close()


def test_a_failed_backup_is_logged_and_shown_but_quitting_goes_ahead(
    qtbot, sqlite_workspace, temporary_settings, monkeypatch, caplog
):
    ws, db, *_ = sqlite_workspace

    def broken(_db):
        raise StorageError("The backup folder /nowhere cannot be made: Permission denied.")

    monkeypatch.setattr("marac_prep.core.backup.rolling_backup", broken)
    monkeypatch.setattr(main_window.MainWindow, "BACKUP_FAILURE_PAUSE_MS", 50)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    assert window.close()
    assert not window.isVisible()
    assert window.backup_error and "Permission denied" in window.backup_error
    assert window.statusBar().currentMessage() == window.backup_error
    assert any("rolling backup on close failed with StorageError" in r.getMessage() for r in caplog.records)


def test_read_only_database_disables_every_editing_action(qtbot, sqlite_workspace, temporary_settings, messages):
    ws, db, _meeting, case, entry = sqlite_workspace
    path = Path(db.location)
    db.close()
    read_only = open_database(path, read_only=True)
    try:
        window = make_window(qtbot, read_only, ws.coordinator, temporary_settings)
        assert window.read_only_notice.isVisible() and window.read_only_notice.text() == READ_ONLY_NOTICE
        open_case(qtbot, window, case.id)
        window.statusBar().showMessage("Some passing message")
        assert window.read_only_notice.isVisible()
        for action in (
            window.new_meeting_action, window.edit_meeting_action, window.new_case_action, window.edit_case_action,
            window.new_entry_action, window.dash_action, window.import_action, window.export_action,
            window.export_chronology_action, window.templates_action,
        ):
            assert not action.isEnabled(), action.text()
        assert not window.new_meeting_button.isEnabled()
        assert not any(b.isEnabled() for b in window._case_buttons.values())
        returns = window.case_view.returns
        assert returns.model.lines
        for line in returns.model.lines:
            returns.select_agency(line.agency_id)
            assert not returns.nothing_button.isEnabled() and not returns.request_button.isEnabled()
        # Reading still works, and the entry opens for reading only.
        assert window.open_entry_action.isEnabled() and window.find_action.isEnabled()
        dialog = EntryDialog(read_only, ws.coordinator, case_id=case.id, entry_id=entry.id)
        qtbot.addWidget(dialog)
        assert dialog.read_only and not dialog.save_button.isEnabled() and "read-only" in dialog.banner.text()
        # The service refuses anyway, and the refusal is a dialog.
        window.record_return(ws.agency["HSG"].id, "nothing_known")
        qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)  # the change runs off the GUI thread
        assert messages.errors and "read-only" in messages.errors[-1][1]
        window.close()
        assert rolling_backups(default_backup_folder(read_only)) == []
    finally:
        read_only.close()


def test_opening_a_case_is_audited_once_per_session(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    before = _opened_events(db)
    open_case(qtbot, window, case.id)
    assert _opened_events(db) == before + 1
    with db.read_session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "case.open")).all()[-1]
    assert (event.case_id, event.user_id) == (case.id, ws.coordinator.id)
    # A reload of the case already open is not another opening.
    with qtbot.waitSignal(window.case_view.loaded, timeout=20_000):
        window.refresh()
    assert _opened_events(db) == before + 1
    # Opening it again in the same session is not another "who saw what" event.
    window.show_current_meeting()
    open_case(qtbot, window, case.id)
    assert _opened_events(db) == before + 1
    # No write session is left open: another writer gets in at once.
    with db.session() as s:
        ws2 = Workspace.__new__(Workspace)
        ws2.session, ws2.agency, ws2.coordinator, ws2._n = s, ws.agency, ws.coordinator, 100
        ws2.meeting(days_ahead=40)
        s.commit()


def test_export_chronology_and_templates_from_the_file_menu(qtbot, workspace, temporary_settings, monkeypatch, tmp_path):
    ws, db = workspace
    meeting = ws.meeting()
    first = ws.case(meeting)
    second = ws.case(meeting)
    ws.entry(first, "POL", summary="First case entry.")
    ws.entry(second, "HSG", summary="Second case entry.")
    ws.session.commit()
    target = tmp_path / "out" / "chronology"
    target.parent.mkdir()
    monkeypatch.setattr(ExportFiles, "chronology_path", classmethod(lambda cls, parent, suggested: target))
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    assert window.export_chronology_action in window.file_menu.actions()
    assert window.templates_action in window.file_menu.actions()
    window.export_chronology_action.trigger()
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)
    written = target.with_name("chronology.xlsx")
    sheet = load_workbook(written).worksheets[0]
    summaries = {c.value for row in sheet.iter_rows() for c in row}
    assert {"First case entry.", "Second case entry."} <= summaries
    assert "chronology.xlsx" in window.statusBar().currentMessage()
    # With a case open, only that case.
    open_case(qtbot, window, first.id)
    target = tmp_path / "out" / "one.csv"
    window.export_chronology_action.trigger()
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)
    text = target.read_text(encoding="utf-8-sig")
    assert "First case entry." in text and "Second case entry." not in text

    folder = tmp_path / "requests"
    folder.mkdir()
    monkeypatch.setattr(ExportFiles, "templates_folder", classmethod(lambda cls, parent: folder))
    window.templates_action.trigger()
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)
    made = sorted(folder.glob("*.xlsx"))
    assert made and f"Wrote {len(made)} research request(s)" in window.statusBar().currentMessage()


def test_a_failed_export_is_a_plain_dialog(qtbot, workspace, temporary_settings, monkeypatch, tmp_path, messages):
    ws, db = workspace
    meeting = ws.meeting()
    ws.entry(ws.case(meeting), "POL")
    ws.session.commit()
    taken = tmp_path / "taken.csv"
    taken.mkdir()  # a folder already has the name: the file cannot be written
    monkeypatch.setattr(ExportFiles, "chronology_path", classmethod(lambda cls, parent, suggested: taken))
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.export_chronology_action.trigger()
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)
    assert messages.errors, "the failure was not shown"
    _title, text = messages.errors[-1]
    assert "Traceback" not in text and text.endswith(".")
    assert taken.is_dir() and not any(taken.iterdir())
    with db.read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "export")).first() is None


class _FakeImport(QObject):
    imported = Signal(object)


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)


def test_dropping_files_on_the_window_opens_the_import(qtbot, workspace, temporary_settings, monkeypatch, tmp_path,
                                                       messages):
    ws, db = workspace
    meeting = ws.meeting()
    ws.session.commit()
    calls = []

    def open_for(cls, parent, database, user_name, meeting_id, files=()):
        calls.append((user_name, meeting_id, list(files)))
        return _FakeImport()

    monkeypatch.setattr(ImportDialog, "open_for", classmethod(open_for))
    csv_file = tmp_path / "returns.csv"
    csv_file.write_text("case_reference,agency,date,event_type,summary\n", encoding="utf-8")
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG")
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    assert window.acceptDrops()
    _drop(window, [csv_file, picture])
    assert calls == [(ws.coordinator.name, meeting.id, [csv_file])]
    assert "1 dropped item(s) left out" in window.statusBar().currentMessage()
    _drop(window, [picture])
    assert len(calls) == 1
    assert messages.infos and "Only CSV and XLSX" in messages.infos[-1][1]
    viewer = make_window(qtbot, db, ws.user("viewer"), temporary_settings)
    _drop(viewer, [csv_file])
    assert len(calls) == 1 and "cannot import" in messages.infos[-1][1]
