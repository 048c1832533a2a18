"""The returns tab: actions keep their dates, ask before replacing answers, undo, bulk request, notes."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from sqlmodel import select

from marac_prep.core.models import AgencyReturn
from marac_prep.core.returns import set_return
from marac_prep.ui.entry_dialog import EntryDialog
from marac_prep.ui.operations.interchange import ExportFiles
from marac_prep.ui.operations.returns import ReturnInputs
from tests.ui.helpers import make_window, open_case

EARLIER = date.today() - timedelta(days=12)


def _records(db, case_id):
    with db.read_session() as s:
        return {r.agency_id: r for r in s.exec(select(AgencyReturn).where(AgencyReturn.case_id == case_id))}


def _returns_window(qtbot, ws, db, settings):
    case = ws.case(ws.meeting())
    set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
               status="requested", on=EARLIER)
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, settings)
    open_case(qtbot, window, case.id)
    panel = window.case_view.returns
    window.case_view.tabs.setCurrentWidget(panel)
    return case, window, panel


def _click(qtbot, window, button):
    with qtbot.waitSignal(window.case_view.loaded, timeout=20_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_nothing_known_then_undo_puts_the_dates_back(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case, window, panel = _returns_window(qtbot, ws, db, temporary_settings)
    hsg = ws.agency["HSG"].id
    panel.select_agency(hsg)
    assert not panel.undo_button.isEnabled()
    _click(qtbot, window, panel.nothing_button)
    record = _records(db, case.id)[hsg]
    assert (record.status, record.requested_on, record.returned_on) == ("nothing_known", EARLIER, date.today())
    assert panel.undo_button.isEnabled() and "Housing" in panel.undo_button.toolTip()
    _click(qtbot, window, panel.undo_button)
    record = _records(db, case.id)[hsg]
    assert (record.status, record.requested_on, record.returned_on) == ("requested", EARLIER, None)
    assert not panel.undo_button.isEnabled()


def test_replacing_an_answer_is_asked_and_keeps_the_request_date(qtbot, workspace, temporary_settings, messages):
    ws, db = workspace
    case, window, panel = _returns_window(qtbot, ws, db, temporary_settings)
    hsg = ws.agency["HSG"].id
    panel.select_agency(hsg)
    _click(qtbot, window, panel.nothing_button)
    panel.select_agency(hsg)
    messages.answer = False  # "Keep the answer"
    qtbot.mouseClick(panel.request_button, Qt.MouseButton.LeftButton)
    assert messages.questions and "already answered" in messages.questions[-1][1]
    assert _records(db, case.id)[hsg].status == "nothing_known"
    messages.answer = True
    _click(qtbot, window, panel.request_button)
    record = _records(db, case.id)[hsg]
    assert (record.status, record.requested_on, record.returned_on) == ("requested", EARLIER, None)


def test_several_agencies_requested_then_chased_at_once(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case, window, panel = _returns_window(qtbot, ws, db, temporary_settings)
    chosen = [ws.agency[c].id for c in ("POL", "MH", "IDVA")]
    panel.select_agencies(chosen)
    assert panel.request_button.isEnabled()
    assert not panel.chase_button.isEnabled()  # never asked: cannot have been chased
    assert not panel.nothing_button.isEnabled()  # an answer is one agency's
    _click(qtbot, window, panel.request_button)
    records = _records(db, case.id)
    assert all(records[a].status == "requested" and records[a].requested_on == date.today() for a in chosen)
    panel.select_agencies(chosen)
    assert panel.chase_button.isEnabled()
    _click(qtbot, window, panel.chase_button)
    records = _records(db, case.id)
    assert all(records[a].status == "chased" and records[a].chase_count == 1 for a in chosen)
    assert records[ws.agency["HSG"].id].chased_on is None  # not selected, not changed


def test_declined_with_its_reason_and_an_editable_note(qtbot, workspace, temporary_settings, monkeypatch):
    ws, db = workspace
    case, window, panel = _returns_window(qtbot, ws, db, temporary_settings)
    edu = ws.agency["HSG"].id
    monkeypatch.setattr(ReturnInputs, "declined_reason", classmethod(lambda cls, parent, agency: "No consent."))
    panel.select_agency(edu)
    _click(qtbot, window, panel.declined_button)
    record = _records(db, case.id)[edu]
    assert (record.status, record.note) == ("declined", "No consent.")
    monkeypatch.setattr(ReturnInputs, "note", classmethod(lambda cls, parent, agency, current: current + " Asked again."))
    panel.select_agency(edu)
    _click(qtbot, window, panel.note_button)
    assert _records(db, case.id)[edu].note == "No consent. Asked again."
    line = next(li for li in panel.model.lines if li.agency_id == edu)
    assert line.note == "No consent. Asked again." and line.status == "declined"


def test_an_entry_for_a_nothing_known_agency_asks_first(qtbot, workspace, messages):
    ws, db = workspace
    case = ws.case(ws.meeting())
    set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
               status="nothing_known")
    ws.session.commit()
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(dialog)
    from marac_prep.ui.forms import select_data

    select_data(dialog.agency, ws.agency["HSG"].id)
    dialog.date.edit.setText("02/03/2025")
    dialog.summary.setPlainText("Repair visit: the back door lock was replaced.")
    messages.answer = False
    assert not dialog.save()
    assert "nothing known" in messages.questions[-1][1]
    assert _records(db, case.id)[ws.agency["HSG"].id].status == "nothing_known"
    messages.answer = True
    assert dialog.save()
    assert _records(db, case.id)[ws.agency["HSG"].id].status == "returned"


def test_writing_research_requests_offers_to_mark_them_requested(
    qtbot, workspace, temporary_settings, monkeypatch, tmp_path, messages
):
    ws, db = workspace
    meeting = ws.meeting()
    case = ws.case(meeting)
    ws.session.commit()
    monkeypatch.setattr(ExportFiles, "templates_folder", classmethod(lambda cls, parent: tmp_path))
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.templates_action.trigger()
    qtbot.waitUntil(lambda: "marked as requested" in window.statusBar().currentMessage(), timeout=20_000)
    assert any("Mark the agencies asked" in text for _title, text in messages.questions)
    records = _records(db, case.id)
    assert records and all(r.status == "requested" for r in records.values())
