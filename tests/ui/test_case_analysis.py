"""The case view's analysis, which runs after the rows are shown: when it fails, and when the user moves on."""

from __future__ import annotations

from tests.ui.helpers import make_window, open_case


def test_a_failed_analysis_is_said_in_its_tabs_and_the_chronology_stays(qtbot, workspace, temporary_settings,
                                                                        messages, monkeypatch):
    import marac_prep.ui.case_view as case_view

    ws, db = workspace
    case = ws.case(ws.meeting())
    ws.entry(case, "POL", summary="Police attended.")
    ws.session.commit()

    def broken(session, snapshot):
        raise RuntimeError("the earlier cases could not be read")

    monkeypatch.setattr(case_view, "load_analysis", broken)
    window = make_window(qtbot, db, ws.coordinator, temporary_settings)
    failed: list[object] = []
    window.case_view.load_failed.connect(failed.append)
    open_case(qtbot, window, case.id)
    view = window.case_view
    qtbot.waitUntil(lambda: "not done" in view.tabs.tabText(view.tabs.indexOf(view.findings)), timeout=20_000)
    assert view.findings.summary.text() == ("The gap analysis could not be done: something went wrong; "
                                            "the details are in the log file")
    assert view.timeline._placeholder == "The timeline could not be built."
    assert view.chronology.proxy.rowCount() == 1  # what was shown stays
    assert failed == [] and messages.errors == []  # the case did open: no "could not open the case"
