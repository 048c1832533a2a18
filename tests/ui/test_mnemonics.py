"""Every window and menu: no two items share an Alt-key mnemonic, and no label shows a literal "&"."""

from __future__ import annotations

import re
from collections import Counter

from PySide6.QtWidgets import QAbstractButton, QFormLayout, QGroupBox, QLabel, QMenu, QTabBar, QWidget

from marac_prep.core.cases import PersonInput
from tests.ui.helpers import make_window, open_case

_MNEMONIC = re.compile(r"(?<!&)&([^&\s])")


def mnemonic(text: str) -> str | None:
    found = _MNEMONIC.search(text.replace("&&", ""))
    return found.group(1).casefold() if found else None


def window_mnemonics(window: QWidget) -> list[tuple[str, str]]:
    """(letter, text) of everything in `window` the user can reach with Alt+letter right now."""
    found: list[tuple[str, str]] = []
    for widget in [window, *window.findChildren(QWidget)]:
        if widget is not window and (not widget.isVisibleTo(window) or widget.window() is not window):
            continue
        texts: list[str] = []
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox) and widget.isCheckable():
            texts.append(widget.title())
        elif isinstance(widget, QTabBar):
            texts += [widget.tabText(i) for i in range(widget.count()) if widget.isTabVisible(i)]
        if hasattr(window, "menuBar") and widget is window:
            texts += [a.text() for a in window.menuBar().actions()]
        for text in texts:
            letter = mnemonic(text)
            if letter:
                found.append((letter, text.replace("&&", "&")))
    return found


def duplicates(found: list[tuple[str, str]]) -> dict[str, list[str]]:
    counts = Counter(letter for letter, _ in found)
    return {k: [t for letter, t in found if letter == k] for k, n in counts.items() if n > 1}


def menu_duplicates(menu: QMenu, path: str = "") -> dict[str, dict[str, list[str]]]:
    problems = {}
    found = [(mnemonic(a.text()), a.text()) for a in menu.actions() if a.isVisible() and not a.isSeparator()]
    dup = duplicates([(k, t) for k, t in found if k])
    name = f"{path}/{menu.title()}"
    if dup:
        problems[name] = dup
    for action in menu.actions():
        if action.menu() is not None:
            problems.update(menu_duplicates(action.menu(), name))
    return problems


def literal_ampersands(window: QWidget) -> list[str]:
    """Form labels that would show "&" itself (a mnemonic written into a plain-text label)."""
    shown = []
    for layout in window.findChildren(QFormLayout):
        for row in range(layout.rowCount()):
            item = layout.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel) and label.buddy() is None and _MNEMONIC.search(label.text()):
                shown.append(label.text())
    return shown


def _check(window: QWidget, where: str) -> None:
    assert duplicates(window_mnemonics(window)) == {}, where
    assert literal_ampersands(window) == [], where


