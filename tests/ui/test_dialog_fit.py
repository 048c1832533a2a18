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


def test_person_lists_and_no_school_or_safe_to_call_for_a_perpetrator(qtbot):
    from marac_prep.ui.person_dialog import ETHNICITIES, GENDERS

    dialog = PersonDialog(PersonInput(role="perpetrator", name="Piotr KOWALSKI", gender="Male"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.school.isVisible() and not dialog.safe_to_call.isVisible()
    assert dialog.gender.currentText() == "Male" and dialog.gender.count() == len(GENDERS)
    assert "Not recorded" in GENDERS and "Other ethnic group" in ETHNICITIES
    dialog.ethnicity.setCurrentText("White other")
    assert dialog.save()
    assert dialog.person.ethnicity == "White other" and dialog.person.school == ""
    victim = PersonDialog(PersonInput(role="victim", name="Anna KOWALSKA"))
    qtbot.addWidget(victim)
    victim.show()
    assert victim.safe_to_call.isVisible()
    victim.gender.setCurrentText("Not recorded")
    assert victim.save() and victim.person.gender == ""


def test_case_rules_in_the_dialog(qtbot, workspace, monkeypatch):
    ws, db = workspace
    meeting = ws.meeting()
    ws.session.commit()
    dialog = CaseDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(dialog)
    assert dialog.reference.text().startswith("MAR-")  # a suggested reference
    monkeypatch.setattr(
        PersonDialog, "edit_person", classmethod(lambda cls, parent, person: PersonInput(role="victim", name="Ana NOWAK"))
    )
    dialog.add_person("victim")
    assert not dialog.save() and "criterion" in dialog.error.text()
    dialog.dash.setValue(15)
    box = dialog.criteria["visible_high_risk"]
    assert box.isChecked() and not box.isEnabled()  # a Dash of 14+ cannot be downgraded
    assert not hasattr(dialog, "repeat")  # one "Repeat": the criterion
    dialog.dash.setValue(9)
    assert box.isEnabled()
