"""The main flows driven through the widgets, as a coordinator or agency representative would."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlmodel import select

from marac_prep.core.cases import PersonInput, get_case, people_of
from marac_prep.core.chronology import edit_entry, get_entry
from marac_prep.core.models import AgencyReturn, Meeting, RiskAssessment
from marac_prep.ui.case_dialog import CaseDialog
from marac_prep.ui.dash_dialog import DashDialog
from marac_prep.ui.entry_dialog import EntryDialog
from marac_prep.ui.meeting_dialog import MeetingDialog
from marac_prep.ui.people_model import MASKED_ADDRESS
from marac_prep.ui.person_dialog import PersonDialog
from marac_prep.ui.profile_dialog import ProfileDialog
from tests.ui.helpers import make_window, open_case


def _drive(monkeypatch, cls, name, fill):
    """Replaces a dialog's opening classmethod with one that fills the real dialog and saves."""

    def opener(klass, parent, *args, **kwargs):
        dialog = klass(*args, parent=parent, **kwargs)
        fill(dialog)
        if not dialog.save():
            raise AssertionError(f"the dialog refused to save: {dialog.error.text()}")
        record = getattr(dialog, {"open_meeting": "meeting", "open_case": "case", "open_entry": "entry"}[name])
        return record.id

    monkeypatch.setattr(cls, name, classmethod(opener))


def test_create_a_meeting(qtbot, workspace, temporary_settings, monkeypatch):
    ws, db = workspace
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    day = date.today() + timedelta(days=21)

    def fill(dialog):
        dialog.date.edit.setText(day.strftime("%d/%m/%Y"))
        assert dialog.date.feedback.text().startswith("Read as")
        dialog.area.setText("Eastbridge")

    _drive(monkeypatch, MeetingDialog, "open_meeting", fill)
    window.new_meeting_action.trigger()
    with db.read_session() as s:
        meeting = s.exec(select(Meeting)).one()
    assert (meeting.meeting_date, meeting.area) == (day, "Eastbridge")
    assert window.meetings_model.rowCount() == 1
    assert "Eastbridge" in window.meeting_view.title.text()


def test_meeting_date_typed_wrongly_is_explained_and_nothing_saved(qtbot, workspace):
    ws, db = workspace
    dialog = MeetingDialog(db, ws.coordinator)
    qtbot.addWidget(dialog)
    dialog.date.edit.setText("31/02/2026")
    assert "not a real date" in dialog.date.feedback.text()
    assert dialog.save() is False
    assert "not a real date" in dialog.error.text()
    with db.read_session() as s:
        assert s.exec(select(Meeting)).first() is None


