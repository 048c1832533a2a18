"""The Import dialog: preview with problem rows, import on a worker thread, summary and rejects link."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from marac_prep.core.models import ChronologyEntry
from tests.interchange.helpers import RETURN_HEADER, write_csv

pytest.importorskip("PySide6")


@pytest.fixture
def workspace(sqlite_db):
    from tests.factories import Workspace

    with sqlite_db.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        ws.case(meeting, reference="MAR-UI-1")
        return sqlite_db, ws.coordinator.name, meeting.id


def test_preview_then_import_shows_problems_and_the_rejects_file(
    qtbot, workspace, tmp_path: Path, monkeypatch
) -> None:
    from marac_prep.ui.import_dialog import ImportDialog

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the user's data folder, for this test
    database, user_name, meeting_id = workspace
    path = write_csv(tmp_path / "police.csv", [
        RETURN_HEADER,
        ["MAR-UI-1", "Police", "01/03/2025", "incident", "<b>Attended</b> after a 999 call", "P/1"],
        ["MAR-UI-1", "Police", "12/31/2025", "incident", "Month-first date", "P/2"],
    ])
    dialog = ImportDialog(database, user_name, meeting_id)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        dialog.add_files([path, tmp_path / "notes.docx"])
    assert dialog.preview.rowCount() == 2
    assert dialog.preview.item(0, 4).text() == "<b>Attended</b> after a 999 call"  # shown as typed
    assert "not a real date" in dialog.preview.item(1, dialog.preview.columnCount() - 1).text()
    assert "line 3" in dialog.problems.toPlainText()
    # The preview's row labels are the file's line numbers, as in the problem list; headers read as words.
    assert dialog.preview.verticalHeaderItem(1).text() == "line 3"
    assert dialog.preview.horizontalHeaderItem(0).text() == "Case reference"
    assert "Import into the meeting of" in dialog.windowTitle()
    dialog.show()
    dialog.grab().save(str(tmp_path / "import_dialog_preview.png"))
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as blocker:
        dialog.import_button.click()
    [result] = blocker.args[0]
    assert (result.imported, result.rejected) == (1, 1)
    assert "1 imported" in dialog.summary.text() and dialog.rejects_button.isVisibleTo(dialog)
    assert Path(result.rejects_file).exists()
    # Rejected rows (personal data) go to a private folder in the user's data folder, not beside the file.
    rejects = Path(result.rejects_file)
    assert rejects.parent == tmp_path / "data" / "MaracPrep" / "import-rejects"
    assert rejects.parent.stat().st_mode & 0o077 == 0
    with database.read_session() as session:
        assert len(session.exec(select(ChronologyEntry)).all()) == 1
    dialog.grab().save(str(tmp_path / "import_dialog_done.png"))


def test_dropped_files_are_added(qtbot, workspace, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from marac_prep.ui.import_dialog import ImportDialog

    database, user_name, meeting_id = workspace
    path = write_csv(tmp_path / "r.csv", [RETURN_HEADER])
    dialog = ImportDialog(database, user_name, meeting_id)
    qtbot.addWidget(dialog)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        dialog.dropEvent(event)
    assert dialog.file_paths() == [path]
    assert dialog.import_button.isEnabled()
