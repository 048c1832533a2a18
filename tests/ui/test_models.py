"""Every item model of the app passes Qt's own model tester, with real rows loaded."""

from __future__ import annotations

from datetime import date

from marac_prep.core.casefile import load_case_file
from marac_prep.core.dates import PartialDate
from marac_prep.ui.chronology_model import (
    AGENCY,
    DATE,
    ChronologyFilterProxyModel,
    ChronologyTableModel,
    chronology_rows,
)
from marac_prep.ui.meeting_view import CaseTableModel, MeetingListModel, load_case_lines, load_meeting_lines
from marac_prep.ui.people_model import MASKED_ADDRESS, PeopleTableModel, people_lines
from marac_prep.ui.returns_panel import ReturnLine, ReturnsTableModel


def _case_with_entries(ws):
    meeting = ws.meeting()
    case = ws.case(meeting, children=2)
    ws.entry(
        case,
        "POL",
        on=date(2025, 3, 4),
        summary="Police attended; <b>shouting</b> heard.",
        risk_indicators=["threats_to_kill"],
    )
    ws.entry(
        case,
        "HSG",
        on=PartialDate(date(2025, 1, 1), "month", True),
        event_type="missed_appointment",
        summary="Did not attend housing appointment; new date offered.",
    )
    ws.entry(
        case,
        "HLTH",
        on=PartialDate(date(2024, 1, 1), "year"),
        event_type="disclosure",
        summary="Disclosed controlling behaviour to the GP.",
        risk_indicators=["controlling"],
    )
    return meeting, case


def test_chronology_model_and_proxy_pass_the_model_tester(qtmodeltester, ws):
    _meeting, case = _case_with_entries(ws)
    rows = chronology_rows(load_case_file(ws.session, case.id))
    model = ChronologyTableModel()
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert [model.index(r, DATE).data() for r in range(3)] == ["2024", "?Jan 2025", "4 Mar 2025"]
    proxy = ChronologyFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.set_filters(agency_ids=[ws.agency["POL"].id, ws.agency["HSG"].id], text="")
    qtmodeltester.check(proxy)
    assert {proxy.index(r, AGENCY).data() for r in range(proxy.rowCount())} == {"Police", "Housing"}
    proxy.set_filters(risk_only=True)
    assert proxy.rowCount() == 2
    proxy.set_filters(date_from=date(2025, 1, 15))
    # "?Jan 2025" may fall after 15 January, so a partial date is kept when its period overlaps.
    assert proxy.rowCount() == 2
    proxy.sort(AGENCY)
    assert [proxy.index(r, AGENCY).data() for r in range(proxy.rowCount())] == ["Housing", "Police"]


def test_returns_meeting_case_and_people_models_pass_the_model_tester(qtmodeltester, ws):
    meeting, case = _case_with_entries(ws)
    case_file = load_case_file(ws.session, case.id)
    returns = ReturnsTableModel()
    returns.set_lines([ReturnLine.from_row(r) for r in case_file.returns])
    qtmodeltester.check(returns)
    meetings = MeetingListModel()
    meetings.set_lines(load_meeting_lines(ws.session))
    qtmodeltester.check(meetings)
    cases = CaseTableModel()
    cases.set_lines(load_case_lines(ws.session, meeting.id))
    qtmodeltester.check(cases)
    assert cases.index(0, 5).data() == "3 of 10 agencies"
    people = PeopleTableModel()
    people.set_lines(people_lines(case_file))
    qtmodeltester.check(people)
    assert people.rowCount() == 4
    assert MASKED_ADDRESS not in [people.index(r, 5).data() for r in range(4)]  # no confidential address here


def test_agenda_lines_read_in_batches_match_the_per_case_services(session, ws):
    from marac_prep.core.cases import people_of
    from marac_prep.core.returns import return_progress, returns_for_case
    from marac_prep.ui.meeting_view import load_case_lines, load_meeting_lines

    meeting = ws.meeting()
    cases = [ws.case(meeting, children=n % 2) for n in range(4)]
    ws.entry(cases[0], "HSG")
    lines = load_case_lines(session, meeting.id)
    assert [line.case_id for line in lines] == [c.id for c in cases]
    for line, case in zip(lines, cases, strict=True):
        assert (line.answered, line.expected) == return_progress(returns_for_case(session, case.id))
        assert line.victim == next(p.name for p in people_of(session, case.id) if p.role == "victim")
    meeting_line = next(m for m in load_meeting_lines(session) if m.meeting_id == meeting.id)
    assert meeting_line.case_count == 4