def test_add_a_case_with_children_and_a_confidential_address(qtbot, workspace, temporary_settings, monkeypatch):
    ws, db = workspace
    meeting = ws.meeting()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    people = iter(
        [
            PersonInput(
                role="victim",
                name="Ffion LLEWELYN",
                date_of_birth=date(1992, 5, 6),
                address="Refuge, 1 Hidden Way",
                address_confidential=True,
                phone="07700 900123",
            ),
            PersonInput(
                role="perpetrator", name="Kyle NOWAK", relationship="Ex-partner", must_not_receive_information=True
            ),
            PersonInput(role="child", name="Osian LLEWELYN", date_of_birth=date(2019, 2, 1), school="Ysgol y Dderwen"),
            PersonInput(role="child", name="Ela LLEWELYN", date_of_birth=date(2021, 8, 9), school="Hillside Nursery"),
        ]
    )
    monkeypatch.setattr(PersonDialog, "edit_person", classmethod(lambda cls, parent, person: next(people)))

    def fill(dialog):
        dialog.reference.setText("MAR-UI-0001")
        dialog.criteria["visible_high_risk"].setChecked(True)
        dialog.dash.setValue(16)
        assert dialog.dash_level.text() == "high risk"
        dialog.consent.setCurrentIndex(dialog.consent.findData(False))
        dialog.consent_reason.setText("Children at risk; sharing is necessary and proportionate.")
        dialog.referral_reason.setPlainText("Strangled her on Saturday; she fears he will kill her.")
        dialog.victim_wishes.setPlainText("Wants a non-molestation order; the Idva agrees.")
        for role in ("victim", "perpetrator", "child", "child"):
            dialog.add_buttons[role].click()
        shown = [dialog.people.item(i).text() for i in range(dialog.people.count())]
        assert any(MASKED_ADDRESS in line for line in shown)
        assert not any("Hidden Way" in line for line in shown)

    _drive(monkeypatch, CaseDialog, "open_case", fill)
    window.new_case_action.trigger()
    with db.read_session() as s:
        case = s.exec(select(type(get_case(s, 1)))).one() if False else None
        from marac_prep.core.cases import case_by_reference

        case = case_by_reference(s, "MAR-UI-0001")
        people_saved = people_of(s, case.id)
    assert case.meeting_id == meeting.id and case.dash_score == 16 and case.victim_consent is False
    assert case.referral_reason.startswith("Strangled her") and case.victim_wishes.startswith("Wants a non-mol")
    children = [p for p in people_saved if p.role == "child"]
    assert [(c.name, c.date_of_birth, c.school) for c in children] == [
        ("Osian LLEWELYN", date(2019, 2, 1), "Ysgol y Dderwen"),
        ("Ela LLEWELYN", date(2021, 8, 9), "Hillside Nursery"),
    ]
    qtbot.waitUntil(lambda: not window.case_list.running and window.meeting_view.model.rowCount() == 1,
                    timeout=30_000)  # the case list is read again off the GUI thread
    # Children make Children's Social Care and Education expected: 10 agencies.
    assert window.meeting_view.model.index(0, 5).data() == "0 of 10 agencies"
    open_case(qtbot, window, case.id)
    addresses = [window.case_view.people_model.index(r, 5).data() for r in range(4)]
    assert MASKED_ADDRESS in addresses and not any("Hidden Way" in (a or "") for a in addresses)
    assert "07700" not in window.case_view.referral.toPlainText()


def test_add_an_entry_with_a_partial_date(qtbot, workspace, temporary_settings, monkeypatch):
    ws, db = workspace
    case = ws.case(ws.meeting())
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)

    def fill(dialog):
        dialog.agency.setCurrentIndex(dialog.agency.findData(ws.agency["HSG"].id))
        qtbot.keyClicks(dialog.date.edit, "?Jan 2025")
        assert dialog.date.feedback.text() == "Read as ?Jan 2025 (month only, approximate)"
        dialog.event_type.setCurrentIndex(dialog.event_type.findData("missed_appointment"))
        dialog.summary.setPlainText("Housing appointment missed; a new date was offered by letter.")

    _drive(monkeypatch, EntryDialog, "open_entry", fill)
    reloads = []
    window.case_view.loaded.connect(reloads.append)
    window.new_entry_action.trigger()
    assert reloads == []  # the new row is put in place; the case is not read again
    with db.read_session() as s:
        entry = get_entry(s, window.case_view.chronology.current_entry_id())
    assert (entry.date_precision, entry.date_approximate, entry.event_date) == ("month", True, date(2025, 1, 1))
    table = window.case_view.chronology
    assert table.model.index(0, 0).data() == "?Jan 2025"


