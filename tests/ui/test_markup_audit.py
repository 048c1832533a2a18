"""Markup audit of the newer windows: hostile user text is shown, exported and printed literally.

Every user-text field these windows show (action text, owner and outcome, discussion notes, names,
agency names, case notes, attendance names) holds markup; the widgets must show it as typed
(labels in PlainText, tooltips escaped, button texts with "&" doubled) and the files written from
them must carry it as typed (ReportLab paragraphs escaped, spreadsheet cells formula-guarded).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import openpyxl
import pypdf
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStyledItemDelegate,
    QTextEdit,
    QWidget,
)

from marac_prep.analysis.stats import Quarter
from marac_prep.core.actions import add_action, export_tracking_form, report_status
from marac_prep.core.agencies import add_agency
from marac_prep.core.attendance import plan_hearing, record_attendance
from marac_prep.core.case_notes import add_case_note
from marac_prep.core.cases import PersonInput, create_case
from marac_prep.core.meetings import create_meeting
from marac_prep.interchange.statistics import export_statistics_xlsx
from marac_prep.pack.minutes import export_minutes
from marac_prep.pack.statistics import export_statistics_pdf
from marac_prep.ui.actions_view import ActionsView, EditActionDialog, StatusDialog
from marac_prep.ui.attendance_dialog import AttendanceDialog
from marac_prep.ui.case_notes_dialog import CaseNotesDialog
from marac_prep.ui.meeting_mode import MeetingModeWindow
from marac_prep.ui.minutes_dialog import MinutesDialog
from marac_prep.ui.statistics_view import StatisticsView
from marac_prep.ui.time_slots_dialog import TimeSlotsDialog

HOSTILE = "<b>bold</b> <img src=x> &amp; & <a href=x>link</a>"
# What must show literally wherever the text is shown (pieces, as PDF text extraction may wrap).
PIECES = ("<b>bold</b>", "<img src=x>", "&amp; &", "<a href=x>link</a>")


def hostile(field: str) -> str:
    """A field's hostile text, tagged so each field can be found on screen and in files."""
    return f"{field} {HOSTILE}"


FIELDS = {
    "action": hostile("Fit a door chain"),
    "owner": hostile("Huw"),
    "outcome": hostile("Done it"),
    "note": hostile("Discussed"),
    "victim": hostile("Alys PRITCHARD"),
    "agency": hostile("Odd agency"),
    "case note": hostile("Call back"),
    "attendee": hostile("Bethan"),
    "apology": hostile("Rhys"),
}


@pytest.fixture
def hostile_meeting(workspace):
    """A meeting today with one case where every user-text field holds markup."""
    ws, db = workspace
    s, coordinator = ws.session, ws.coordinator
    odd = add_agency(s, actor=coordinator, name=FIELDS["agency"], short_code="ODD", category="every_case")
    meeting = create_meeting(s, actor=coordinator, meeting_date=date.today())
    case = create_case(
        s, actor=coordinator, reference="MAR-HOST-1", referral_date=date.today() - timedelta(days=10),
        referring_agency_id=odd.id, meeting_id=meeting.id, criteria=["visible_high_risk"], dash_score=15,
        people=[PersonInput(role="victim", name=FIELDS["victim"], date_of_birth=date(1990, 4, 3), gender="female"),
                PersonInput(role="perpetrator", name="Gethin MORRIS", date_of_birth=date(1987, 9, 21))],
    )
    record_attendance(s, actor=coordinator, meeting_id=meeting.id, person_name=FIELDS["attendee"],
                      agency_id=odd.id, confidentiality_agreed=True)
    record_attendance(s, actor=coordinator, meeting_id=meeting.id, person_name=FIELDS["apology"],
                      attendance="apologies", agency_id=odd.id, information_sent=True)
    plan_hearing(s, actor=coordinator, meeting_id=meeting.id, case_id=case.id, agreed_risk_level="high",
                 discussion_note=FIELDS["note"], start_time="10:00")
    action = add_action(s, actor=coordinator, case_id=case.id, agency_id=odd.id, text=FIELDS["action"],
                        owner=FIELDS["owner"], due_date=date.today() + timedelta(days=7))
    done = add_action(s, actor=coordinator, case_id=case.id, agency_id=odd.id, text="=HYPERLINK(\"http://x\",\"y\")",
                      owner="=HYPERLINK(\"http://x\")", due_date=date.today() + timedelta(days=7))
    report_status(s, actor=coordinator, action_id=done.id, expected_version=done.version, status="done",
                  done_on=date.today(), outcome=FIELDS["outcome"])
    add_case_note(s, actor=coordinator, case_id=case.id, text=FIELDS["case note"])
    s.commit()
    return ws, db, meeting, case, action


