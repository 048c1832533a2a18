"""Reading the chronology: reading pane, copying rows, columns remembered, history, withdrawal, printing."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont, QGuiApplication

from marac_prep.core.chronology import edit_entry
from marac_prep.ui.chronology_model import RISK, SUMMARY
from marac_prep.ui.chronology_print import ChronologyPrinting
from marac_prep.ui.history_dialog import HistoryDialog
from marac_prep.ui.operations.entry import EntryInputs
from tests.ui.helpers import make_window, open_case

LONG = (
    "Police attended after a neighbour heard shouting; the victim had a cut above her eye and said the "
    "perpetrator had thrown a mug at her before leaving with the car keys."
)


def _case(ws):
    case = ws.case(ws.meeting())
    first = ws.entry(case, "POL", on=date(2025, 3, 1), summary=LONG, detail="Body-worn video retained.")
    ws.entry(case, "HSG", on=date(2025, 4, 2), summary="Repair visit: <b>front door</b> lock replaced.")
    ws.session.commit()
    return case, first


def test_the_reading_pane_shows_the_whole_entry(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case, first = _case(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    panel = window.case_view.chronology
    panel.select_entry(first.id)
    assert LONG in panel.reading.toPlainText() and "Body-worn video retained." in panel.reading.toPlainText()
    assert panel.reading.isVisible()
    panel.reading_action.setChecked(False)
    assert not panel.reading.isVisible()


def test_several_rows_copy_as_plain_text_and_an_html_table(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case, _first = _case(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    panel = window.case_view.chronology
    panel.table.selectAll()
    panel.column_actions[RISK].setChecked(False)
    panel.copy_action.trigger()
    data = QGuiApplication.clipboard().mimeData()
    lines = data.text().splitlines()
    assert lines[0].split("\t") == ["Date", "Agency", "Event type", "Summary", "Source"]
    assert len(lines) == 3 and LONG in data.text()
    assert "<table" in data.html() and "&lt;b&gt;front door&lt;/b&gt;" in data.html()


def test_hidden_and_moved_columns_and_wrapping_are_remembered(qtbot, workspace, tmp_path):
    ws, db = workspace
    case, _first = _case(ws)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = make_window(qtbot, db, ws.coordinator, settings)
    panel = window.case_view.chronology
    panel.column_actions[RISK].setChecked(False)
    panel.table.horizontalHeader().moveSection(SUMMARY, 0)
    panel.wrap_action.setChecked(True)
    window.close()
    again = make_window(qtbot, db, ws.coordinator, settings)
    open_case(qtbot, again, case.id)
    panel = again.case_view.chronology
    assert panel.table.horizontalHeader().isSectionHidden(RISK) and not panel.column_actions[RISK].isChecked()
    assert panel.visible_columns()[0] == SUMMARY
    assert panel.wrap_action.isChecked() and panel.table.wordWrap()
    assert panel.proxy.index(0, SUMMARY).data() == LONG  # the whole summary, not one cut line


def test_history_says_who_changed_what(qtbot, workspace):
    ws, db = workspace
    _, first = _case(ws)
    edit_entry(ws.session, actor=ws.coordinator, entry_id=first.id, expected_version=first.version,
               summary="Police attended; cut above the eye.")
    ws.session.commit()
    dialog = HistoryDialog(db, first.id)
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert text.startswith("Version 2 · Cora Ordinator") or "Version 2" in text.splitlines()[0]
    assert "Changed the summary from" in text and "“Police attended; cut above the eye.”" in text
    assert "Entry added." in text


def test_withdraw_with_a_reason_then_show_it_struck_through(qtbot, workspace, temporary_settings, monkeypatch):
    ws, db = workspace
    case, first = _case(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    panel = window.case_view.chronology
    panel.select_entry(first.id)
    monkeypatch.setattr(EntryInputs, "withdraw_reason", classmethod(lambda cls, parent, label: "Entered on the wrong case"))
    window.withdraw_action.trigger()
    assert panel.model.rowCount() == 1
    panel.show_withdrawn.setChecked(True)
    assert panel.model.rowCount() == 2
    row = panel.model.row_of_entry(first.id)
    index = panel.model.index(row, SUMMARY)
    assert index.data().startswith("[Withdrawn] ")
    font = index.data(6)  # FontRole
    assert isinstance(font, QFont) and font.strikeOut()
    assert "Entered on the wrong case" in index.data(3)


def test_print_preview_holds_the_rows_shown(qtbot, workspace, temporary_settings, monkeypatch):
    ws, db = workspace
    case, _first = _case(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    shown = []
    monkeypatch.setattr(ChronologyPrinting, "preview", classmethod(lambda cls, parent, doc: shown.append(doc)))
    window.case_view.chronology.search.setText("Repair")
    window.print_preview_action.trigger()
    text = shown[0].toPlainText()
    assert "Repair visit: <b>front door</b> lock replaced." in text and "thrown a mug" not in text
    assert case.reference in text


def _prints(db, case_id):
    from sqlmodel import select

    from marac_prep.core.models import AuditEvent

    with db.read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == "chronology.print",
                                                    AuditEvent.case_id == case_id)).all())


def test_printing_is_audited_when_the_user_prints_not_when_a_preview_opens(
    qtbot, workspace, temporary_settings, monkeypatch
):
    """Who saw what (issue 13, section 5): a printed chronology leaves the app like an export."""
    ws, db = workspace
    case, _first = _case(ws)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    printed = {"print": False, "preview": False}
    monkeypatch.setattr(ChronologyPrinting, "preview", classmethod(lambda cls, parent, doc: printed["preview"]))
    monkeypatch.setattr(ChronologyPrinting, "print", classmethod(lambda cls, parent, doc: printed["print"]))
    window.print_preview_action.trigger()  # looked at, closed
    window.print_action.trigger()  # the print dialog cancelled
    assert _prints(db, case.id) == []
    window.case_view.chronology.search.setText("Repair")
    printed["preview"] = True  # printed from the preview
    window.print_preview_action.trigger()
    printed["print"] = True
    window.case_view.chronology.search.setText("")
    window.print_action.trigger()
    events = _prints(db, case.id)
    assert [(e.object_type, e.object_id, e.user_id) for e in events] == [("case", case.id, ws.coordinator.id)] * 2
    assert [e.details for e in events] == [{"entries": 1, "filtered": True}, {"entries": 2, "filtered": False}]