def test_mark_an_agency_nothing_known(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case = ws.case(ws.meeting())
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    panel = window.case_view.returns
    window.case_view.tabs.setCurrentWidget(panel)
    panel.select_agency(ws.agency["MH"].id)
    assert panel.nothing_button.isEnabled()
    with qtbot.waitSignal(window.case_view.loaded, timeout=20_000):
        qtbot.mouseClick(panel.nothing_button, Qt.MouseButton.LeftButton)
    with db.read_session() as s:
        record = s.exec(select(AgencyReturn).where(AgencyReturn.agency_id == ws.agency["MH"].id)).one()
    assert record.status == "nothing_known"
    line = next(li for li in panel.model.lines if li.agency_id == ws.agency["MH"].id)
    assert not line.outstanding
    assert "1 of 8 agencies have returned" in panel.summary.text()


def test_filter_the_chronology_by_agency_and_text(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.entry(case, "POL", summary="Police attended; door damaged.")
    ws.entry(case, "POL", summary="Arrested for breach of bail.", event_type="breach")
    ws.entry(case, "HSG", summary="Lock changed on the front door.", event_type="other")
    ws.entry(case, "HLTH", summary="GP noted bruising to the arm.", event_type="disclosure")
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    panel = window.case_view.chronology
    actions = panel.agencies.actions_by_label()
    actions["Police"].trigger()
    actions["Housing"].trigger()
    assert panel.proxy.rowCount() == 3
    assert panel.agencies.text() == "Agencies: 2 chosen"
    window.activateWindow()
    qtbot.waitActive(window)
    window.find_action.trigger()
    qtbot.waitUntil(panel.search.hasFocus)
    qtbot.keyClicks(panel.search, "door")
    shown = {panel.proxy.index(r, 3).data() for r in range(panel.proxy.rowCount())}
    assert shown == {"Police attended; door damaged.", "Lock changed on the front door."}
    assert panel.count.text() == "2 of 4 entries shown"
    panel.clear_button.click()
    assert panel.proxy.rowCount() == 4


def test_an_edit_conflict_is_refused_and_the_user_can_reload(qtbot, workspace, messages):
    ws, db = workspace
    case = ws.case(ws.meeting())
    entry = ws.entry(case, "POL", summary="Original summary.")
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id, entry_id=entry.id)
    qtbot.addWidget(dialog)
    with db.session() as other:
        edit_entry(other, actor=ws.coordinator, entry_id=entry.id, expected_version=1, summary="Their summary.")
    dialog.summary.setPlainText("My summary.")
    messages.answer = True  # "Reload their version"
    assert dialog.save() is False
    assert messages.questions and "Someone else changed this entry" in messages.questions[0][1]
    assert dialog.summary.toPlainText() == "Their summary."
    with db.read_session() as s:
        assert get_entry(s, entry.id).summary == "Their summary."
    dialog.summary.setPlainText("My summary, after reading theirs.")
    assert dialog.save() is True
    with db.read_session() as s:
        assert get_entry(s, entry.id).summary == "My summary, after reading theirs."


def test_an_edit_the_role_forbids_is_disabled_and_refused(qtbot, workspace, temporary_settings, messages):
    ws, db = workspace
    case = ws.case(ws.meeting())
    entry = ws.entry(case, "POL", summary="Police record.")
    rep = ws.user("agency_rep", "HSG", name="Harriet Housing")
    window = make_window(qtbot, db, rep, temporary_settings)
    assert not window.new_meeting_action.isEnabled() and not window.new_case_action.isEnabled()
    open_case(qtbot, window, case.id)
    assert window.new_entry_action.isEnabled()  # for Housing's own entries
    returns = window.case_view.returns
    returns.select_agency(ws.agency["POL"].id)
    assert not returns.nothing_button.isEnabled()
    returns.select_agency(ws.agency["HSG"].id)
    assert returns.nothing_button.isEnabled()
    dialog = EntryDialog(db, rep, case_id=case.id, entry_id=entry.id, parent=window)
    qtbot.addWidget(dialog)
    assert dialog.read_only and not dialog.save_button.isEnabled()
    assert "cannot change it" in dialog.banner.text() and dialog.banner.isVisibleTo(dialog)
    # Read-only looks read-only: no Save on offer, only Close, and fields that cannot take typing.
    assert not dialog.save_button.isVisibleTo(dialog) and "read only" in dialog.windowTitle()
    assert dialog.buttons.button(dialog.buttons.StandardButton.Cancel).text() == "Close"
    assert dialog.summary.isReadOnly() and not dialog.date.edit.isEnabled() and not dialog.shareable.isEnabled()
    # If it happens anyway (e.g. the role changed meanwhile), the service refuses and says why.
    dialog.summary.setReadOnly(False)
    dialog.summary.setPlainText("Changed by housing.")
    assert dialog.save() is False
    assert messages.errors and messages.errors[-1][0] == "Not allowed"
    assert "only for their own agency" in messages.errors[-1][1]
    with db.read_session() as s:
        assert get_entry(s, entry.id).summary == "Police record."
    window.record_return(ws.agency["POL"].id, "nothing_known")
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)  # the change runs off the GUI thread
    assert "only for their own agency" in messages.errors[-1][1]


