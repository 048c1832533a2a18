"""The last look's small faults (issue 17): hints cut off, a column cut off, an action with nowhere to go."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QStyle, QStyleOptionFrame

from marac_prep.core.attendance import move_case_to_meeting
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import Case
from marac_prep.core.people import SearchHit
from marac_prep.ui.operations.agenda import NO_OTHER_MEETING
from marac_prep.ui.person_search import WHY, PersonSearchDialog
from tests.ui.helpers import make_window, open_case

# QLineEdit keeps this many pixels clear on each side of its text (QLineEditPrivate::horizontalMargin).
_LINE_EDIT_MARGIN = 2


def _text_room(field: QLineEdit) -> int:
    """The width the line edit's style leaves for its text, as it paints it."""
    option = QStyleOptionFrame()
    option.initFrom(field)
    option.rect = field.rect()
    option.lineWidth = field.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, option, field)
    contents = field.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, field)
    margins = field.textMargins()
    return contents.width() - margins.left() - margins.right() - 2 * _LINE_EDIT_MARGIN


def test_the_chronology_date_hints_are_shown_whole_on_a_laptop_screen(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.resize(1366, 768)
    open_case(qtbot, window, case.id)
    assert window.width() <= 1366  # the fields' room does not widen the window past the screen
    panel = window.case_view.chronology
    for field in (panel.search, panel.date_from, panel.date_to):
        assert field.isVisible() and not field.text()
        needed = field.fontMetrics().horizontalAdvance(field.placeholderText())
        assert _text_room(field) >= needed, (field.placeholderText(), _text_room(field), needed)


def _hit(reasons: tuple[str, ...]) -> SearchHit:
    return SearchHit(
        person_id=1, case_id=7, reference="MAR-2025-0042", meeting_date=date(2025, 6, 3),
        referral_date=date(2025, 5, 20), role="victim", name="Aoife BRENNAN", aliases=(),
        date_of_birth=date(1990, 1, 2), score=0.8, reasons=reasons,
    )


def test_person_search_shows_every_reason_why_whole(qtbot, db, qtmodeltester):
    reasons = (
        "the same date of birth (02/01/1990)",
        "the surname sounds alike (Brennan, Brennan)",
        "a first name that sounds alike but is spelled differently (Aoife, Eefa) <b>not bold</b>",
    )
    dialog = PersonSearchDialog(db)
    qtbot.addWidget(dialog)
    dialog.resize(900, 460)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.model.set_lines([_hit(reasons)])
    qtmodeltester.check(dialog.model, force_py=True)
    why = dialog.model.index(0, WHY)
    tip = why.data(Qt.ItemDataRole.ToolTipRole)
    for reason in reasons:  # each reason whole, shown literally (escaped for the tooltip's rich text)
        assert reason.replace("<", "&lt;").replace(">", "&gt;") in tip
    assert "<b>" not in tip
    header = dialog.table.horizontalHeader()
    # The column takes the dialog's spare width, and the row grows so the wrapped reasons show whole.
    assert header.sectionResizeMode(WHY) == header.ResizeMode.Stretch
    assert dialog.table.wordWrap()
    text = why.data()
    qtbot.waitUntil(lambda: dialog.table.rowHeight(0) > dialog.fontMetrics().height() * 2)
    width = dialog.table.columnWidth(WHY)
    needed = dialog.fontMetrics().boundingRect(0, 0, width - 8, 10_000, Qt.TextFlag.TextWordWrap, text).height()
    assert dialog.table.rowHeight(0) >= needed, (dialog.table.rowHeight(0), needed)


def test_move_to_another_meeting_is_disabled_with_the_reason_when_there_is_none(
    qtbot, workspace, temporary_settings, messages
):
    ws, db = workspace
    meeting = ws.meeting()
    case = ws.case(meeting)
    ws.meeting(-30)  # a meeting already held is nowhere to move a case to
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(meeting.id)))
    window.meeting_view.select_case(case.id)
    action = window.move_meeting_action
    assert not action.isEnabled()
    assert action.statusTip() == NO_OTHER_MEETING
    action.trigger()  # a disabled action does nothing, and nothing is asked
    assert messages.questions == [] and messages.infos == []

    later = ws.meeting(14)
    ws.session.commit()
    window.refresh_meetings()
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(meeting.id)))
    qtbot.waitUntil(action.isEnabled)
    assert "no other" not in action.statusTip()
    # From the later meeting, the first one is somewhere to go: enabled there too.
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(later.id)))
    qtbot.waitUntil(action.isEnabled)


def test_the_service_refuses_a_meeting_already_held_in_a_sentence(session, ws):
    meeting, held = ws.meeting(), ws.meeting(-30)
    case = ws.case(meeting)
    with pytest.raises(ValidationError, match=r"has already been held; a case can only move onto an upcoming"):
        move_case_to_meeting(session, actor=ws.coordinator, case_id=case.id, meeting_id=held.id,
                             expected_version=session.get(Case, case.id).version)
    assert session.get(Case, case.id).meeting_id == meeting.id
    with pytest.raises(ValidationError, match="already on the meeting of"):
        move_case_to_meeting(session, actor=ws.coordinator, case_id=case.id, meeting_id=meeting.id,
                             expected_version=session.get(Case, case.id).version)


def test_the_actions_window_shows_every_column_on_a_laptop_screen(qtbot, workspace):
    # At 1366 wide the window is 1280 (ui/operations/actions.py); "Reported" was scrolled off to the right.
    from datetime import timedelta

    from marac_prep.core.actions import add_action, report_status
    from marac_prep.ui.actions_view import ActionsView

    ws, db = workspace
    case = ws.case(ws.meeting(-10), reference="MAR-2026-00001")
    done = add_action(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                      owner="PC Dafydd Evans", text="Flag the victim's address for an urgent response.",
                      due_date=date.today() - timedelta(days=3), protects=["victim", "child"])
    report_status(ws.session, actor=ws.coordinator, action_id=done.id, expected_version=done.version,
                  status="done", done_on=date.today() - timedelta(days=4), outcome="Address flagged.")
    add_action(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["PROB"].id,
               owner="Carys Morgan", text="Review the perpetrator's licence conditions with the offender manager.",
               due_date=date.today() - timedelta(days=1), protects=["perpetrator"])
    ws.session.commit()
    view = ActionsView(db, ws.coordinator)
    qtbot.addWidget(view)
    view.resize(1280, 708)
    view.show()
    view.load()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=20_000)
    header = view.table.horizontalHeader()
    columns = view.model.columnCount()
    assert header.length() <= view.table.viewport().width(), [header.sectionSize(c) for c in range(columns)]
    assert not view.table.horizontalScrollBar().isVisible()