# --- the widgets ---------------------------------------------------------------------------------


def _model_texts(view: QAbstractItemView) -> tuple[list[str], list[str]]:
    """Every cell's display text and tooltip (top-level rows, every column)."""
    model = view.model()
    shown, tips = [], []
    if model is None:
        return shown, tips
    for row in range(model.rowCount(QModelIndex())):
        for column in range(model.columnCount(QModelIndex())):
            index = model.index(row, column)
            shown.append(str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
            tips.append(str(index.data(Qt.ItemDataRole.ToolTipRole) or ""))
    return shown, tips


def _in_combo_box(widget: QWidget) -> bool:
    """A combo box's own popup list (its items are checked through the combo box)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False


def shown_literally(window: QWidget) -> str:
    """Checks every widget in `window` that could interpret user text; returns all text shown.

    Fails on a label in rich or auto format holding the hostile text, a tooltip or status tip
    that holds it unescaped (Qt guesses rich text for tooltips), a button or group box whose
    "&" would become a mnemonic, and an item delegate that is not Qt's plain one.
    """
    problems: list[str] = []
    shown: list[str] = [window.windowTitle()]
    for widget in [window, *window.findChildren(QWidget)]:
        name = f"{type(widget).__name__} {widget.objectName() or widget.accessibleName()!r}"
        for tip in (widget.toolTip(), widget.statusTip(), widget.whatsThis()):
            if "<b>bold</b>" in tip or "<img src=x>" in tip:
                problems.append(f"{name}: tooltip shows markup: {tip!r}")
        if isinstance(widget, QLabel):
            shown.append(widget.text())
            if "bold</b>" in widget.text() and widget.textFormat() != Qt.TextFormat.PlainText:
                problems.append(f"{name}: label in {widget.textFormat()} shows {widget.text()!r}")
        elif isinstance(widget, QAbstractButton | QGroupBox):
            text = widget.text() if isinstance(widget, QAbstractButton) else widget.title()
            if "bold</b>" in text:
                shown.append(text.replace("&&", "&"))
                if "&" in text.replace("&&", ""):
                    problems.append(f"{name}: '&' in {text!r} becomes a mnemonic")
        elif isinstance(widget, QLineEdit):
            shown.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            shown.append(widget.toPlainText())
        elif isinstance(widget, QTextEdit):
            if widget.acceptRichText() and "bold</b>" in widget.toHtml() and "&lt;b&gt;" not in widget.toHtml():
                problems.append(f"{name}: rich text edit interprets {widget.toPlainText()!r}")
            shown.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            shown += [widget.itemText(i) for i in range(widget.count())]
        if isinstance(widget, QAbstractItemView) and widget.model() is not None and not _in_combo_box(widget):
            texts, tips = _model_texts(widget)
            shown += texts
            problems += [f"{name}: cell tooltip shows markup: {t!r}" for t in tips if "<b>bold</b>" in t]
            delegate = widget.itemDelegate()
            if not isinstance(widget, QHeaderView) and type(delegate) is not QStyledItemDelegate:
                problems.append(f"{name}: an item delegate ({type(delegate).__name__}) may paint rich text")
    assert problems == []
    return "\n".join(shown)


def assert_shows(text: str, *fields: str) -> None:
    for field in fields:
        assert FIELDS[field] in text, f"{field} is not shown as typed"


def test_meeting_mode_shows_user_text_as_typed(qtbot, hostile_meeting):
    ws, db, meeting, _case, _action = hostile_meeting
    mode = MeetingModeWindow(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(mode)
    with qtbot.waitSignal(mode.case_shown, timeout=20_000):
        mode.show()
    text = shown_literally(mode)
    assert_shows(text, "action", "owner", "note", "victim", "agency")


def test_the_actions_window_and_its_dialogs_show_user_text_as_typed(qtbot, hostile_meeting):
    ws, db, _meeting, _case, action = hostile_meeting
    view = ActionsView(db, ws.coordinator)
    qtbot.addWidget(view)
    view.show()
    view.load()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=20_000)
    for row in range(view.model.rowCount()):
        view.table.setCurrentIndex(view.model.index(row, 0))
        text = shown_literally(view)
    assert_shows(text, "action", "owner", "agency", "outcome")
    for line in view.model.lines:
        for dialog_class in (StatusDialog, EditActionDialog):
            dialog = dialog_class(db, ws.coordinator, line, view)
            qtbot.addWidget(dialog)
            dialog.show()
            shown = shown_literally(dialog)
            if line.id == action.id:
                assert_shows(shown, "action")


def test_statistics_shows_agency_names_as_typed(qtbot, hostile_meeting):
    ws, db, *_ = hostile_meeting
    view = StatisticsView(db, ws.coordinator)
    qtbot.addWidget(view)
    view.show()
    view.load()
    qtbot.waitUntil(lambda: view.result is not None, timeout=20_000)
    shown_literally(view)
    assert FIELDS["agency"] in view.result.total.referrals_by_agency
    # The referrals chart names the agency on its axis: drawn as text, never parsed as HTML.
    ticks = view.referrals_chart.getAxis("left")._tickLevels  # what the axis was given to draw
    assert any(FIELDS["agency"][:24] == label for level in ticks for _pos, label in level)


def test_the_meeting_dialogs_show_user_text_as_typed(qtbot, hostile_meeting):
    ws, db, meeting, case, _action = hostile_meeting
    attendance = AttendanceDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(attendance)
    attendance.show()
    assert_shows(shown_literally(attendance), "attendee", "apology", "agency")
    notes = CaseNotesDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(notes)
    notes.show()
    notes.table.setCurrentIndex(notes.model.index(0, 0))
    assert_shows(shown_literally(notes), "case note")
    slots = TimeSlotsDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(slots)
    slots.show()
    shown_literally(slots)
    minutes = MinutesDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(minutes)
    minutes.show()
    shown_literally(minutes)


def test_the_audit_walker_catches_an_auto_format_label(qtbot):
    # The walker itself can fail: a QLabel left in its default (auto) format is caught.
    window = QWidget()
    qtbot.addWidget(window)
    QLabel(FIELDS["note"], window)
    with pytest.raises(AssertionError, match="label in"):
        shown_literally(window)


# --- the files -------------------------------------------------------------------------------------


def _pdf_text(path) -> str:
    text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


def _assert_pieces(text: str, what: str) -> None:
    for piece in PIECES:
        assert piece in text, f"{what}: {piece!r} not written as typed"


def test_the_minutes_pdf_holds_user_text_as_typed(hostile_meeting, tmp_path):
    ws, db, meeting, *_ = hostile_meeting
    out = tmp_path / "minutes.pdf"
    with db.session() as session:
        export_minutes(session, actor=ws.coordinator, meeting_id=meeting.id, destination=out)
    text = _pdf_text(out)
    for field in ("action", "owner", "note", "attendee", "apology", "agency"):
        tag = FIELDS[field].removesuffix(HOSTILE).strip()
        assert tag in text, field
    _assert_pieces(text, "minutes")
    assert text.count("<b>bold</b>") >= 6  # action, owner, note, two names, the agency


def test_statistics_files_hold_agency_names_as_typed(hostile_meeting, tmp_path):
    ws, db, meeting, *_ = hostile_meeting
    quarter = Quarter.of(meeting.meeting_date)
    with db.session() as session:
        export_statistics_pdf(session, actor=ws.coordinator, quarter=quarter, destination=tmp_path / "s.pdf")
    with db.session() as session:
        export_statistics_xlsx(session, actor=ws.coordinator, quarter=quarter, path=tmp_path / "s.xlsx")
    # The chart's axis cuts long names (28 characters); the agency's whole name is in the table.
    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    referrals = [row[0] for row in book["Referrals by agency"].iter_rows(values_only=True)]
    assert FIELDS["agency"] in referrals
    pdf = _pdf_text(tmp_path / "s.pdf")
    assert FIELDS["agency"][:28].strip() in pdf


def test_the_tracking_form_holds_user_text_as_typed_and_formulas_as_text(hostile_meeting, tmp_path):
    ws, db, meeting, *_ = hostile_meeting
    with db.session() as session:
        export_tracking_form(session, actor=ws.coordinator, path=tmp_path / "t.xlsx", meeting_id=meeting.id)
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    cells = [c for row in book.active.iter_rows(min_row=2, values_only=True) for c in row if c]
    assert FIELDS["action"] in cells and FIELDS["owner"] in cells and FIELDS["agency"] in cells
    assert any(FIELDS["outcome"] in c for c in cells)
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in cells)
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells
