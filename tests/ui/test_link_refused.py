"""A link planted where the app's newer windows write: the user reads why nothing was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from marac_prep.ui.actions_view import ActionsView
from marac_prep.ui.minutes_dialog import MinutesDialog
from marac_prep.ui.operations.actions import ActionFiles
from marac_prep.ui.operations.statistics import StatisticsFiles
from marac_prep.ui.statistics_view import StatisticsView

VICTIM_TEXT = "the file the attacker wants overwritten\n"


@pytest.fixture
def planted(tmp_path):
    """`planted(name)`: a link at out/name to a victim file elsewhere; returns (link, victim)."""
    def plant(name: str) -> tuple[Path, Path]:
        (tmp_path / "elsewhere").mkdir(exist_ok=True)
        (tmp_path / "out").mkdir(exist_ok=True)
        victim = tmp_path / "elsewhere" / name
        victim.write_text(VICTIM_TEXT)
        link = tmp_path / "out" / name
        link.symlink_to(victim)
        return link, victim
    return plant


def untouched(link: Path, victim: Path) -> bool:
    return victim.read_text() == VICTIM_TEXT and link.is_symlink()


def test_the_actions_window_says_it_will_not_write_through_a_link(qtbot, workspace, planted, monkeypatch, messages):
    ws, db = workspace
    ws.case(ws.meeting(-3))
    ws.session.commit()
    link, victim = planted("tracking.xlsx")
    monkeypatch.setattr(ActionFiles, "export_path", classmethod(lambda cls, parent, suggested: link))
    view = ActionsView(db, ws.coordinator)
    qtbot.addWidget(view)
    view.show()
    view.load()
    op = view.export()
    assert op is not None
    with qtbot.waitSignal(op.failed, timeout=20_000):
        pass
    assert untouched(link, victim)
    assert messages.infos == []
    assert [text for _title, text in messages.errors if "tracking.xlsx is a link to another file" in text]


@pytest.mark.parametrize("name", ["q.xlsx", "q.pdf"])
def test_the_statistics_window_says_it_will_not_write_through_a_link(qtbot, workspace, planted, monkeypatch,
                                                                     messages, name):
    ws, db = workspace
    ws.case(ws.meeting(0))
    ws.session.commit()
    link, victim = planted(name)
    monkeypatch.setattr(StatisticsFiles, "export_path", classmethod(lambda cls, parent, suggested: link))
    view = StatisticsView(db, ws.coordinator)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.load()
    op = view.export()
    assert op is not None
    with qtbot.waitSignal(op.failed, timeout=30_000):
        pass
    assert untouched(link, victim)
    assert [text for _title, text in messages.errors if f"{name} is a link to another file" in text]


def test_the_minutes_dialog_says_it_will_not_write_through_a_link(qtbot, workspace, planted, messages):
    ws, db = workspace
    meeting = ws.meeting(0)
    ws.case(meeting)
    ws.session.commit()
    link, victim = planted("minutes.pdf")
    dialog = MinutesDialog(db, ws.coordinator, meeting_id=meeting.id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.destination.setText(str(link))
    assert dialog.start_export()
    qtbot.waitUntil(lambda: not dialog.running and bool(dialog.error.text()), timeout=60_000)
    assert "minutes.pdf is a link to another file" in dialog.error.text()
    assert dialog.result is None and untouched(link, victim)


def test_a_screenshot_is_not_written_through_a_link(qtbot, workspace, planted):
    # `marac-prep screenshot` wrote its PNG with Qt's own writer, which follows a link.
    from marac_prep.core.errors import StorageError
    from marac_prep.ui.screens import render_view

    ws, db = workspace
    ws.case(ws.meeting(days_ahead=0))
    ws.session.commit()
    link, victim = planted("statistics.png")
    with pytest.raises(StorageError, match=r"statistics\.png is a link to another file"):
        render_view(db, ws.coordinator, view="statistics", output=link, case_reference=None, size=(1366, 768))
    assert untouched(link, victim)
