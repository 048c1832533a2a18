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
