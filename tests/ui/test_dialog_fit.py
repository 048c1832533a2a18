"""Dialogs never grow past the screen; inline errors wrap and go as soon as the value is fixed."""

from __future__ import annotations

from marac_prep.core.cases import PersonInput
from marac_prep.ui.case_dialog import CaseDialog
from marac_prep.ui.dash_dialog import DashDialog
from marac_prep.ui.entry_dialog import EntryDialog
from marac_prep.ui.person_dialog import PersonDialog


def _room(dialog):
    return dialog.screen().availableGeometry()


def test_a_bad_date_of_birth_wraps_and_clears_without_widening_the_dialog(qtbot):
    dialog = PersonDialog(PersonInput(role="victim", name="Amelia ASHWORTH"))
    qtbot.addWidget(dialog)
    dialog.show()
    width = dialog.width()
    dialog.dob.edit.setText("31/02/1990 or so, not sure")
    assert not dialog.save()
    qtbot.wait(10)
    assert dialog.error.isVisible() and dialog.error.wordWrap() and dialog.dob.feedback.wordWrap()
    assert dialog.width() <= width + 2 and dialog.width() <= _room(dialog).width()
    qtbot.keyClicks(dialog.dob.edit, "x")  # the user edits the field: the old complaint goes
    assert not dialog.error.isVisible()


def test_a_case_needs_its_victim_goes_when_a_victim_is_added(qtbot, workspace, monkeypatch):
    ws, db = workspace
    meeting = ws.meeting()
    ws.session.commit()
    dialog = CaseDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.save()
    assert "victim" in dialog.error.text() and dialog.error.isVisible()
    monkeypatch.setattr(
        PersonDialog, "edit_person", classmethod(lambda cls, parent, person: PersonInput(role="victim", name="Ana NOWAK"))
    )
    dialog.add_person("victim")
    assert not dialog.error.isVisible()


def test_the_big_dialogs_fit_a_small_screen(qtbot, workspace):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.session.commit()
    for dialog in (
        EntryDialog(db, ws.coordinator, case_id=case.id),
        CaseDialog(db, ws.coordinator, case_id=case.id),
        DashDialog(db, ws.coordinator, case_id=case.id),
        PersonDialog(PersonInput(role="child", name="Kacper NOWAK")),
    ):
        qtbot.addWidget(dialog)
        dialog.show()
        room = _room(dialog)
        assert dialog.width() <= room.width() and dialog.height() <= room.height(), type(dialog).__name__
        assert dialog.minimumSizeHint().width() <= room.width(), type(dialog).__name__
        dialog.hide()
