"""The case list says "Loading…" until the meeting's rows arrive; it never shows a count of none."""

from __future__ import annotations

from datetime import date

import pytest

from marac_prep.ui.meeting_view import CaseLine, MeetingLine, MeetingView
from tests.factories import demo_file

MEETING = MeetingLine(
    meeting_id=1, meeting_date=date(2026, 12, 7), area="Northmoor", status="planned", version=1, case_count=2
)


def _line(case_id: int) -> CaseLine:
    return CaseLine(
        case_id=case_id,
        reference=f"MAR-2026-{case_id:05d}",
        victim="Ffion HOLLOWAY",
        referring_agency="Police",
        dash_score=15,
        repeat=False,
        answered=3,
        expected=8,
        status="open",
        risk_level="high",
    )


@pytest.fixture
def view(qtbot):
    """Set up before qtmodeltester, so it outlives the tester's teardown."""
    widget = MeetingView()
    qtbot.addWidget(widget)
    return widget


def test_a_new_meeting_view_says_loading_not_no_cases(view, qtmodeltester):
    assert view.loading and view.subtitle.text() == "Loading…"
    assert view.model.rowCount() == 0
    view.show_loading(MEETING)
    assert view.title.text().startswith("Marac meeting") and view.subtitle.text() == "Loading…"
    assert "0 cases" not in view.subtitle.text() and "No cases" not in view.subtitle.text()
    view.show_meeting(MEETING, [_line(1), _line(2)])
    assert not view.loading and view.subtitle.text().startswith("2 cases")
    assert view.model.rowCount() == 2
    qtmodeltester.check(view.model, force_py=True)
    view.resize(1000, 400)
    view.show_loading(MEETING)
    view.grab().save("/tmp/ui2_loading.png")
    assert view.model.rowCount() == 0 and view.subtitle.text() == "Loading…"


@pytest.fixture
def workspace_file(tmp_path):
    return demo_file(tmp_path / "workspace.sqlite", cases=30, entries_per_case=2)


def test_switching_meetings_never_shows_zero_cases_while_the_rows_load(qtbot, workspace_file, temporary_settings):
    from marac_prep.ui.app import start_app

    window = start_app(
        database_target=str(workspace_file), user_name="Cora Ordinator", demo=False, settings=temporary_settings
    )
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.workspace_opened, timeout=20_000):
        pass
    seen: list[tuple[int, str]] = []  # each time the list changes: its rows and what the heading says
    view = window.meeting_view
    view.model.modelReset.connect(lambda: seen.append((view.model.rowCount(), view.subtitle.text())))
    assert window.meetings_model.rowCount() >= 2
    window.meetings.setCurrentIndex(window.meetings_model.index(1))
    qtbot.waitUntil(lambda: not view.loading and view.model.rowCount() > 0, timeout=20_000)
    assert seen, "the case list was not re-read"
    for rows, subtitle in seen:
        assert "0 cases" not in subtitle and "No cases yet" not in subtitle
        if rows == 0:
            assert subtitle == "Loading…"
        else:
            assert subtitle.startswith(f"{rows} case"), (rows, subtitle)
    assert view.subtitle.text().startswith(f"{view.model.rowCount()} cases")
    window.close()
    window.database.close()