MARKUP = "<b>bold</b><img src=x> & a<b"


def test_markup_in_a_summary_is_shown_literally_everywhere(qtbot, workspace, temporary_settings, messages):
    ws, db = workspace
    case = ws.case(ws.meeting(), victim="Alys <i>PRITCHARD</i>")
    entry = ws.entry(case, "POL", summary=MARKUP, detail=MARKUP)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    model = window.case_view.chronology.model
    assert model.index(0, 3).data() == MARKUP
    tip = model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;img src=x&gt; &amp; a&lt;b" in tip and "<img" not in tip
    assert window.case_view.title.text() == f"{case.reference} · Alys <i>PRITCHARD</i>"
    assert window.case_view.title.textFormat() == Qt.TextFormat.PlainText
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id, entry_id=entry.id)
    qtbot.addWidget(dialog)
    assert dialog.summary.toPlainText() == MARKUP and dialog.detail.toPlainText() == MARKUP
    # The victim name shows literally in the case list too.
    assert window.meeting_view.model.index(0, 1).data() == "Alys <i>PRITCHARD</i>"


def test_closing_with_unsaved_text_asks_first(qtbot, workspace, messages):
    ws, db = workspace
    case = ws.case(ws.meeting())
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.summary.setPlainText("Half-written note")
    messages.answer = False  # "Keep editing"
    dialog.reject()
    assert dialog.isVisible() and len(messages.questions) == 1
    messages.answer = True
    dialog.reject()
    assert not dialog.isVisible()


def test_invalid_entry_input_gets_an_inline_message_and_loses_nothing(qtbot, workspace):
    ws, db = workspace
    case = ws.case(ws.meeting())
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(dialog)
    dialog.date.edit.setText("12/13/2025")
    dialog.summary.setPlainText("Something happened.")
    assert dialog.save() is False
    assert "day first" in dialog.error.text()
    assert dialog.summary.toPlainText() == "Something happened."
    dialog.date.edit.setText("12/01/2025")
    dialog.summary.setPlainText("")
    assert dialog.save() is False and "summary" in dialog.error.text()


def test_dash_checklist_scores_live_and_saves_with_tool_and_version(qtbot, workspace):
    ws, db = workspace
    case = ws.case(ws.meeting())
    dialog = DashDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(dialog)
    for qid in ("injury", "frightened", "separation", "threats_to_kill"):
        dialog.set_answer(qid, "yes")
    dialog.set_answer("stalking", "dont_know")
    dialog.sources["injury"].setText("police record")
    assert dialog.score.text().startswith("Score 4 of 24: standard risk")
    dialog.agency.setCurrentIndex(dialog.agency.findData(ws.agency["IDVA"].id))
    assert dialog.save()
    with db.read_session() as s:
        assessment = s.exec(select(RiskAssessment)).one()
    assert (assessment.tool, assessment.tool_version, assessment.score, assessment.level) == (
        "DASH",
        "2009",
        4,
        "standard",
    )
    assert assessment.answers["injury"] == {"answer": "yes", "source": "police record"}


