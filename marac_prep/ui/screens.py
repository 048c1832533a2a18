"""Renders the main views offscreen to PNG files (the `screenshot` subcommand, the README)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEventLoop,
    QIODevice,
    QMessageLogContext,
    QSettings,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QWidget
from sqlmodel import select

from marac_prep.core.cases import case_by_reference
from marac_prep.core.db import Database
from marac_prep.core.errors import MaracError, StorageError, ValidationError
from marac_prep.core.files import write_bytes
from marac_prep.core.models import Case, ChronologyEntry, User
from marac_prep.ui.app import prepare_application
from marac_prep.ui.case_view import CaseSnapshot
from marac_prep.ui.entry_dialog import EntryDialog
from marac_prep.ui.main_window import MainWindow

_TIMEOUT_MS = 120_000
# The offscreen platform says this for every window; it is noise, not a problem with the picture.
_OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def _quiet_offscreen(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    if _OFFSCREEN_NOISE not in message and kind != QtMsgType.QtDebugMsg:
        print(message, file=sys.stderr)


def _settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()


def _wait_loaded(window: MainWindow, case_id: int) -> CaseSnapshot:
    loop = QEventLoop()
    result: list[object] = []
    window.case_view.loaded.connect(lambda snapshot: (result.append(snapshot), loop.quit()))
    window.case_view.load_failed.connect(lambda exc: (result.append(exc), loop.quit()))
    QTimer.singleShot(_TIMEOUT_MS, loop.quit)
    window.open_case(case_id)
    loop.exec()
    if not result:
        raise StorageError("The case took too long to load for a screenshot.")
    if isinstance(result[0], BaseException):
        raise result[0]
    assert isinstance(result[0], CaseSnapshot)
    return result[0]


def _wait(signal: Any, start: Any, *args: Any) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(_TIMEOUT_MS, loop.quit)
    start(*args)
    loop.exec()


def _pick_case(db: Database, reference: str | None) -> Case:
    with db.read_session() as session:
        if reference:
            return case_by_reference(session, reference)
        case = session.exec(select(Case).where(Case.meeting_id != None).order_by(Case.id)).first()  # noqa: E711
        if case is None:
            raise ValidationError("The workspace has no cases to show; build one with `marac-prep demo`.")
        return case


def _save(widget: QWidget, output: Path) -> None:
    """The widget as a PNG, written by the one file writer (owner-only, never through a link)."""
    png = QByteArray()
    buffer = QBuffer(png)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not widget.grab().save(buffer, "PNG"):
        raise StorageError(f"{output} could not be written (the picture could not be made).")
    buffer.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(output, bytes(png.data()))


def render_view(
    db: Database,
    actor: User,
    *,
    view: str,
    output: Path,
    case_reference: str | None,
    size: tuple[int, int] = (1400, 900),
) -> None:
    """Builds the real main window on `db` as `actor` and saves `view` to `output`.

    Raises:
        ValidationError: an unknown view or case.
    """
    app = prepare_application()
    if QApplication.platformName() == "offscreen":
        qInstallMessageHandler(_quiet_offscreen)
    # Screenshots must not depend on (or change) the user's remembered window layout.
    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "MaracPrepScreenshots", "none")
    settings.clear()
    case = _pick_case(db, case_reference)
    window = MainWindow(db, actor, settings=settings)
    window.resize(*size)
    window.show()
    try:
        if case.meeting_id is not None:
            window.refresh_meetings(case.meeting_id)
        window.meeting_view.select_case(case.id or 0)
        _settle(app)
        if view == "statistics":
            from marac_prep.ui.operations.statistics import show_statistics

            stats = show_statistics(window)
            stats.resize(*size)
            _wait(stats.loaded, lambda: None)
            _settle(app)
            _save(stats, output)
            stats.close()
            return
        if view == "meeting":
            if case_reference is None:
                window.meeting_view.table.selectRow(0)
            _wait(window.matrix_loaded, window._load_gap_matrix, case.meeting_id)
            _settle(app)
            _save(window, output)
            return
        snapshot = _wait_loaded(window, case.id or 0)
        if window.case_view.analysis_ops:
            _wait(window.case_view.analysed, lambda: None)
        _settle(app)
        if view == "case":
            _save(window, output)
        elif view == "returns":
            window.case_view.tabs.setCurrentWidget(window.case_view.returns)
            _settle(app)
            _save(window, output)
        elif view == "entry":
            entry_id = _richest_entry(db, snapshot)
            dialog = EntryDialog(db, actor, case_id=case.id or 0, entry_id=entry_id, parent=window)
            dialog.resize(max(dialog.sizeHint().width(), 980), dialog.sizeHint().height())
            dialog.show()
            _settle(app)
            _save(dialog, output)
            dialog.done(0)
        else:
            raise ValidationError(f'"{view}" is not a view; choose meeting, case, returns, entry or statistics.')
    except MaracError:
        raise
    finally:
        window.hide()
        window.deleteLater()
        _settle(app)


def _richest_entry(db: Database, snapshot: CaseSnapshot) -> int:
    """An entry that shows the editor's fields well: risk indicators and a longer summary."""
    if not snapshot.rows:
        raise ValidationError("This case has no chronology entries to show.")
    best = max(snapshot.rows, key=lambda r: (len(r.risk_indicators) > 0, r.event_type == "disclosure", len(r.summary)))
    with db.read_session() as session:
        if session.get(ChronologyEntry, best.entry_id) is None:
            raise ValidationError("The entry disappeared while rendering.")
    return best.entry_id
