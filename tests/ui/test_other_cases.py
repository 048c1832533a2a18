"""People across cases in the app: the repeat marker on the agenda and header, the Other cases tab
with Confirm / Not the same person, and the navigator's person search (Ctrl+Shift+F)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from marac_prep.ui.meeting_view import CaseTableModel
from marac_prep.ui.other_cases import HistoryTableModel, MatchTableModel
from marac_prep.ui.person_search import PersonSearchDialog
from tests.ui.helpers import make_window, open_case


def _repeat_spelled_differently(ws):
    old = ws.meeting(days_ahead=-150)
    earlier = ws.case(old, reference="MAR-2025-0042", victim="Aoife BRENNAN", victim_dob=date(1990, 1, 2),
                      referral_days_ago=160)
    meeting = ws.meeting()
    now = ws.case(meeting, reference="MAR-2026-0100", victim="Eefa Brennan", victim_dob=date(1990, 1, 2))
    ws.session.commit()
    return meeting, earlier, now


def _repeat_cell(window, case_id):
    model = window.meeting_view.model
    row = next(i for i, line in enumerate(model.lines) if line.case_id == case_id)
    return model.index(row, 4).data()


def test_a_repeat_spelled_differently_is_flagged_and_confirmed(qtbot, workspace, temporary_settings, messages,
                                                               qtmodeltester):
    ws, db = workspace
    _meeting, _earlier, now = _repeat_spelled_differently(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    qtbot.waitUntil(lambda: bool(window.meeting_view.model.lines), timeout=20_000)
    assert _repeat_cell(window, now.id) == "↻ Possible repeat"
    row = next(i for i, line in enumerate(window.meeting_view.model.lines) if line.case_id == now.id)
    assert "MAR-2025-0042" in window.meeting_view.model.index(row, 4).data(Qt.ItemDataRole.ToolTipRole)
    assert "1 repeat" in window.meeting_view.subtitle.text()
    qtmodeltester.check(window.meeting_view.model, force_py=True)

    open_case(qtbot, window, now.id)
    view = window.case_view
    panel = view.other_cases
    qtbot.waitUntil(lambda: bool(panel.match_model.lines), timeout=20_000)
    assert "↻ Possible repeat" in view.subtitle.text()
    assert view.tabs.tabText(view.tabs.indexOf(panel)).startswith("Other ca&ses (1)")
    qtmodeltester.check(panel.match_model, force_py=True)
    qtmodeltester.check(panel.history_model, force_py=True)
    history = {(h.reference, h.role_here) for h in panel.history_model.lines}
    assert history == {("MAR-2025-0042", "victim"), ("MAR-2025-0042", "perpetrator")}
    assert "1 earlier Marac case of this case's people; 2 possible matches" in panel.summary.text()
    victim_row = next(i for i, m in enumerate(panel.match_model.lines) if m.role == "victim")
    panel.matches.setCurrentIndex(panel.match_model.index(victim_row, 0))
    assert "first name a known variant" in panel.match_model.index(victim_row, 4).data()
    assert panel.confirm_button.isEnabled() and panel.reject_button.isEnabled()
    view.tabs.setCurrentWidget(panel)
    window.grab().save("/tmp/other_cases.png")

    # Confirm both the victim and the perpetrator: the repeat is then confirmed everywhere.
    for _ in range(2):
        row = next(i for i, m in enumerate(panel.match_model.lines) if not m.confirmed)
        panel.matches.setCurrentIndex(panel.match_model.index(row, 0))
        with qtbot.waitSignal(view.analysed, timeout=20_000):
            panel.confirm_button.click()
    assert messages.errors == []
    assert all(m.confirmed for m in panel.match_model.lines)
    qtbot.waitUntil(lambda: "↻ Repeat ·" in view.subtitle.text() + " ·", timeout=20_000)
    qtbot.waitUntil(lambda: _repeat_cell(window, now.id) == "↻ Repeat", timeout=20_000)
    window.grab().save("/tmp/case_header.png")


def test_not_the_same_person_is_never_suggested_again(qtbot, workspace, temporary_settings, messages):
    ws, db = workspace
    _meeting, _earlier, now = _repeat_spelled_differently(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, now.id)
    panel = window.case_view.other_cases
    qtbot.waitUntil(lambda: bool(panel.match_model.lines), timeout=20_000)
    row = next(i for i, m in enumerate(panel.match_model.lines) if m.role == "victim")
    panel.matches.setCurrentIndex(panel.match_model.index(row, 0))
    with qtbot.waitSignal(window.case_view.analysed, timeout=20_000):
        panel.reject_button.click()
    assert not [m for m in panel.match_model.lines if m.role == "victim"]
    # Only the perpetrator (the same in both) still matches: not a repeat without the same victim.
    assert "Repeat" not in window.case_view.subtitle.text()


def test_an_idva_sees_matches_but_cannot_decide(qtbot, workspace, temporary_settings):
    ws, db = workspace
    _meeting, _earlier, now = _repeat_spelled_differently(ws)
    idva = ws.user("idva", "IDVA")
    ws.session.commit()
    window = make_window(qtbot, db, idva, temporary_settings)
    open_case(qtbot, window, now.id)
    panel = window.case_view.other_cases
    qtbot.waitUntil(lambda: bool(panel.match_model.lines), timeout=20_000)
    assert not panel.confirm_button.isEnabled() and not panel.reject_button.isEnabled()


def test_person_search_from_the_navigator(qtbot, workspace, temporary_settings):
    ws, db = workspace
    _meeting, earlier, now = _repeat_spelled_differently(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.find_person_action.trigger()
    qtbot.waitUntil(window.person_search.hasFocus)
    window.person_search.setText("Aoife Brennan")
    qtbot.keyClick(window.person_search, Qt.Key.Key_Return)
    dialog = window.person_search_dialog
    assert isinstance(dialog, PersonSearchDialog)
    qtbot.addWidget(dialog)
    assert {h.reference for h in dialog.model.lines} == {earlier.reference, now.reference}
    assert dialog.model.lines[0].reference == earlier.reference  # the exact spelling first
    dialog.grab().save("/tmp/person_search.png")
    with qtbot.waitSignal(window.case_view.loaded, timeout=20_000):
        dialog.table.activated.emit(dialog.model.index(1, 0))
    assert window.case_view.case_id == now.id
    dialog.born.setText("31/02/1990")
    dialog.search()
    assert dialog.model.lines == [] and dialog.summary.text()


def test_models_pass_the_model_tester(qtmodeltester):
    for model in (HistoryTableModel(), MatchTableModel(), CaseTableModel()):
        qtmodeltester.check(model, force_py=True)