def test_who_am_i_never_creates_a_profile_and_wants_proof(qtbot, workspace):
    """The attack: the chooser let anyone type a name and become a coordinator; now it only
    proves existing profiles, and a passphrase-protected one needs its passphrase."""
    from marac_prep.core.users import create_profile

    ws, db = workspace
    if not db.is_sqlite:
        pytest.skip("on PostgreSQL the login decides, not a passphrase (tests/trust/test_identity_postgres.py)")
    with db.session() as s:
        create_profile(s, actor=ws.coordinator, name="Priya Idva", role="idva", agency_id=ws.agency["IDVA"].id,
                       passphrase="correct horse battery")
    dialog = ProfileDialog(db)
    qtbot.addWidget(dialog)
    assert not dialog.first_profile and not dialog.name.isVisibleTo(dialog)
    row = next(i for i in range(dialog.profiles.count()) if dialog.profiles.item(i).text().startswith("Priya"))
    dialog.profiles.setCurrentRow(row)
    dialog.passphrase.setText("wrong guess at it")
    assert dialog.choose() is False and "not Priya Idva's passphrase" in dialog.error.text()
    dialog.passphrase.setText("correct horse battery")
    assert dialog.choose() is True
    assert (dialog.user.name, dialog.user.role) == ("Priya Idva", "idva")


def test_geometry_and_column_widths_are_remembered(qtbot, workspace, temporary_settings):
    ws, db = workspace
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.resize(1111, 777)
    window.case_view.chronology.table.setColumnWidth(3, 333)
    window.close()
    again = make_window(qtbot, db, ws.coordinator, temporary_settings)
    assert again.case_view.chronology.table.columnWidth(3) == 333 or again.size().width() == 1111


def test_a_large_case_loads_off_the_gui_thread_with_progress(qtbot, sqlite_db, temporary_settings):
    from marac_prep.core.users import ensure_profile
    from marac_prep.demo import build_demo

    with sqlite_db.session() as s:
        actor = ensure_profile(s, name="Cora Ordinator")
        build_demo(s, actor=actor, cases=1, entries_per_case=10_000, seed=3)
    from marac_prep.core.models import Case

    with sqlite_db.read_session() as s:
        case_id = s.exec(select(Case.id).order_by(Case.id)).first()  # the upcoming case (not the past one)
    window = make_window(qtbot, sqlite_db, actor, temporary_settings)
    threads: list[int] = []
    import marac_prep.ui.case_view as case_view

    real_load = case_view.load_snapshot

    def spy(session, cid, progress):
        threads.append(threading.get_ident())
        return real_load(session, cid, progress)

    case_view.load_snapshot = spy
    # The real gap analysis runs afterwards on its own thread (under a second since e17ca16).
    try:
        ticks = []
        from PySide6.QtCore import QTimer

        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(5)
        with qtbot.waitSignal(window.case_view.loaded, timeout=60_000):
            op = window.case_view.load(case_id)
            assert op.progress is not None and op.running
    finally:
        case_view.load_snapshot = real_load
        timer.stop()
    with qtbot.waitSignal(window.case_view.analysed, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not window.case_view.analysis_ops, timeout=20_000)
    findings_tab = window.case_view.tabs.tabText(window.case_view.tabs.indexOf(window.case_view.findings))
    assert findings_tab != "F&indings (…)", "the findings never filled"
    assert threads and threads[0] != threading.get_ident()
    assert window.case_view.chronology.model.rowCount() == 10_000
    assert ticks, "the GUI event loop kept running while the case loaded"


def test_export_from_a_case_offers_the_pack_for_that_case(qtbot, workspace, temporary_settings, monkeypatch):
    from marac_prep.ui.pack_dialog import PackDialog

    ws, db = workspace
    meeting = ws.meeting()
    case = ws.case(meeting)
    calls = []
    monkeypatch.setattr(PackDialog, "export", classmethod(lambda cls, parent, database, actor, **kw: calls.append(kw)))
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    window.export_action.trigger()
    open_case(qtbot, window, case.id)
    window.export_action.trigger()
    assert calls == [
        {"meeting_id": meeting.id, "case_reference": None},
        {"meeting_id": meeting.id, "case_reference": case.reference},
    ]
    viewer = make_window(qtbot, db, ws.user("viewer"), temporary_settings)
    assert not viewer.export_action.isEnabled() and not viewer.audit_action.isEnabled()
