"""The audit window reads the trail page by page off the GUI thread and checks it in the background."""

from __future__ import annotations

import pytest

from marac_prep.core.audit import verify_chain
from marac_prep.ui import audit_view
from marac_prep.ui.audit_view import AuditView
from marac_prep.ui.messages import Messages


@pytest.fixture
def many_events(ws, db):
    case = ws.case(reference="MAR-PAGE")
    for _ in range(12):
        ws.entry(case, "POL")
    ws.session.commit()
    return ws, db


@pytest.fixture
def view(qtbot, many_events, monkeypatch):
    ws, db = many_events
    monkeypatch.setattr(audit_view, "PAGE_SIZE", 5)
    widget = AuditView(db, ws.coordinator)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.loading, timeout=10_000)
    yield widget
    widget.close()


def test_pages_through_every_event_off_the_gui_thread(view, qtbot, qtmodeltester, many_events):
    ws, _db = many_events
    from sqlmodel import func, select

    from marac_prep.core.models import AuditEvent

    total = ws.session.exec(select(func.count()).select_from(AuditEvent)).one()
    assert total > 10
    assert view.model.rowCount() == 5 and view.has_more and view.more_button.isEnabled()
    assert "older events not loaded yet" in view.count_label.text()
    qtmodeltester.check(view.model, force_py=True)
    ids = []
    while view.has_more:
        before = view.model.rowCount()
        view.more_button.click()
        qtbot.waitUntil(lambda before=before: view.model.rowCount() > before and not view.loading, timeout=10_000)
    ids = [view.model.event_at(row).id for row in range(view.model.rowCount())]
    assert len(ids) == total and ids == sorted(ids, reverse=True) and len(set(ids)) == total  # newest first, none twice
    assert not view.more_button.isEnabled() and view.count_label.text() == f"{total} of {total} events shown"
    assert "MAR-PAGE" in [view.case_filter.itemText(i) for i in range(view.case_filter.count())]


def test_scrolling_to_the_bottom_reads_the_next_page(view, qtbot):
    view.resize(900, 400)
    view.show()
    qtbot.waitExposed(view)
    view.table.setFixedHeight(90)  # fewer rows fit than one page holds
    bar = view.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=10_000)
    assert view.model.rowCount() == 5
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: view.model.rowCount() > 5, timeout=10_000)
    view.grab().save("/tmp/ui2_audit.png")


def test_verify_runs_in_the_background_with_progress(view, qtbot, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(Messages, "info", classmethod(lambda cls, parent, title, text: shown.append(text)))
    results: list[bool] = []
    view.verified.connect(results.append)
    op = view.verify()
    steps: list[tuple[int, int]] = []
    op._runner.progressed.connect(lambda done, total, _what: steps.append((done, total)))
    assert not view.verify_button.isEnabled()  # while it runs
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    assert results == [True] and shown and "checks out" in shown[0]
    assert view.verify_button.isEnabled()


def test_verify_chain_reports_progress_per_batch(many_events):
    ws, _db = many_events
    steps: list[tuple[int, int]] = []
    check = verify_chain(ws.session, batch=4, progress=lambda done, total: steps.append((done, total)))
    assert check.ok and steps[0] == (0, check.count)
    assert [done for done, _ in steps] == list(range(0, check.count, 4))
    assert all(total == check.count for _, total in steps)
