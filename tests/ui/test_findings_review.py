"""The Findings tab: instances and words read from the text under each finding, and a
coordinator marking a finding reviewed (shown again after the case is read again)."""

from __future__ import annotations

from datetime import date, timedelta

from marac_prep.core.signals import TextSignal
from marac_prep.ui.findings_panel import FindingsPanel
from tests.analysis.builders import CaseBuilder
from tests.ui.helpers import make_window, open_case

TODAY = date.today()


def _findings_loaded(view) -> bool:
    return view.findings.tree.topLevelItemCount() > 0 and "…" not in view.tabs.tabText(view.tabs.indexOf(view.findings))


def test_coordinator_marks_a_finding_reviewed_and_sees_it(qtbot, workspace, temporary_settings, messages, monkeypatch):
    ws, db = workspace
    case = ws.case(ws.meeting(), victim_aware=True, victim_consent=True)
    ws.entry(
        case,
        "HLTH",
        on=TODAY - timedelta(days=40),
        event_type="referral_considered_not_made",
        summary="Marac referral considered; agreed to monitor.",
    )
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, window, case.id)
    view = window.case_view
    qtbot.waitUntil(lambda: _findings_loaded(view), timeout=20_000)
    panel = view.findings
    assert panel.summary.text().startswith("1 high: referral not made")
    assert not panel.review_button.isEnabled()  # nothing chosen yet
    item = next(
        panel.tree.topLevelItem(i)
        for i in range(panel.tree.topLevelItemCount())
        if panel.tree.topLevelItem(i).text(1) == "Referral considered, not made"
    )
    panel.tree.setCurrentItem(item)
    assert panel.review_button.isEnabled()
    monkeypatch.setattr(FindingsPanel, "ask_note", classmethod(lambda cls, parent, finding: "Raised at the meeting."))
    panel.review_button.click()
    qtbot.waitUntil(
        lambda: any("reviewed" in panel.tree.topLevelItem(i).text(1) for i in range(panel.tree.topLevelItemCount())),
        timeout=20_000,
    )
    item = next(
        panel.tree.topLevelItem(i)
        for i in range(panel.tree.topLevelItemCount())
        if "reviewed" in panel.tree.topLevelItem(i).text(1)
    )
    assert item.child(0).text(2).startswith("Reviewed by Cora Ordinator on ")
    assert item.child(0).text(2).endswith(": Raised at the meeting.")
    assert messages.errors == []
    panel.tree.setCurrentItem(item)
    assert "Raised at the meeting." in panel.detail.text()
    view.tabs.setCurrentWidget(panel)
    panel.tree.expandAll()
    window.grab().save("/tmp/rules-findings-window.png")


def test_an_idva_is_not_offered_the_review(qtbot, workspace, temporary_settings, messages):
    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.entry(
        case, "HLTH", on=TODAY - timedelta(days=40), event_type="referral_considered_not_made", summary="Considered."
    )
    idva = ws.user("idva", "IDVA")
    ws.session.commit()
    window = make_window(qtbot, db, idva, temporary_settings)
    open_case(qtbot, window, case.id)
    view = window.case_view
    qtbot.waitUntil(lambda: _findings_loaded(view), timeout=20_000)
    view.findings.tree.setCurrentItem(view.findings.tree.topLevelItem(0))
    assert not view.findings.review_button.isEnabled()


def test_instances_and_quoted_words_are_listed_under_a_finding(qtbot):
    b = CaseBuilder()
    for days in (0, 40, 80):
        b.entry("POL", date(2025, 6, 1) + timedelta(days=days), "referral_made", to="HSG")
    e = b.entry("HLTH", date(2025, 6, 2), "ae_attendance", summary="He put his hands round her neck.")
    b.signals[e] = (
        TextSignal(entry_id=e, kind="risk_indicator", code="strangulation", words="put his hands round her neck"),
    )
    from marac_prep.analysis.gaps import analyse_case

    case_file = b.build()
    panel = FindingsPanel.for_case(case_file, analyse_case(case_file))
    qtbot.addWidget(panel)
    texts = {
        panel.tree.topLevelItem(i).text(1): panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
    }
    lost = texts["Referral not received"]
    assert lost.text(2).startswith("3 referrals to Housing")
    assert [lost.child(i).text(1) for i in range(3)] == ["High"] * 3
    uncoded = texts["Risk in text, not coded"]
    quoted = [uncoded.child(i).text(2) for i in range(uncoded.childCount())]
    assert "“put his hands round her neck” — strangling, choking or suffocating" in quoted
    panel.resize(1100, 500)
    panel.show()
    panel.tree.expandAll()
    panel.grab().save("/tmp/rules-findings-panel.png")
