"""The Audit view: filters by user, case, action and date; exports what it shows as CSV."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import QDate

from marac_prep.ui.audit_view import AuditView
from marac_prep.ui.messages import Messages


@pytest.fixture
def shown(monkeypatch) -> dict[str, list[str]]:
    log: dict[str, list[str]] = {"info": [], "error": []}
    monkeypatch.setattr(Messages, "info", classmethod(lambda cls, parent, title, text: log["info"].append(text)))
    monkeypatch.setattr(Messages, "error", classmethod(lambda cls, parent, title, text: log["error"].append(text)))
    return log


@pytest.fixture
def trail(ws, db):
    first = ws.case(reference="MAR-<b>1</b>")
    second = ws.case(reference="MAR-2")
    rep = ws.user("agency_rep", "HSG", name="Harriet Housing")
    ws.entry(first, "HSG", actor=rep)
    ws.entry(first, "HSG", actor=rep)
    ws.entry(second, "POL")
    ws.session.commit()
    return ws, db, first, second, rep


def _select(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def test_model_and_filters(qtbot, qtmodeltester, trail):
    ws, db, first, _second, _rep = trail
    view = AuditView(db, ws.coordinator)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.proxy)
    total = view.model.rowCount()
    assert total == view.proxy.rowCount() >= 6
    _select(view.user_filter, "Harriet Housing")
    assert view.proxy.rowCount() == 2
    _select(view.user_filter, "All users")
    _select(view.case_filter, "MAR-<b>1</b>")  # shown as typed, never as markup
    assert {view.model.event_at(view.proxy.mapToSource(view.proxy.index(r, 0)).row()).case_id
            for r in range(view.proxy.rowCount())} == {first.id}
    assert view.proxy.rowCount() == 3  # created, two entries
    _select(view.action_filter, "entry.create")
    assert view.proxy.rowCount() == 2
    view.case_filter.setCurrentIndex(0)
    view.action_filter.setCurrentIndex(0)
    view.since_check.setChecked(True)
    view.since_edit.setDate(QDate.currentDate().addDays(1))
    assert view.proxy.rowCount() == 0
    view.since_edit.setDate(QDate.currentDate().addDays(-1))
    assert view.proxy.rowCount() == total
    assert view.count_label.text() == f"{total} of {total} events shown"


def test_export_writes_what_the_filters_show_and_is_audited(qtbot, trail, tmp_path, monkeypatch):
    ws, db, *_ = trail
    view = AuditView(db, ws.coordinator)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    _select(view.user_filter, "Harriet Housing")
    target = tmp_path / "trail.csv"
    monkeypatch.setattr(AuditView, "ask_export_path", classmethod(lambda cls, parent: target))
    with qtbot.waitSignal(view.exported, timeout=5000) as signal:
        view.export_button.click()
    assert signal.args == [str(target), 2]
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["user_name"] for r in rows] == ["Harriet Housing", "Harriet Housing"]
    _select(view.action_filter, "audit.export")  # the view reloaded and shows the export itself
    view.user_filter.setCurrentIndex(0)
    assert view.proxy.rowCount() == 1


def test_verify_button_reports(qtbot, trail, shown):
    ws, db, *_ = trail
    view = AuditView(db, ws.coordinator)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    results: list[bool] = []
    view.verified.connect(results.append)
    view.verify_button.click()  # the check runs off the GUI thread
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    assert results == [True]
    assert shown["info"] and "checks out" in shown["info"][0]


def test_only_coordinators_see_the_trail(qtbot, trail, tmp_path):
    _ws, db, _first, _second, rep = trail
    view = AuditView(db, rep)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 0
    assert not view.export_button.isEnabled() and not view.table.isEnabled()
    assert "coordinator" in view.notice.text()


def test_screenshot(qtbot, trail, tmp_path):
    ws, db, *_ = trail
    view = AuditView(db, ws.coordinator)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    view.resize(1100, 400)
    view.show()
    qtbot.waitExposed(view)
    view.grab().save(str(tmp_path / "audit_view.png"))
    assert (tmp_path / "audit_view.png").stat().st_size > 1000