def test_filter_answers_follow_a_reload_of_the_rows(qtbot):
    from datetime import date

    from marac_prep.core.dates import PartialDate
    from marac_prep.ui.chronology_model import ChronologyFilterProxyModel, ChronologyRow, ChronologyTableModel

    def row(n: int, summary: str) -> ChronologyRow:
        return ChronologyRow(
            entry_id=n, version=1, when=PartialDate(date(2026, 1, n)), time="", sequence=0, agency_id=1,
            agency_name="Police", agency_code="POL", event_type="incident", summary=summary, detail="",
            risk_indicators=(), source_ref="", recorded_by="", fact_or_opinion="fact",
        )

    model = ChronologyTableModel()
    proxy = ChronologyFilterProxyModel()
    proxy.setSourceModel(model)
    model.set_rows([row(1, "knife seen"), row(2, "welfare call")])
    proxy.set_filters(text="knife")
    assert proxy.rowCount() == 1 and proxy.source_row(0).entry_id == 1
    model.set_rows([row(1, "welfare call"), row(2, "knife seen")])  # same length, new rows
    assert proxy.rowCount() == 1 and proxy.source_row(0).entry_id == 2


def _rows(summaries: list[str]) -> list:
    from datetime import date

    from marac_prep.core.dates import PartialDate
    from marac_prep.ui.chronology_model import ChronologyRow

    return [
        ChronologyRow(
            entry_id=n, version=1, when=PartialDate(date(2026, 1, n)), time="", sequence=0, agency_id=int(n in (2, 3)),
            agency_name=("Police", "Housing")[n in (2, 3)], agency_code=("POL", "HSG")[n in (2, 3)],
            event_type="incident",
            summary=summary, detail="", risk_indicators=(), source_ref="", recorded_by="", fact_or_opinion="fact",
        )
        for n, summary in enumerate(summaries, start=1)
    ]


def test_a_filter_change_is_announced_once_and_sorting_keeps_the_order_and_persistent_indexes(qtmodeltester):
    from PySide6.QtCore import QPersistentModelIndex, Qt

    from marac_prep.ui.chronology_model import AGENCY, ChronologyFilterProxyModel, ChronologyTableModel

    model = ChronologyTableModel()
    model.set_rows(_rows(["knife seen", "welfare call", "knife threat", "school report", "Knife found"]))
    proxy = ChronologyFilterProxyModel()
    proxy.setSourceModel(model)
    announced: list[str] = []
    proxy.modelReset.connect(lambda: announced.append("reset"))
    proxy.rowsRemoved.connect(lambda *_: announced.append("removed"))
    proxy.set_filters(text="KNIFE")
    assert announced == ["reset"]
    assert [proxy.source_row(r).entry_id for r in range(proxy.rowCount())] == [1, 3, 5]
    qtmodeltester.check(proxy)

    kept = QPersistentModelIndex(proxy.index(1, 0))  # entry 3, Housing
    proxy.sort(AGENCY, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, AGENCY).data() for r in range(3)] == ["Police", "Police", "Housing"]
    assert kept.row() == 2 and proxy.source_row(kept.row()).entry_id == 3
    proxy.set_filters(text="")  # the sort order stays with the filter changed
    assert [proxy.index(r, AGENCY).data() for r in range(5)] == ["Police"] * 3 + ["Housing"] * 2
    proxy.sort(-1)  # the chronology's own order again
    assert [proxy.source_row(r).entry_id for r in range(5)] == [1, 2, 3, 4, 5]
    qtmodeltester.check(proxy)


def test_the_selected_entry_stays_selected_while_the_find_text_changes(qtbot):
    from marac_prep.ui.chronology_view import ChronologyPanel

    panel = ChronologyPanel()
    qtbot.addWidget(panel)
    panel.set_rows(_rows(["knife seen", "welfare call", "knife threat"]), [(1, "Housing"), (0, "Police")])
    panel.select_entry(3)
    panel.search.setText("kni")
    assert panel.current_entry_id() == 3 and panel.proxy.rowCount() == 2
    assert panel.count.text() == "2 of 3 entries shown"
    panel.search.setText("welfare")  # entry 3 is hidden: nothing is selected
    assert panel.current_entry_id() is None
    panel.search.setText("")
    assert panel.count.text() == "3 entries"