def test_every_window_and_menu_has_unique_mnemonics(qtbot, workspace, temporary_settings, monkeypatch):
    from marac_prep.core.actions import add_action, list_actions
    from marac_prep.ui.actions_view import ActionsView, EditActionDialog, StatusDialog
    from marac_prep.ui.attendance_dialog import AttendanceDialog
    from marac_prep.ui.audit_view import AuditView
    from marac_prep.ui.case_dialog import CaseDialog
    from marac_prep.ui.case_notes_dialog import CaseNotesDialog
    from marac_prep.ui.dash_dialog import DashDialog
    from marac_prep.ui.entry_dialog import EntryDialog
    from marac_prep.ui.history_dialog import HistoryDialog
    from marac_prep.ui.import_dialog import ImportDialog
    from marac_prep.ui.meeting_dialog import MeetingDialog
    from marac_prep.ui.meeting_mode import MeetingModeWindow
    from marac_prep.ui.minutes_dialog import MinutesDialog
    from marac_prep.ui.pack_dialog import PackDialog
    from marac_prep.ui.person_dialog import PersonDialog
    from marac_prep.ui.profile_dialog import ProfileDialog
    from marac_prep.ui.statistics_view import StatisticsView
    from marac_prep.ui.time_slots_dialog import TimeSlotsDialog

    ws, db = workspace
    monkeypatch.setenv("XDG_DATA_HOME", str(temporary_settings.fileName()) + "-data")
    meeting = ws.meeting()
    case = ws.case(meeting)
    entry = ws.entry(case, "POL")
    add_action(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
               text="Flag the address.")
    police_rep = ws.user("agency_rep", "POL")
    action_row = list_actions(ws.session)[0]
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    _check(window, "main window, meeting page")
    for menu in window.menuBar().findChildren(QMenu):
        assert menu_duplicates(menu) == {}, menu.title()
    open_case(qtbot, window, case.id)
    tabs = window.case_view.tabs
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        _check(window, f"case view, tab {tabs.tabText(index)}")
    assert menu_duplicates(window.case_view.chronology.view_menu) == {}

    dialogs = [
        EntryDialog(db, ws.coordinator, case_id=case.id, entry_id=entry.id),
        EntryDialog(db, ws.coordinator, case_id=case.id),
        CaseDialog(db, ws.coordinator, case_id=case.id),
        CaseDialog(db, ws.coordinator, meeting_id=meeting.id),
        DashDialog(db, ws.coordinator, case_id=case.id),
        MeetingDialog(db, ws.coordinator),
        ProfileDialog(db),
        PersonDialog(PersonInput(role="victim", name="Ana NOWAK")),
        PersonDialog(PersonInput(role="perpetrator", name="Piotr NOWAK")),
        ImportDialog(db, ws.coordinator.name, meeting.id),
        HistoryDialog(db, entry.id),
        AuditView(db, ws.coordinator),
        AttendanceDialog(db, ws.coordinator, meeting_id=meeting.id),
        CaseNotesDialog(db, ws.coordinator, case_id=case.id),
        MinutesDialog(db, ws.coordinator, meeting_id=meeting.id),
        PackDialog(db, ws.coordinator, meeting_id=meeting.id),
        TimeSlotsDialog(db, ws.coordinator, meeting_id=meeting.id),
        StatisticsView(db, ws.coordinator),
        ActionsView(db, police_rep),
        StatusDialog(db, ws.coordinator, action_row),
        EditActionDialog(db, ws.coordinator, action_row),
    ]
    mode = MeetingModeWindow(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(mode)
    with qtbot.waitSignal(mode.case_shown, timeout=20_000):
        mode.show()
    _check(mode, "meeting mode")
    mode.close()
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        _check(dialog, type(dialog).__name__)
        dialog.hide()


def test_ctrl_tab_and_ctrl_page_down_switch_case_tabs(qtbot, workspace, temporary_settings):
    from PySide6.QtCore import Qt

    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    from PySide6.QtGui import QKeySequence

    tabs = window.case_view.tabs
    keys = {k.toString() for k in window.next_tab_action.shortcuts()}
    assert keys == {"Ctrl+Tab", "Ctrl+PgDown"}
    assert {k.toString() for k in window.previous_tab_action.shortcuts()} == {"Ctrl+Shift+Tab", "Ctrl+PgUp"}
    assert window.next_tab_action in window.actions()  # reachable wherever the focus is in the window
    window.next_tab_action.trigger()
    assert tabs.currentIndex() == 1
    window.next_tab_action.trigger()
    assert tabs.currentIndex() == 2
    window.previous_tab_action.trigger()
    assert tabs.currentIndex() == 1
    assert QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Tab).toString() == "Ctrl+Tab"


def test_the_title_names_the_meeting_once_and_an_empty_meeting_says_what_to_do(qtbot, workspace, temporary_settings):
    ws, db = workspace
    ws.meeting()
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    title = window.windowTitle()
    assert title.startswith("Marac Prep – Marac meeting ") and title.count("Marac Prep") == 1
    assert "No cases yet" in window.meeting_view.subtitle.text() and "Import" in window.meeting_view.subtitle.text()
