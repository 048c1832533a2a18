"""The Actions window (issue 18): its model (qtmodeltester), overdue marking, who may report or edit
(the button and the service), the status dialog's rules and conflicts, export, the meeting page's link."""

from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest
from PySide6.QtCore import Qt

from marac_prep.core.actions import ActionRow, add_action, list_actions, report_status
from marac_prep.core.errors import PermissionDenied
from marac_prep.core.models import MaracAction
from marac_prep.ui.actions_view import ActionsView, ActionTableModel, EditActionDialog, StatusDialog, last_held_meeting
from marac_prep.ui.operations.actions import ActionFiles
from marac_prep.ui.text import ALERT, ALERT_TINT
from tests.ui.helpers import make_window

TODAY = date.today()


@pytest.fixture
def tracked(workspace):
    """A meeting held three weeks ago with a police action (due next week), a housing action
    overdue since yesterday, and a health one done; and the next meeting, upcoming."""
    ws, db = workspace
    held = ws.meeting(-21)
    ws.meeting(7)
    case = ws.case(held, victim="Alys PRITCHARD")
    coordinator = ws.coordinator
    police = add_action(ws.session, actor=coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                        owner="PC Dafydd Evans", text="Flag the address <b>urgently</b>.",
                        due_date=TODAY + timedelta(days=7))
    housing = add_action(ws.session, actor=coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
                         owner="Huw Price", text="Fit a door chain.", due_date=TODAY - timedelta(days=1))
    health = add_action(ws.session, actor=coordinator, case_id=case.id, agency_id=ws.agency["HLTH"].id,
                        text="Offer a GP appointment.", due_date=TODAY - timedelta(days=5))
    report_status(ws.session, actor=coordinator, action_id=health.id, expected_version=health.version,
                  status="done", done_on=TODAY - timedelta(days=6), outcome="Seen by the GP.")
    ws.session.commit()
    return ws, db, held, {"police": police.id, "housing": housing.id, "health": health.id}


def _view(qtbot, db, actor) -> ActionsView:
    view = ActionsView(db, actor)
    qtbot.addWidget(view)
    view.resize(1366, 740)
    view.show()
    view.load()
    return view


def _select(view: ActionsView, action_id: int) -> ActionRow:
    row = next(n for n, line in enumerate(view.model.lines) if line.id == action_id)
    view.table.setCurrentIndex(view.model.index(row, 0))
    selected = view.selected()
    assert selected is not None and selected.id == action_id
    return selected


def _stored(db, action_id: int) -> MaracAction:
    with db.read_session() as session:
        action = session.get(MaracAction, action_id)
        session.expunge(action)
        return action