def test_the_case_view_shows_the_current_entries_and_analyses_exactly_what_it_shows(ws):
    from marac_prep.analysis.gaps import analyse_case
    from marac_prep.core.chronology import entries_for_case, withdraw_entry
    from marac_prep.ui.case_view import load_analysis, load_snapshot

    _meeting, case = _case_with_entries(ws)
    gone = ws.entry(case, "POL", on=date(2025, 2, 2), summary="Entered on the wrong case.")
    withdraw_entry(ws.session, actor=ws.coordinator, entry_id=gone.id, expected_version=gone.version,
                   reason="Wrong case")
    snapshot = load_snapshot(ws.session, case.id, lambda *_: None)
    current = entries_for_case(ws.session, case.id)  # the withdrawn entry left out
    assert [r.entry_id for r in snapshot.rows] == [e.id for e in current]
    assert [r.summary for r in snapshot.rows] == [e.summary for e in current]
    assert snapshot.case_file.earlier_cases == []  # read by the analysis, after the first paint
    analysis = load_analysis(ws.session, snapshot)
    assert list(analysis.findings) == analyse_case(load_case_file(ws.session, case.id))
    assert set(analysis.entry_labels) == {e.id for e in current}
    assert sum(len(lane.marks) for lane in analysis.timeline.lanes) == len(current)


def test_a_new_case_without_the_chosen_agency_shows_all_its_rows_and_says_so(qtbot):
    from marac_prep.ui.chronology_view import ChronologyPanel

    panel = ChronologyPanel()
    qtbot.addWidget(panel)
    panel.set_rows(_rows(["knife seen", "welfare call", "knife threat"]), [(1, "Housing"), (0, "Police")])
    housing = next(a for a in panel.agencies.menu().actions() if a.data() == 1)
    housing.setChecked(True)
    assert panel.proxy.rowCount() == 2  # entries 2 and 3 are Housing's
    from dataclasses import replace

    panel.set_rows([replace(r, agency_id=7, agency_name="Probation") for r in _rows(["one", "two"])],
                   [(7, "Probation")])
    assert panel.agencies.text() == "Agencies: all"
    assert panel.proxy.rowCount() == 2 and panel.count.text() == "2 entries"


def test_an_ampersand_in_an_agency_or_event_type_shows_as_typed_in_the_filter(qtbot):
    from marac_prep.ui.chronology_view import ChronologyPanel

    panel = ChronologyPanel()
    qtbot.addWidget(panel)
    panel.set_rows(_rows(["knife seen"]), [(0, "Health & Care")])
    accident = panel.event_types.actions_by_label()["A&E attendance"]
    accident.setChecked(True)
    assert panel.event_types.text() == "Event types: A&&E attendance"  # shown as "A&E attendance"
    health = panel.agencies.actions_by_label()["Health & Care"]
    assert health.text() == "Health && Care"


def test_the_agency_column_fits_the_longest_agency_name_and_a_longer_one_is_elided_with_its_tooltip(
    qtbot, temporary_settings
):
    from dataclasses import replace

    from PySide6.QtCore import Qt

    from marac_prep.ui.chronology_model import AGENCY
    from marac_prep.ui.chronology_view import ChronologyPanel

    panel = ChronologyPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    care = "Children's Social Care"
    rows = [replace(r, agency_id=9, agency_name=care, agency_code="CSC") if r.entry_id == 2 else r
            for r in _rows(["knife seen", "referral received", "welfare call"])]
    panel.set_rows(rows, [(0, "Police"), (9, care)])
    table = panel.table
    shown = panel.proxy.mapFromSource(panel.model.index(1, AGENCY))
    assert table.columnWidth(AGENCY) >= table.sizeHintForIndex(shown).width() > 150  # the whole name shows
    # A name longer than the cap does not crowd out the summary: it is elided, its tooltip whole.
    long_name = "Northmoor and Westvale Community Domestic Abuse Outreach and Refuge Partnership"
    panel.set_rows([replace(r, agency_name=long_name) for r in rows], [(0, long_name)])
    assert table.columnWidth(AGENCY) == ChronologyPanel.AGENCY_MAX_WIDTH
    assert long_name in panel.proxy.index(0, AGENCY).data(Qt.ItemDataRole.ToolTipRole)
    # The user's own widths, once restored, are left as they were.
    table.setColumnWidth(AGENCY, 120)
    panel.save_state(temporary_settings)
    again = ChronologyPanel()
    qtbot.addWidget(again)
    again.restore_state(temporary_settings)
    again.set_rows(rows, [(0, "Police"), (9, care)])
    assert again.table.columnWidth(AGENCY) == 120
