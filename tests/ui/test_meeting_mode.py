"""Meeting mode, attendance, the agenda's order, case notes and the minutes, driven through the app."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pypdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlmodel import select

from marac_prep.core.actions import list_actions
from marac_prep.core.attendance import list_attendance, plan_hearing, running_order
from marac_prep.core.case_notes import add_case_note, case_notes
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.models import AuditEvent, CaseHearing, RiskAssessment
from marac_prep.ui.attendance_dialog import AttendanceDialog, AttendanceLine, AttendanceTableModel
from marac_prep.ui.case_notes_dialog import CaseNotesDialog, CaseNoteTableModel, NoteLine
from marac_prep.ui.meeting_mode import ActionTableModel, FindingTableModel, MeetingModeWindow, clock_text
from marac_prep.ui.minutes_dialog import MinutesDialog
from tests.ui.helpers import make_window


@pytest.fixture
def agenda(workspace):
    """A meeting of three cases, the first with entries that raise findings."""
    ws, db = workspace
    meeting = ws.meeting()
    cases = [ws.case(meeting, reference=f"MAR-MM-{n}", referral_days_ago=20 - n) for n in (1, 2, 3)]
    ws.entry(cases[0], "POL", summary="Threats to kill made at the door.", risk_indicators=["threats_to_kill"])
    ws.entry(cases[0], "HSG", summary="Housing referred the victim to the Idva service.",
             event_type="referral_made", referred_to_agency_id=ws.agency["IDVA"].id)
    ws.session.commit()
    return ws, db, meeting, cases


def open_mode(qtbot, db, actor, meeting_id, **kwargs) -> MeetingModeWindow:
    mode = MeetingModeWindow(db, actor, meeting_id=meeting_id, **kwargs)
    qtbot.addWidget(mode)
    with qtbot.waitSignal(mode.case_shown, timeout=20_000):
        mode.show()
    return mode


def shown_facts(mode: MeetingModeWindow) -> dict[str, str]:
    assert all(isinstance(v, QLabel) and v.textFormat() == Qt.TextFormat.PlainText for _k, v in mode.fact_labels)
    return {name.text(): value.text() for name, value in mode.fact_labels}


def test_clock_against_the_slot():
    shown = datetime(2026, 12, 3, 10, 0)
    assert clock_text(datetime(2026, 12, 3, 10, 12, 40), "10:00", 20, shown) == "10:12 · slot 10:00–10:20 · 8 min left"
    assert clock_text(datetime(2026, 12, 3, 10, 23), "10:00", 20, shown) == "10:23 · slot 10:00–10:20 · 3 min over"
    assert clock_text(datetime(2026, 12, 3, 9, 50), "10:00", 20, shown) == "09:50 · slot 10:00–10:20 · starts in 10 min"
    assert clock_text(datetime(2026, 12, 3, 10, 7), "", None, shown) == "10:07 · 7 min on this case (no time slot planned)"


def test_meeting_mode_shows_the_front_sheet_and_records_as_it_moves(qtbot, agenda):
    ws, db, meeting, cases = agenda
    with db.session() as s:
        plan_hearing(s, actor=ws.coordinator, meeting_id=meeting.id, case_id=cases[0].id, start_time="10:00",
                     duration_minutes=15)
    mode = open_mode(qtbot, db, ws.coordinator, meeting.id)
    mode.clock = lambda: datetime.combine(meeting.meeting_date, datetime.min.time()).replace(hour=10, minute=20)
    mode.update_clock()
    assert mode.position.text().startswith("Case 1 of 3 · MAR-MM-1")
    assert "5 min over" in mode.clock_label.text()
    facts = shown_facts(mode)
    assert facts["Victim"].startswith("Alys PRITCHARD") and "must never receive information" in facts["Perpetrator"]
    assert facts["Dash"].startswith("15 of 24")
    assert mode.findings_model.rowCount() > 0 and mode.headline.text().startswith("Findings: ")

    mode.risk_level.setCurrentIndex(mode.risk_level.findData("high"))
    mode.note.setPlainText("Safety plan agreed; the Idva will <b>call</b> weekly.")
    assert mode.saved_label.text() == "Not saved yet"
    assert [k.toString() for k in mode.next_action.shortcuts()] == ["Alt+Right", "Ctrl+PgDown"]
    assert [k.toString() for k in mode.previous_action.shortcuts()] == ["Alt+Left", "Ctrl+PgUp"]
    assert mode.next_action in mode.actions()  # reachable wherever the focus is in the window
    with qtbot.waitSignal(mode.case_shown, timeout=20_000):
        mode.next_action.trigger()  # saves, then the next case
    assert mode.position.text().startswith("Case 2 of 3 · MAR-MM-2")
    assert mode.note.toPlainText() == "" and mode.risk_level.currentIndex() == 0
    with db.read_session() as s:
        hearing = s.exec(select_hearing(meeting.id, cases[0].id)).one()
        assert (hearing.agreed_risk_level, hearing.discussion_note) == (
            "high", "Safety plan agreed; the Idva will <b>call</b> weekly.")
        assert hearing.start_time == "10:00"  # the slot stays
    with qtbot.waitSignal(mode.case_shown, timeout=20_000):
        mode.previous_action.trigger()
    assert mode.note.toPlainText().startswith("Safety plan agreed") and mode.risk_level.currentData() == "high"
    assert not mode.previous_button.isEnabled()
    with db.read_session() as s:
        opened = s.exec(select(AuditEvent).where(AuditEvent.action == "case.open")).all()
    assert sorted(e.case_id for e in opened) == [cases[0].id, cases[1].id]  # each case once per session


def select_hearing(meeting_id: int, case_id: int):
    return select(CaseHearing).where(CaseHearing.meeting_id == meeting_id, CaseHearing.case_id == case_id)


def test_quick_action_entry(qtbot, agenda):
    ws, db, meeting, cases = agenda
    mode = open_mode(qtbot, db, ws.coordinator, meeting.id, start_case_id=cases[1].id)
    assert mode.position.text().startswith("Case 2 of 3")
    mode.action_text.setPlainText("")
    assert not mode.add_action() and "Write what exactly" in mode.action_error.text()
    mode.agency.setCurrentIndex(mode.agency.findData(ws.agency["HSG"].id))
    mode.owner.setText("Huw Price")
    mode.action_text.setPlainText("Fit a door chain and a lock within two weeks.")
    mode.due.edit.setText((date.today() + timedelta(days=14)).strftime("%d/%m/%Y"))
    mode.protects["child"].setChecked(True)
    assert mode.add_action_shortcut.shortcut().toString() == "Ctrl+Return"
    mode.add_action_shortcut.trigger()
    assert not mode.action_error.isVisible()
    assert [(r.agency, r.owner, r.protects) for r in mode.actions_model.lines] == [
        ("Housing", "Huw Price", ("victim", "child"))]
    assert mode.action_text.toPlainText() == "" and not mode.protects["child"].isChecked()
    with db.read_session() as s:
        rows = list_actions(s, meeting_id=meeting.id)
    assert [(r.case_id, r.due_date) for r in rows] == [(cases[1].id, date.today() + timedelta(days=14))]


def test_an_agency_rep_adds_only_own_actions_and_a_viewer_only_reads(qtbot, agenda):
    ws, db, meeting, _cases = agenda
    rep = ws.user("agency_rep", "POL")
    viewer = ws.user("viewer")
    ws.session.commit()
    mode = open_mode(qtbot, db, rep, meeting.id)
    assert [mode.agency.itemData(i) for i in range(mode.agency.count())] == [ws.agency["POL"].id]
    assert mode.add_button.isEnabled() and not mode.note.isEnabled() and not mode.risk_level.isEnabled()
    watcher = open_mode(qtbot, db, viewer, meeting.id)
    assert not watcher.add_button.isEnabled() and not watcher.save_button.isEnabled()
    assert watcher.save_record()  # nothing to save for a reader: it moves on


def test_models_pass_the_model_tester(qtmodeltester, agenda):
    ws, db, meeting, cases = agenda
    with db.read_session() as s:
        from marac_prep.ui.meeting_mode import load_hearing

        hearing = load_hearing(s, meeting_id=meeting.id, case_id=cases[0].id)
    findings = FindingTableModel()
    findings.set_lines(hearing.findings)
    assert findings.rowCount() > 0
    qtmodeltester.check(findings)
    actions = ActionTableModel()
    with db.session() as s:
        from marac_prep.core.actions import add_action

        add_action(s, actor=ws.coordinator, case_id=cases[0].id, agency_id=ws.agency["POL"].id, text="Visit weekly.")
        actions.set_lines(list_actions(s, meeting_id=meeting.id))
    qtmodeltester.check(actions)
    attendance = AttendanceTableModel()
    attendance.set_lines([AttendanceLine(1, "Bethan Rees", "chair", "Police", "present", None, True),
                          AttendanceLine(2, "Huw Price", "representative", "Housing", "apologies", True, False)])
    qtmodeltester.check(attendance)
    notes = CaseNoteTableModel()
    notes.set_lines([NoteLine(1, 1, datetime(2026, 11, 2, 9, 30).astimezone(), "Cora Ordinator", "Line one\nline two")])
    assert notes.data(notes.index(0, 2)) == "Line one line two"
    qtmodeltester.check(notes)


def test_attendance_dialog_adds_and_removes_lines(qtbot, agenda, messages):
    ws, db, meeting, _cases = agenda
    dialog = AttendanceDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(dialog)
    assert not dialog.add_line() and "name" in dialog.error.text()
    dialog.name.setText("Bethan Rees")
    dialog.role.setCurrentIndex(dialog.role.findData("chair"))
    dialog.agency.setCurrentIndex(dialog.agency.findData(ws.agency["POL"].id))
    dialog.confidentiality.setChecked(True)
    assert dialog.add_line()
    dialog.name.setText("Huw Price")
    dialog.agency.setCurrentIndex(dialog.agency.findData(ws.agency["HSG"].id))
    dialog.attendance.setCurrentIndex(dialog.attendance.findData("apologies"))
    assert dialog.information_sent.isEnabled() and not dialog.confidentiality.isEnabled()
    dialog.information_sent.setChecked(True)
    assert dialog.add_line()
    assert [(line.name, line.attendance) for line in dialog.model.lines] == [
        ("Bethan Rees", "present"), ("Huw Price", "apologies")]
    dialog.table.setCurrentIndex(dialog.model.index(0, 0))
    assert dialog.remove_selected()
    with db.read_session() as s:
        rows = list_attendance(s, meeting_id=meeting.id)
    assert [(r.person_name, r.information_sent) for r in rows] == [("Huw Price", True)]
    viewer = AttendanceDialog(db, ws.user("viewer"), meeting_id=meeting.id)
    qtbot.addWidget(viewer)
    assert not viewer.add_button.isEnabled() and not viewer.name.isEnabled()


def shows(qtbot, window, references: list[str]) -> None:
    """The case list shows these cases in this order, once its background read has come back."""
    qtbot.waitUntil(
        lambda: not window.case_list.running
        and [line.reference for line in window.meeting_view.model.lines] == references,
        timeout=30_000,
    )


def test_menu_moves_cases_through_the_agenda_and_onto_another_meeting(qtbot, agenda, temporary_settings, messages):
    ws, db, meeting, cases = agenda
    later = ws.meeting(21)
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(meeting.id)))
    shows(qtbot, window, ["MAR-MM-1", "MAR-MM-2", "MAR-MM-3"])
    window.meeting_view.select_case(cases[2].id)
    assert window.move_up_action.shortcut().toString() == "Ctrl+Shift+Up"
    window.move_up_action.trigger()
    shows(qtbot, window, ["MAR-MM-1", "MAR-MM-3", "MAR-MM-2"])
    assert window.meeting_view.current_case_id() == cases[2].id  # the moved case stays selected
    window.move_up_action.trigger()
    window.move_down_action.trigger()
    shows(qtbot, window, ["MAR-MM-1", "MAR-MM-3", "MAR-MM-2"])
    with db.read_session() as s:
        assert [c.reference for c in cases_for_meeting(s, meeting.id)] == ["MAR-MM-1", "MAR-MM-3", "MAR-MM-2"]
    messages.choice = 0  # the first other upcoming meeting: `later`
    window.meeting_view.select_case(cases[1].id)
    window.move_meeting_action.trigger()
    shows(qtbot, window, ["MAR-MM-1", "MAR-MM-3"])
    with db.read_session() as s:
        assert [c.reference for c in cases_for_meeting(s, later.id)] == ["MAR-MM-2"]
        assert [h.case_id for h in running_order(s, meeting_id=meeting.id)] == [cases[0].id, cases[2].id]


def test_meeting_mode_from_the_menu_opens_at_the_selected_case(qtbot, agenda, temporary_settings):
    ws, db, meeting, cases = agenda
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(meeting.id)))
    window.meeting_view.select_case(cases[1].id)
    assert window.meeting_mode_action.shortcut().toString() == "Ctrl+M"
    window.meeting_mode_action.trigger()
    mode = window.meeting_mode
    assert mode is not None and mode.isVisible()
    qtbot.waitUntil(lambda: mode.hearing is not None, timeout=20_000)
    assert mode.hearing.case_id == cases[1].id
    mode.close()


def test_case_notes_dialog(qtbot, agenda, messages):
    ws, db, _meeting, cases = agenda
    dialog = CaseNotesDialog(db, ws.coordinator, case_id=cases[0].id)
    qtbot.addWidget(dialog)
    assert not dialog.add_note() and "Write the note" in dialog.error.text()
    dialog.editor.setPlainText("Ask CSC about the school before the meeting.")
    assert dialog.add_note()
    dialog.table.setCurrentIndex(dialog.model.index(0, 0))
    dialog.editor.setPlainText("CSC confirmed the school.")
    assert dialog.update_note()
    with db.read_session() as s:
        assert [n.text for n in case_notes(s, actor=ws.coordinator, case_id=cases[0].id)] == [
            "CSC confirmed the school."]
    assert dialog.remove_note() and dialog.model.rowCount() == 0
    idva = ws.user("idva", "IDVA")
    ws.session.commit()
    CaseNotesDialog.edit_notes(None, db, idva, case_id=cases[0].id)  # refused: a sentence, no window
    assert messages.errors and "cannot read or write the coordinator's case notes" in messages.errors[-1][1]


def test_export_minutes_dialog_writes_what_meeting_mode_recorded(qtbot, agenda, tmp_path, messages, monkeypatch):
    ws, db, meeting, cases = agenda
    with db.session() as s:
        plan_hearing(s, actor=ws.coordinator, meeting_id=meeting.id, case_id=cases[0].id, agreed_risk_level="medium",
                     discussion_note="Fictional: the chair asked Housing for the tenancy file.")
    monkeypatch.setattr(MinutesDialog, "open_in_viewer", classmethod(lambda cls, path: True))
    dialog = MinutesDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(dialog)
    assert "agreed risk level recorded for 1, discussion note for 1" in dialog.summary.text()
    dialog.protect.setChecked(True)
    dialog.password.setText("short")
    dialog.password_again.setText("short")
    assert not dialog.start_export() and "password" in dialog.error.text()
    dialog.protect.setChecked(False)
    dialog.destination.setText(str(tmp_path / "minutes.pdf"))
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        assert dialog.start_export()
    assert dialog.result is not None and dialog.result.cases == 3
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "minutes.pdf").pages).split())
    assert "Agreed risk level: Medium" in text and "the chair asked Housing for the tenancy file" in text
    assert text.index("MAR-MM-1") < text.index("MAR-MM-2") < text.index("MAR-MM-3")
    assert any("Open them now?" in q for _t, q in messages.questions)


def test_pack_dialog_leaves_case_notes_out_unless_ticked(qtbot, agenda):
    from marac_prep.ui.pack_dialog import PackDialog

    ws, db, meeting, cases = agenda
    with db.session() as s:
        add_case_note(s, actor=ws.coordinator, case_id=cases[0].id, text="Private working note.")
    dialog = PackDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(dialog)
    assert not dialog.include_notes.isHidden() and not dialog.include_notes.isChecked()
    idva = ws.user("idva", "IDVA")
    ws.session.commit()
    theirs = PackDialog(db, idva, meeting_id=meeting.id)
    qtbot.addWidget(theirs)
    assert theirs.include_notes.isHidden()


def test_dash_dialog_saves_dont_know_sources_and_notes(qtbot, workspace):
    from marac_prep.ui.dash_dialog import DashDialog

    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.session.commit()
    dialog = DashDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(dialog)
    dialog.set_answer("injury", "yes")
    dialog.set_answer("stalking", "dont_know")
    dialog.sources["stalking"].setText("sister, by phone")
    dialog.notes.setPlainText("Victim seen alone; unsure whether the texts count as stalking.")
    dialog.agency.setCurrentIndex(dialog.agency.findData(ws.agency["IDVA"].id))
    assert dialog.save()
    with db.read_session() as s:
        assessment = s.exec(select(RiskAssessment)).one()
        from marac_prep.core.models import ChronologyEntry

        entry = s.exec(select(ChronologyEntry).where(ChronologyEntry.event_type == "risk_assessment")).one()
    assert assessment.answers["stalking"] == {"answer": "dont_know", "source": "sister, by phone"}
    assert assessment.score == 1 and assessment.notes.startswith("Victim seen alone")
    assert entry.detail == assessment.notes


def test_closing_saves_the_note_or_asks_before_losing_it(qtbot, agenda, messages):
    ws, db, meeting, cases = agenda
    mode = open_mode(qtbot, db, ws.coordinator, meeting.id)
    mode.note.setPlainText("Fictional: the chair will write to Housing.")
    assert mode.close()
    with db.read_session() as s:
        assert s.exec(select_hearing(meeting.id, cases[0].id)).one().discussion_note.startswith("Fictional")
    again = open_mode(qtbot, db, ws.coordinator, meeting.id)
    again.note.setPlainText("x" * 5000)  # too long to save
    messages.answer = False  # "Stay"
    assert not again.close() and again.isVisible()
    assert "too long" in again.saved_label.text()
    messages.answer = True  # "Close and lose it"
    assert again.close()
    with db.read_session() as s:
        assert s.exec(select_hearing(meeting.id, cases[0].id)).one().discussion_note.startswith("Fictional")


def test_time_slots_from_the_meeting_menu(qtbot, agenda, temporary_settings, monkeypatch):
    from marac_prep.pack.export import time_slots
    from marac_prep.ui.time_slots_dialog import TimeSlotsDialog

    ws, db, meeting, cases = agenda
    dialog = TimeSlotsDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(dialog)
    assert dialog.start.text() == "10:00" and dialog.minutes.value() == 15
    dialog.start.setText("9:3")
    assert not dialog.save() and "HH:MM" in dialog.error.text()
    dialog.start.setText("09:30")
    dialog.minutes.setValue(20)
    assert dialog.preview.text() == "3 cases: 09:30 to 10:30."
    assert dialog.save()
    with db.read_session() as s:
        assert [time_slots(s, meeting_id=meeting.id)[c.id] for c in cases] == [
            "09:30–09:50", "09:50–10:10", "10:10–10:30"]
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(meeting.id)))
    asked = []
    monkeypatch.setattr(TimeSlotsDialog, "plan", classmethod(lambda cls, *a, **k: asked.append(k) or True))
    assert window.time_slots_action.isEnabled()
    window.time_slots_action.trigger()
    assert asked == [{"meeting_id": meeting.id}]
    viewer = make_window(qtbot, db, ws.user("viewer"), temporary_settings)
    assert not viewer.time_slots_action.isEnabled() and not viewer.move_up_action.isEnabled()
