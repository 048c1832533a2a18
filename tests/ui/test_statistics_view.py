"""The Statistics window: its figures model (qtmodeltester), loading a quarter, export, and who may open it."""

from __future__ import annotations

from datetime import date

from marac_prep.analysis.stats import Quarter, SummaryRow
from marac_prep.core.cases import PersonInput
from marac_prep.ui.operations.statistics import StatisticsFiles
from marac_prep.ui.person_dialog import PersonDialog
from marac_prep.ui.statistics_view import StatisticsTableModel, StatisticsView
from tests.ui.helpers import make_window


def test_statistics_model_passes_qtmodeltester(qtmodeltester):
    model = StatisticsTableModel()
    qtmodeltester.check(model)
    model.set_rows([SummaryRow("repeat", "Repeat cases", 3, 30.0, 32.0, "1 possible repeat not counted"),
                    SummaryRow("children", "Children in the households", 7)])
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.index(0, 2).data() == "30.0" and model.index(1, 3).data() == "—"


def _view(qtbot, db, actor) -> StatisticsView:
    view = StatisticsView(db, actor)
    qtbot.addWidget(view)
    view.resize(1366, 740)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.load()
    return view


def test_the_view_shows_the_quarter_and_follows_the_chooser(qtbot, workspace):
    ws, db = workspace
    meeting = ws.meeting(days_ahead=0)
    ws.case(meeting, children=2, repeat=True)
    ws.case(meeting, victim="Ffion HOLLOWAY", victim_dob=date(1994, 8, 17), perpetrator="Jonas EVANS",
            perpetrator_dob=None)
    ws.session.commit()
    view = _view(qtbot, db, ws.coordinator)
    assert view.chosen_quarter() == Quarter.of(date.today())
    rows = {view.model.index(r, 0).data(): r for r in range(view.model.rowCount())}
    repeat = rows["Repeat cases"]
    assert [view.model.index(repeat, c).data() for c in range(4)] == ["Repeat cases", "1", "50.0", "32.0"]
    assert view.model.index(rows["Children in the households"], 1).data() == "2"
    assert "2 cases heard at 1 meeting" in view.heading.text()
    assert "SafeLives" in view.source.text() and view.comparison_chart.isVisible()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.quarter.setCurrentIndex(view.quarter.findData(str(Quarter.of(date.today()).previous().previous())))
    assert "no meeting is dated in this quarter" in view.heading.text()
    assert not view.cases_chart.isVisible() and not view.referrals_chart.isVisible()
    assert view.model.index(rows["Cases discussed"], 1).data() == "0"


def test_export_writes_the_chosen_file(qtbot, workspace, tmp_path, monkeypatch, messages):
    ws, db = workspace
    ws.case(ws.meeting(days_ahead=0))
    ws.session.commit()
    view = _view(qtbot, db, ws.coordinator)
    for name in ("q.xlsx", "q.pdf"):
        target = tmp_path / name
        monkeypatch.setattr(StatisticsFiles, "export_path", classmethod(lambda cls, parent, suggested, t=target: t))
        op = view.export()
        assert op is not None
        with qtbot.waitSignal(op.finished, timeout=30_000):
            pass
        assert target.stat().st_size > 0
    assert len(messages.infos) == 2 and messages.errors == []


def test_statistics_menu_for_coordinators_not_viewers(qtbot, workspace, temporary_settings):
    ws, db = workspace
    viewer = ws.user("viewer")
    ws.session.commit()
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    assert window.statistics_action.isEnabled()
    assert window.statistics_action.shortcut().toString() == "Ctrl+Shift+T"
    assert window.statistics_action in window.view_menu.actions()
    window.statistics_action.trigger()
    view = window._statistics_window
    qtbot.waitUntil(lambda: view.result is not None, timeout=20_000)
    view.close()
    other = make_window(qtbot, db, viewer, temporary_settings)
    assert not other.statistics_action.isEnabled()


def test_person_lists_come_from_the_data_and_keep_an_older_value(qtbot):
    dialog = PersonDialog(PersonInput(role="victim", name="Ana NOWAK", ethnicity="Polish", gender="female"))
    qtbot.addWidget(dialog)
    assert not dialog.ethnicity.isEditable()
    assert dialog.gender.currentText() == "Female"
    assert dialog.ethnicity.currentText() == "Polish (not on the list)"
    assert "Gypsy, Roma or Irish Traveller" in [dialog.ethnicity.itemText(i) for i in range(dialog.ethnicity.count())]
    dialog.disability.setCurrentText("Learning disability")
    assert dialog.save()
    assert (dialog.person.ethnicity, dialog.person.disability, dialog.person.gender) == (
        "Polish", "Learning disability", "Female")


def test_screenshot_of_the_statistics_view(qtbot, workspace, tmp_path):
    from PySide6.QtGui import QImage

    from marac_prep.ui.screens import render_view

    ws, db = workspace
    ws.case(ws.meeting(days_ahead=0))
    ws.session.commit()
    output = tmp_path / "statistics.png"
    render_view(db, ws.coordinator, view="statistics", output=output, case_reference=None, size=(1366, 768))
    image = QImage(str(output))
    assert (image.width(), image.height()) == (1366, 768)
