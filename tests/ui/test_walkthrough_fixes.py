"""What the walk-through at 1366×768 and 200 % found (tools/screenshots.py), each pinned by a test."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent

from tests.ui.helpers import make_window


def _fits(widget) -> bool:
    room = widget.screen().availableGeometry()
    return widget.width() <= room.width() and widget.height() <= room.height()


def test_statistics_opens_again_after_it_was_closed(qtbot, workspace, temporary_settings):
    # Closing deletes the window; the second opening used to touch the deleted one and fail.
    ws, db = workspace
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.statistics_action.trigger()
    first = window._statistics_window
    qtbot.waitUntil(lambda: first.result is not None, timeout=20_000)
    first.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    window.statistics_action.trigger()
    second = window._statistics_window
    assert second is not first and second.isVisible()
    qtbot.waitUntil(lambda: second.result is not None, timeout=20_000)
    second.close()


def test_separate_windows_fit_the_screen(qtbot, workspace, temporary_settings):
    ws, db = workspace
    meeting = ws.meeting()
    ws.case(meeting)
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(meeting.id)))
    window.meeting_mode_action.trigger()
    mode = window.meeting_mode
    assert mode is not None and _fits(mode), mode.size()
    qtbot.waitUntil(lambda: mode.hearing is not None, timeout=20_000)
    mode.close()
    window.statistics_action.trigger()
    stats = window._statistics_window
    assert _fits(stats), stats.size()
    qtbot.waitUntil(lambda: stats.result is not None, timeout=20_000)
    stats.close()
    window.audit_action.trigger()
    audit = window._audit_window
    assert _fits(audit), audit.size()
    audit.close()