def test_model_passes_qtmodeltester_and_marks_overdue_in_words_and_colour(qtmodeltester, tracked):
    _ws, db, held, ids = tracked
    model = ActionTableModel()
    qtmodeltester.check(model)
    with db.read_session() as session:
        model.set_lines(list_actions(session, meeting_id=held.id))
    qtmodeltester.check(model)
    rows = {line.id: n for n, line in enumerate(model.lines)}
    housing, police = rows[ids["housing"]], rows[ids["police"]]
    status = ActionTableModel.COLUMNS.index("Status")
    assert "OVERDUE" in model.index(housing, status).data()
    assert model.index(housing, status).data(Qt.ItemDataRole.ForegroundRole) == ALERT
    assert model.index(housing, 0).data(Qt.ItemDataRole.BackgroundRole) == ALERT_TINT
    assert model.index(police, status).data() == "Open"
    assert model.index(police, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index(rows[ids["health"]], status).data().startswith("Done ")
    assert model.index(police, 1).data() == "AP"  # the victim's initials
    # User text is shown as typed: the tooltip escapes it.
    action = ActionTableModel.COLUMNS.index("Action")
    assert model.index(police, action).data() == "Flag the address <b>urgently</b>."
    assert "&lt;b&gt;" in model.index(police, action).data(Qt.ItemDataRole.ToolTipRole)


def test_opens_on_the_last_held_meeting_and_filters(qtbot, tracked):
    ws, db, held, ids = tracked
    assert last_held_meeting([(1, TODAY - timedelta(days=30)), (2, TODAY - timedelta(days=2)),
                              (3, TODAY + timedelta(days=5))], TODAY) == 2
    view = _view(qtbot, db, ws.user("agency_rep", "POL"))
    assert view.chosen_meeting() == held.id and view.model.rowCount() == 3
    assert "1 overdue" in view.summary.text()
    view.overdue_only.setChecked(True)
    assert [line.id for line in view.model.lines] == [ids["housing"]]
    view.overdue_only.setChecked(False)
    view.my_agency_only.setChecked(True)
    assert [line.id for line in view.model.lines] == [ids["police"]]
    view.my_agency_only.setChecked(False)
    view.choose_meeting(None)  # every open action: the done one is not listed
    assert {line.id for line in view.model.lines} == {ids["police"], ids["housing"]}


def test_agency_rep_reports_own_agency_action_and_is_refused_for_another(qtbot, tracked, messages):
    ws, db, _held, ids = tracked
    rep = ws.user("agency_rep", "POL", name="Seren Police")
    ws.session.commit()
    view = _view(qtbot, db, rep)
    _select(view, ids["housing"])
    assert not view.status_button.isEnabled() and not view.edit_button.isEnabled()
    assert view.report_selected() is None and view.edit_selected() is None
    assert "Only the owning agency's representative" in view.detail.text()
    # The service refuses too, whatever the window shows.
    housing = _stored(db, ids["housing"])
    with db.session() as session, pytest.raises(PermissionDenied):
        report_status(session, actor=rep, action_id=housing.id, expected_version=housing.version,
                      status="not_done_agency", outcome="Forced past the window.")
    forced = StatusDialog(db, rep, _select(view, ids["housing"]), today=TODAY)
    qtbot.addWidget(forced)
    forced.status_buttons["not_done_agency"].setChecked(True)
    forced.outcome.setPlainText("Forced past the window.")
    assert not forced.save()
    assert messages.errors[-1][0] == "Not allowed"
    assert _stored(db, ids["housing"]).status == "open"

    _select(view, ids["police"])
    assert view.status_button.isEnabled() and view.edit_button.isEnabled()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter opens the dialog, once
    opened = [d for d in view.findChildren(StatusDialog) if d.isVisible()]
    assert len(opened) == 1
    dialog = opened[0]
    dialog.status_buttons["done"].setChecked(True)
    assert dialog.done_on.isEnabled() and dialog.done_on.day() == TODAY
    assert not dialog.save()  # no outcome: the service's sentence, inline; the dialog keeps what was typed
    assert dialog.error.isVisible() and dialog.error.text() == "Say what was done."
    assert dialog.done_on.text() and dialog.isVisible()
    dialog.outcome.setPlainText("Address flagged on the command system.")
    assert dialog.save()
    stored = _stored(db, ids["police"])
    assert (stored.status, stored.done_on, stored.status_reported_by_name) == ("done", TODAY, rep.name)
    line = view.selected()
    assert line is not None and line.id == ids["police"] and line.status == "done"
    assert f"by {rep.name}" in view.model.index(view.table.currentIndex().row(), 8).data()


def test_a_status_changed_meanwhile_is_a_plain_conflict(qtbot, tracked, messages):
    ws, db, _held, ids = tracked
    view = _view(qtbot, db, ws.coordinator)
    dialog = view.report_selected() if _select(view, ids["housing"]) else None
    assert dialog is not None
    stale = _stored(db, ids["housing"])
    with db.session() as session:  # another desk reports first
        report_status(session, actor=ws.coordinator, action_id=stale.id, expected_version=stale.version,
                      status="not_done_circumstances", outcome="The family moved away.")
    dialog.status_buttons["not_done_agency"].setChecked(True)
    assert not dialog.done_on.isEnabled()
    dialog.outcome.setPlainText("No contractor booked.")
    assert not dialog.save()
    assert messages.errors and messages.errors[-1][0] == "Changed by someone else"
    assert "changed this action meanwhile" in messages.errors[-1][1]
    assert dialog.outcome.toPlainText() == "No contractor booked."
    assert _stored(db, ids["housing"]).outcome == "The family moved away."


def test_coordinator_edits_any_action_and_viewer_only_reads(qtbot, tracked):
    ws, db, _held, ids = tracked
    view = _view(qtbot, db, ws.coordinator)
    _select(view, ids["housing"])
    dialog = view.edit_selected()
    assert isinstance(dialog, EditActionDialog)
    dialog.owner.setText("Rhian Housing")
    dialog.due.edit.setText((TODAY + timedelta(days=3)).strftime("%d/%m/%Y"))
    dialog.protects["child"].setChecked(True)
    assert dialog.save()
    stored = _stored(db, ids["housing"])
    assert stored.owner == "Rhian Housing" and stored.due_date == TODAY + timedelta(days=3)
    assert stored.protects == ["victim", "child"]
    assert "OVERDUE" not in view.summary.text()  # due in three days now

    viewer = ws.user("viewer")
    ws.session.commit()
    read_only = _view(qtbot, db, viewer)
    assert read_only.model.rowCount() == 3 and not read_only.my_agency_only.isVisible()
    for action_id in ids.values():
        _select(read_only, action_id)
        assert not read_only.status_button.isEnabled() and not read_only.edit_button.isEnabled()
    assert not read_only.export_button.isEnabled()


def test_export_writes_the_tracking_form(qtbot, tracked, tmp_path, monkeypatch, messages):
    ws, db, _held, _ids = tracked
    target = tmp_path / "tracking"
    monkeypatch.setattr(ActionFiles, "export_path", classmethod(lambda cls, parent, suggested: target.with_suffix(
        ".xlsx")))
    view = _view(qtbot, db, ws.coordinator)
    op = view.export()
    assert op is not None
    with qtbot.waitSignal(op.finished, timeout=20_000):
        pass
    sheet = openpyxl.load_workbook(target.with_suffix(".xlsx")).active
    values = list(sheet.values)
    assert values[0][:3] == ("Date", "Case", "Victim initials") and len(values) == 4
    assert any(row[-1] == "Open (overdue)" for row in values[1:])
    assert messages.infos and "3 actions written" in messages.infos[-1][1]


def test_meeting_page_counts_overdue_actions_and_opens_them(qtbot, tracked, temporary_settings):
    ws, db, _held, ids = tracked
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    link = window.meeting_view.overdue_button
    assert link.isVisible() and link.text() == "⚠ 1 overdue action"
    link.click()
    view = window._actions_window
    qtbot.addWidget(view)
    assert view.chosen_meeting() is None and view.overdue_only.isChecked()
    assert [line.id for line in view.model.lines] == [ids["housing"]]
    _select(view, ids["housing"])
    dialog = view.report_selected()
    dialog.status_buttons["not_done_agency"].setChecked(True)
    dialog.outcome.setPlainText("No contractor was booked.")
    assert dialog.save()
    assert not link.isVisible()  # none overdue now: the page follows the window
    assert window.actions_action.shortcut().toString() == "Ctrl+Shift+A"
    view.close()  # deleted on close: the menu opens a new window rather than touching the old one
    assert window.actions_action.isEnabled()
    window.actions_action.trigger()
    reopened = window._actions_window
    qtbot.addWidget(reopened)
    assert reopened is not view and reopened.chosen_meeting() == _held.id and not reopened.overdue_only.isChecked()
