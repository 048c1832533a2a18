"""What the walk-through at 1366×768 and 200 % found (tools/screenshots.py), each pinned by a test."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent

from tests.ui.helpers import make_window, open_case


def _fits(widget) -> bool:
    room = widget.screen().availableGeometry()
    return widget.width() <= room.width() and widget.height() <= room.height()


def test_statistics_opens_again_after_it_was_closed(qtbot, workspace, temporary_settings):
    # Closing deletes the window; the second opening used to touch the deleted one and fail.
    ws, db = workspace
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.statistics_action.trigger()
    first = window._statistics_window
    qtbot.waitUntil(lambda: first.result is not None, timeout=20_000)
    first.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    window.statistics_action.trigger()
    second = window._statistics_window
    assert second is not first and second.isVisible()
    qtbot.waitUntil(lambda: second.result is not None, timeout=20_000)
    second.close()


def test_separate_windows_fit_the_screen(qtbot, workspace, temporary_settings):
    ws, db = workspace
    meeting = ws.meeting()
    ws.case(meeting)
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.meetings.setCurrentIndex(window.meetings_model.index(window.meetings_model.row_of(meeting.id)))
    window.meeting_mode_action.trigger()
    mode = window.meeting_mode
    assert mode is not None and _fits(mode), mode.size()
    qtbot.waitUntil(lambda: mode.hearing is not None, timeout=20_000)
    mode.close()
    window.statistics_action.trigger()
    stats = window._statistics_window
    assert _fits(stats), stats.size()
    qtbot.waitUntil(lambda: stats.result is not None, timeout=20_000)
    stats.close()
    window.audit_action.trigger()
    audit = window._audit_window
    assert _fits(audit), audit.size()
    audit.close()


def test_withdraw_says_who_may_before_asking_for_a_reason(qtbot, workspace, temporary_settings, monkeypatch, messages):
    # An Idva may withdraw her own service's entries; on a police entry she was asked for a reason
    # and then refused ("Not allowed"). Now she is told at once, and nothing is asked.
    from datetime import date

    from marac_prep.ui.operations.entry import EntryInputs

    ws, db = workspace
    case = ws.case(ws.meeting())
    police = ws.entry(case, "POL", on=date(2025, 3, 1))
    idva = ws.user("idva", "IDVA")
    ws.session.commit()
    asked: list[str] = []
    monkeypatch.setattr(EntryInputs, "withdraw_reason", classmethod(lambda cls, parent, label: asked.append(label)))
    window = make_window(qtbot, db, idva, temporary_settings)
    open_case(qtbot, window, case.id)
    window.case_view.chronology.select_entry(police.id)
    window.withdraw_action.trigger()
    assert asked == [] and messages.errors == []
    assert messages.infos and "Police" in messages.infos[-1][1] and "coordinator" in messages.infos[-1][1]


def test_disabled_fields_and_a_disabled_default_button_look_unavailable(qtbot):
    # A read-only dialog's default button (Save, Add to the list) used to stay blue when disabled,
    # and disabled lists looked like editable ones.
    from PySide6.QtWidgets import QComboBox, QDialog, QPushButton, QVBoxLayout

    from marac_prep.ui.app import stylesheet

    dialogs: list[QDialog] = []  # kept alive for the test's length

    def shown(*, enabled: bool) -> tuple[QPushButton, QComboBox]:
        # One dialog each: a dialog has a single default button.
        dialog = QDialog()
        dialogs.append(dialog)
        qtbot.addWidget(dialog)
        dialog.setStyleSheet(stylesheet())
        layout = QVBoxLayout(dialog)
        button, combo = QPushButton("", dialog), QComboBox(dialog)
        layout.addWidget(button)
        layout.addWidget(combo)
        button.setDefault(True)
        button.setEnabled(enabled)
        combo.setEnabled(enabled)
        dialog.show()
        qtbot.waitExposed(dialog)
        return button, combo

    enabled, combo_on = shown(enabled=True)
    disabled, combo_off = shown(enabled=False)

    def middle(widget):
        image = widget.grab().toImage()
        return image.pixelColor(image.width() // 2, image.height() // 2).name()

    assert middle(enabled) == "#1f4e8c"
    assert middle(disabled) != middle(enabled)
    assert middle(combo_off) != middle(combo_on)


def test_a_long_findings_summary_does_not_widen_the_window(qtbot):
    # A demo case's summary ("5 high: referral lost, referral not made, …") widened the main window
    # from 1366 to 1480 pixels when the Findings tab was shown.
    from marac_prep.ui.findings_panel import FindingsPanel

    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.summary.setText("5 high: referral lost, referral not made, counter-allegation pattern, escalation, " * 4)
    panel.show()
    assert panel.minimumSizeHint().width() < 700


def test_meeting_mode_a_week_ahead_names_the_slot_without_counting_minutes_over():
    # Preparing on 30 Nov for the meeting of 7 Dec, the demo showed "slot 10:00–10:15 · 137 min over".
    from datetime import date, datetime

    from marac_prep.ui.meeting_mode import clock_text, is_over_time

    shown = datetime(2026, 11, 30, 12, 17)
    early = clock_text(datetime(2026, 11, 30, 12, 32), "10:00", 15, shown, date(2026, 12, 7))
    assert early == "12:32 · slot 10:00–10:15 on Mon 07 Dec" and not is_over_time(early)
    on_the_day = clock_text(datetime(2026, 12, 7, 10, 20), "10:00", 15, shown, date(2026, 12, 7))
    assert on_the_day.endswith("5 min over") and is_over_time(on_the_day)


def test_a_read_only_entry_shows_its_summary_greyed(qtbot, workspace, qapp):
    # A viewer's entry dialog greyed the other fields but left Summary and Detail white, as if editable.
    from datetime import date

    from marac_prep.ui.app import stylesheet
    from marac_prep.ui.entry_dialog import EntryDialog

    ws, db = workspace
    case = ws.case(ws.meeting())
    entry = ws.entry(case, "POL", on=date(2025, 3, 1))
    viewer = ws.user("viewer")
    ws.session.commit()
    before = qapp.styleSheet()
    qapp.setStyleSheet(stylesheet())
    try:
        dialog = EntryDialog(db, viewer, case_id=case.id, entry_id=entry.id)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.read_only and dialog.summary.isReadOnly()
        for field in (dialog.summary, dialog.detail):
            image = field.grab().toImage()
            assert image.pixelColor(image.width() - 8, image.height() - 8).name() != "#ffffff"
    finally:
        qapp.setStyleSheet(before)


def test_spin_boxes_draw_their_arrows(qtbot, qapp):
    # With a border from the stylesheet Qt drew no up/down arrows (the Dash score, Minutes per case).
    from PySide6.QtWidgets import QSpinBox

    from marac_prep.ui.app import stylesheet

    before = qapp.styleSheet()
    qapp.setStyleSheet(stylesheet())
    try:
        box = QSpinBox()
        qtbot.addWidget(box)
        box.setRange(0, 24)
        box.setValue(12)
        box.resize(120, 30)
        box.show()
        qtbot.waitExposed(box)
        image = box.grab().toImage()

        def dark_in_row(y: int) -> int:
            return sum(
                max(image.pixelColor(x, y).red(), image.pixelColor(x, y).green(), image.pixelColor(x, y).blue()) < 90
                for x in range(image.width() - 18, image.width() - 3)
            )

        # An arrow is a small triangle: rows of a few dark pixels (not a border line across the button).
        arrow_rows = [y for y in range(image.height()) if 1 <= dark_in_row(y) <= 8]
        middle = image.height() // 2
        assert any(y < middle for y in arrow_rows) and any(y > middle for y in arrow_rows), arrow_rows
    finally:
        qapp.setStyleSheet(before)


def test_the_audit_trail_says_the_meetings_events_in_words():
    # The audit window showed "cases: [5, 3, 4, 7, 2, 1, 8, 6]" and "agency id: None; db login: None; …".
    from marac_prep.ui.audit_view import details_in_words

    assert details_in_words("hearing.reorder", {"cases": [5, 3, 4]}) == "Changed the running order of 3 cases."
    created = details_in_words(
        "user.create", {"role": "agency_rep", "agency_id": 1, "os_account": True, "passphrase": False, "db_login": None},
        {1: "Police"},
    )
    assert created == "Created a profile: Agency representative at Police, proved by their account on this computer."
    assert details_in_words("attendance.record", {"meeting_id": 1, "attendance": "apologies", "role": "chair"}) == (
        "Recorded a chair as apologies."
    )
    assert "None" not in details_in_words("demo.generate", {"cases": 8, "entries": 192, "seed": 1})


def test_empty_attendance_and_case_notes_say_what_to_do_next(qtbot, workspace, messages):
    from marac_prep.ui.attendance_dialog import AttendanceDialog
    from marac_prep.ui.case_notes_dialog import CaseNotesDialog

    ws, db = workspace
    meeting = ws.meeting()
    case = ws.case(meeting)
    viewer = ws.user("viewer")
    ws.session.commit()
    attendance = AttendanceDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(attendance)
    assert not attendance.empty.isHidden() and "Add to the list" in attendance.empty.text()
    attendance.name.setText("Bethan Rees")
    attendance.role.setCurrentIndex(attendance.role.findData("chair"))
    attendance.agency.setCurrentIndex(attendance.agency.findData(ws.agency["POL"].id))
    attendance.confidentiality.setChecked(True)
    assert attendance.add_line(), attendance.error.text()
    assert attendance.empty.isHidden()
    reader = AttendanceDialog(db, viewer, meeting_id=ws.meeting(14).id)
    qtbot.addWidget(reader)
    assert "coordinator records it" in reader.empty.text() and "Add" not in reader.empty.text()
    notes = CaseNotesDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(notes)
    assert not notes.empty.isHidden() and "Add as a new note" in notes.empty.text()
    notes.editor.setPlainText("Ask CSC about the school before the meeting.")
    assert notes.add_note() and notes.empty.isHidden()
