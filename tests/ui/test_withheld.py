"""Withheld entries: the reason is asked exactly when withheld, they look withheld, exports ask."""

from __future__ import annotations

from sqlmodel import select

from marac_prep.core.chronology import get_entry
from marac_prep.core.models import AuditEvent
from marac_prep.ui.chronology_model import SUMMARY
from marac_prep.ui.entry_dialog import EntryDialog
from marac_prep.ui.operations.interchange import ExportFiles
from tests.ui.helpers import make_window, open_case


def test_unticking_shareable_enables_the_reason_and_a_withheld_entry_saves(qtbot, workspace):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.session.commit()
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.withheld_reason.isEnabled() and not dialog.withheld_notice.isVisible()
    dialog.shareable.setChecked(False)
    assert dialog.withheld_reason.isEnabled() and dialog.withheld_notice.isVisible()
    dialog.shareable.setChecked(True)
    assert not dialog.withheld_reason.isEnabled()
    dialog.shareable.setChecked(False)
    dialog.date.edit.setText("03/02/2025")
    dialog.summary.setPlainText("Disclosure to the GP about threats; the victim asked that it stay with the GP.")
    assert not dialog.save()
    assert dialog.error.isVisible()
    dialog.withheld_reason.setText("Victim's consent not given")
    assert dialog.save(), dialog.error.text()
    with db.read_session() as s:
        saved = get_entry(s, dialog.entry.id)
    assert not saved.shareable and saved.withheld_reason == "Victim's consent not given"
    reopened = EntryDialog(db, ws.coordinator, case_id=case.id, entry_id=saved.id)
    qtbot.addWidget(reopened)
    assert "withheld" in reopened.windowTitle() and reopened.withheld_reason.isEnabled()
    assert not reopened.withheld_notice.isHidden()


def test_a_withheld_entry_is_marked_in_the_table_and_its_tooltip(qtbot, workspace, temporary_settings):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.entry(case, "POL", summary="Shared call-out.")
    ws.entry(case, "HSG", summary="Tenancy note kept back.", shareable=False, withheld_reason="Ongoing inquiry")
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    model = window.case_view.chronology.model
    texts = {model.index(r, SUMMARY).data(): model.index(r, SUMMARY) for r in range(model.rowCount())}
    assert "Shared call-out." in texts
    withheld = texts["[Withheld] Tenancy note kept back."]
    assert "Ongoing inquiry" in withheld.data(0x0003)  # ToolTipRole
    assert "Withheld" in model.index(withheld.row(), 0).data(0x0003)


def test_export_chronology_asks_shareable_or_everything_and_audits_it(
    qtbot, workspace, temporary_settings, monkeypatch, tmp_path, messages
):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.entry(case, "POL", summary="Shared call-out.")
    ws.entry(case, "HSG", summary="Tenancy note kept back.", shareable=False, withheld_reason="Ongoing inquiry")
    ws.session.commit()
    target = tmp_path / "out.csv"
    monkeypatch.setattr(ExportFiles, "chronology_path", classmethod(lambda cls, parent, suggested: target))
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)

    messages.choice = None  # cancelled: nothing written
    window.export_chronology_action.trigger()
    assert not window._export_ops and not target.exists()

    messages.choice = 0
    window.export_chronology_action.trigger()
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)
    text = target.read_text(encoding="utf-8-sig")
    assert "Shared call-out." in text and "Tenancy note kept back." not in text
    assert "withheld" in messages.questions[-1][1]

    messages.choice = 1
    window.export_chronology_action.trigger()
    qtbot.waitUntil(lambda: not window._export_ops, timeout=20_000)
    text = target.read_text(encoding="utf-8-sig")
    assert "Tenancy note kept back." in text
    assert "withheld entries included" in window.statusBar().currentMessage()
    with db.read_session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action.in_(["export", "export.everything"]))  # type: ignore[attr-defined]
                        .order_by(AuditEvent.id)).all()
    assert [(e.action, e.details["shareable_only"]) for e in events] == [("export", True), ("export.everything", False)]


def test_audit_details_read_as_sentences():
    from marac_prep.ui.audit_view import details_in_words

    assert details_in_words("return.set", {"agency_id": 5, "status": "nothing_known"}, {5: "Housing"}) == (
        "Set Housing's return to Nothing known."
    )
    assert details_in_words("entry.update", {"fields": ["event_type", "summary"]}) == (
        "Changed the event type, summary."
    )
    exported = details_in_words("export", {"what": "chronology", "rows": 3, "cases": 1, "shareable_only": False})
    assert "withheld entries included" in exported
