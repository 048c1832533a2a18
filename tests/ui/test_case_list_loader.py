"""The meeting's case list is read off the GUI thread: "Loading…" while it is on its way, never
"0 cases", never an older meeting's rows under a newer heading."""

from __future__ import annotations

import threading

import pytest

from marac_prep.core.db import open_database
from marac_prep.core.users import ensure_profile
from marac_prep.ui import meeting_view
from marac_prep.ui.case_list_loader import CaseListLoader
from tests.factories import demo_file
from tests.ui.helpers import make_window


@pytest.fixture
def database(tmp_path):
    db = open_database(str(demo_file(tmp_path / "workspace.sqlite", cases=30, entries_per_case=2)))
    yield db
    db.close()


@pytest.fixture
def coordinator(database):
    with database.session() as session:
        user = ensure_profile(session, name="Cora Ordinator")
        session.commit()
        session.refresh(user)
        session.expunge(user)
    return user


def test_the_case_list_is_read_on_a_worker_thread(qtbot, database, coordinator, temporary_settings, monkeypatch):
    threads: list[str] = []
    real = meeting_view.load_case_lines

    def recording(session, meeting_id):
        threads.append(threading.current_thread().name)
        return real(session, meeting_id)

    monkeypatch.setattr(meeting_view, "load_case_lines", recording)
    window = make_window(qtbot, database, coordinator, temporary_settings)
    qtbot.waitUntil(lambda: not window.meeting_view.loading, timeout=20_000)
    assert threads and threading.main_thread().name not in threads
    assert window.meeting_view.model.rowCount() > 0
    window.close()


def test_a_slow_read_shows_loading_then_the_rows_never_zero_cases(qtbot, database, coordinator, temporary_settings,
                                                                   monkeypatch):
    gate = threading.Event()
    real = meeting_view.load_case_lines

    def slow(session, meeting_id):
        gate.wait(20)  # held until the test has looked at the page
        return real(session, meeting_id)

    monkeypatch.setattr(CaseListLoader, "WAIT_MS", 0)
    window = make_window(qtbot, database, coordinator, temporary_settings)
    qtbot.waitUntil(lambda: not window.meeting_view.loading, timeout=20_000)
    view = window.meeting_view
    seen: list[tuple[int, str]] = []
    view.model.modelReset.connect(lambda: seen.append((view.model.rowCount(), view.subtitle.text())))
    monkeypatch.setattr(meeting_view, "load_case_lines", slow)
    window.meetings.setCurrentIndex(window.meetings_model.index(1))
    # The GUI thread did not wait for the read: the page says so, with no rows and no count.
    assert view.loading and view.subtitle.text() == "Loading…" and view.model.rowCount() == 0
    qtbot.wait(50)
    assert view.loading
    gate.set()
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)
    wanted = window.meetings_model.lines[1]
    assert view.meeting is not None and view.meeting.meeting_id == wanted.meeting_id
    assert view.model.rowCount() == wanted.case_count > 0
    for rows, subtitle in seen:
        assert "0 cases" not in subtitle and "No cases yet" not in subtitle
        assert subtitle == "Loading…" if rows == 0 else subtitle.startswith(f"{rows} case")
    window.close()


def test_only_the_latest_meeting_chosen_is_shown(qtbot, database, coordinator, temporary_settings, monkeypatch):
    gate = threading.Event()
    real = meeting_view.load_case_lines

    def slow(session, meeting_id):
        gate.wait(20)
        return real(session, meeting_id)

    monkeypatch.setattr(CaseListLoader, "WAIT_MS", 0)
    window = make_window(qtbot, database, coordinator, temporary_settings)
    qtbot.waitUntil(lambda: not window.meeting_view.loading, timeout=20_000)
    monkeypatch.setattr(meeting_view, "load_case_lines", slow)
    window.meetings.setCurrentIndex(window.meetings_model.index(1))
    window.meetings.setCurrentIndex(window.meetings_model.index(0))  # changed their mind before the rows came
    gate.set()
    qtbot.waitUntil(lambda: not window.meeting_view.loading and not window.case_list.running, timeout=20_000)
    qtbot.wait(100)  # the older read's result, had it been shown, would have arrived by now
    first = window.meetings_model.lines[0]
    assert window.meeting_view.meeting is not None and window.meeting_view.meeting.meeting_id == first.meeting_id
    assert window.meeting_view.model.rowCount() == first.case_count
    window.close()
