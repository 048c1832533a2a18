"""The quarterly return's figures, checked by hand on a small fixture and against the demo workspace."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from marac_prep.analysis.stats import (
    CaseFacts,
    Quarter,
    QuarterlyReturn,
    RecordedPerson,
    SummaryRow,
    _repeat,
    age_on,
    count,
    national_figures,
    quarterly_return,
    summary_rows,
)
from marac_prep.core.cases import PersonInput, create_case
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.meetings import create_meeting
from marac_prep.core.models import Agency, Case, Meeting, Person
from marac_prep.resources import load_json

Q3 = Quarter(2026, 3)


def _case(ws, meeting, reference, referral, agency, victim, perpetrator_dob=None, *, children=0, perpetrator=True,
          **fields):
    """One referral; `victim` is (name, dob, gender, ethnicity, disability, lgbt)."""
    name, dob, gender, ethnicity, disability, lgbt = victim
    people = [PersonInput(role="victim", name=name, date_of_birth=dob, gender=gender, ethnicity=ethnicity,
                          disability=disability, lgbt=lgbt)]
    if perpetrator:
        people.append(PersonInput(role="perpetrator", name=f"Perp{reference[-2:]} MORGAN-{reference[-2:]}",
                                  date_of_birth=perpetrator_dob, gender="Male"))
    people += [PersonInput(role="child", name=f"Child{i} {reference[-2:]}X") for i in range(children)]
    return create_case(ws.session, actor=ws.coordinator, reference=reference, referral_date=referral,
                       referring_agency_id=ws.agency[agency].id, meeting_id=meeting.id,
                       criteria=fields.pop("criteria", ["visible_high_risk"]), dash_score=15, people=people, **fields)


@pytest.fixture
def quarter(ws):
    """Two meetings in Q3 2026 with five cases, and one meeting either side that must not count.

    Hand count for Q3 (meetings A on 9 Jul and B on 13 Aug):
      case  agency   repeat            children  victim                                        perpetrator
      A1    Police   no                2         Female, White British, no disability, not LGBT+, 36   39
      A2    Idva     yes (referral)    0         Male, Asian, physical, LGBT+, 17 on 1 Jul          16 -> under 18
      A3    Health   no                1         nothing recorded                               no date of birth
      B1    Police   yes (criterion)   3         Female, Black, no disability, LGBT+ n/r, 15 (16 the day after)
                                                                                                 18 that day -> not under 18
      B2    Housing  no                0         Non-binary, "Polish" (free text: n/r), mental health, LGBT+, 41
                                                                                                 none recorded
    cases 5; repeats 2 -> 40.0 %; children 2+0+1+3+0 = 6; Police 2, others 3 -> 60.0 %;
    Black, Asian or racially minoritised 2 (A2, B1); LGBT+ 2 (A2, B2); disabled 2 (A2, B2); male 1 (A2);
    aged 16-17: 1 (A2; B1 is 15 on her referral date); perpetrators 17 or under: 1 (A2's);
    not recorded: ethnicity 2 (A3, B2), LGBT+ 2 (A3, B1), disability 1, gender 1, age 1 (all A3).
    """
    s = ws.session
    a = create_meeting(s, actor=ws.coordinator, meeting_date=date(2026, 7, 9))
    b = create_meeting(s, actor=ws.coordinator, meeting_date=date(2026, 8, 13))
    before = create_meeting(s, actor=ws.coordinator, meeting_date=date(2026, 6, 30))
    after = create_meeting(s, actor=ws.coordinator, meeting_date=date(2026, 10, 1))
    _case(ws, a, "MAR-Q-A1", date(2026, 6, 25), "POL",
          ("Alys PRITCHARD", date(1990, 4, 3), "Female", "White British", "No disability", False),
          date(1987, 1, 1), children=2)
    _case(ws, a, "MAR-Q-A2", date(2026, 7, 1), "IDVA",
          ("Ravi PATEL", date(2009, 3, 1), "Male", "Asian or Asian British", "Physical disability", True),
          date(2009, 8, 1), repeat=True)
    _case(ws, a, "MAR-Q-A3", date(2026, 7, 2), "HLTH", ("Unknown", None, "", "", "", None), None, children=1)
    _case(ws, b, "MAR-Q-B1", date(2026, 8, 1), "POL",
          ("Nia EVANS", date(2010, 8, 2), "Female", "Black, Black British, Caribbean or African", "No disability",
           None), date(2008, 8, 1), children=3, criteria=["repeat", "visible_high_risk"])
    _case(ws, b, "MAR-Q-B2", date(2026, 8, 5), "HSG",
          ("Ash KOWAL", date(1985, 2, 2), "Non-binary", "Polish", "Mental health condition", True), perpetrator=False)
    _case(ws, before, "MAR-Q-X1", date(2026, 6, 20), "POL",
          ("Zofia NOWAK", date(2008, 1, 1), "Male", "Other ethnic group", "Other disability", True))
    _case(ws, after, "MAR-Q-X2", date(2026, 9, 20), "EDU",
          ("Elif YILDIZ", date(2009, 1, 1), "Male", "Mixed", "Sensory impairment", True), children=4)
    s.commit()
    return a, b


def test_quarter_figures_match_the_hand_count(ws, session, quarter):
    result = quarterly_return(session, actor=ws.coordinator, quarter=Q3)
    assert result.as_json() == {
        "quarter": "2026Q3",
        "meetings": 2,
        "cases": 5,
        "repeat_cases": 2,
        "repeat_percent": 40.0,
        "children": 6,
        "referrals_by_agency": {"Police": 2, "Health": 1, "Housing": 1, "Idva service": 1},
        "partner_agency_referral_percent": 60.0,
        "victims": {
            "black_asian_minoritised": 2, "lgbt": 2, "disabled": 2, "male": 1, "aged_16_17": 1,
            "not_recorded": {"ethnicity": 2, "lgbt": 2, "disability": 1, "gender": 1, "age": 1},
        },
        "perpetrators_under_18": 1,
    }
    assert result.total.perpetrators_age_not_recorded == 1 and result.total.possible_repeats == 0
    # Most referrals first, then by name (a dict compares equal in any order: compare the items).
    assert list(result.total.referrals_by_agency.items()) == [
        ("Police", 2), ("Health", 1), ("Housing", 1), ("Idva service", 1)]
    a, b = result.meetings
    assert (a.figures.meetings, b.figures.meetings) == (1, 1)
    assert (a.meeting_date, a.figures.cases, a.figures.repeat_cases, a.figures.children) == (date(2026, 7, 9), 3, 1, 3)
    assert (b.figures.cases, b.figures.repeat_percent, b.figures.partner_agency_referral_percent) == (2, 50.0, 50.0)
    assert result.recommended_cases is None  # the adult female population is not set


def test_recommended_volume_from_the_population_setting(ws, session, quarter):
    from marac_prep.core.settings import set_setting

    set_setting(session, actor=ws.coordinator, name="adult_female_population", value=150_000)
    result = quarterly_return(session, actor=ws.coordinator, quarter=Q3)
    # 40 a year per 10,000 adult women: 150,000 / 10,000 * 40 / 4 = 150 a quarter.
    assert result.recommended_cases == 150.0
    assert result.adult_female_population == 150_000


def test_only_coordinators_and_idvas_see_the_statistics(ws, session, quarter):
    assert quarterly_return(session, actor=ws.user("idva", "IDVA"), quarter=Q3).total.cases == 5
    for role, agency in (("agency_rep", "POL"), ("viewer", None)):
        with pytest.raises(PermissionDenied, match="cannot see or export the Marac's statistics"):
            quarterly_return(session, actor=ws.user(role, agency), quarter=Q3)


def test_a_possible_repeat_is_not_counted_until_confirmed():
    person = RecordedPerson(gender="Female")

    def facts(repeat: str) -> CaseFacts:
        return CaseFacts(case_id=1, meeting_id=1, referral_date=date(2026, 7, 1), referring_agency="Police",
                         police_referral=True, repeat=repeat, children=0, victim=person)

    figures = count([facts("possible"), facts("repeat"), facts("no"), facts("no")], meetings=1)
    assert (figures.repeat_cases, figures.possible_repeats, figures.repeat_percent) == (1, 1, 25.0)
    assert figures.partner_agency_referral_percent == 0.0
    empty = count([], meetings=0)
    assert (empty.repeat_percent, empty.partner_agency_referral_percent) == (None, None)


def test_quarters_and_ages():
    assert Quarter.parse("2026Q3") == Quarter.parse(" 2026-q3 ") == Q3
    assert (Q3.start, Q3.end, Q3.previous(), Q3.next()) == (
        date(2026, 7, 1), date(2026, 9, 30), Quarter(2026, 2), Quarter(2026, 4))
    assert Quarter(2026, 4).next() == Quarter(2027, 1) and Quarter(2027, 1).previous() == Quarter(2026, 4)
    assert Quarter.of(date(2026, 12, 31)).end == date(2026, 12, 31)
    for bad in ("2026Q5", "Q3", "2026 third"):
        with pytest.raises(ValidationError, match=r"e\.g\. 2026Q3"):
            Quarter.parse(bad)
    assert age_on(date(2009, 8, 1), date(2026, 7, 31)) == 16 and age_on(date(2009, 8, 1), date(2026, 8, 1)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17 and age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


_MINORITISED = {"Mixed or multiple ethnic groups", "Asian or Asian British", "Black, Black British, Caribbean or African",
                "Gypsy, Roma or Irish Traveller", "Other ethnic group"}


def test_demo_workspace_figures(ws, session):
    """The demo's quarter, counted a second way: straight from the rows, one case at a time."""
    from marac_prep.demo import build_demo

    today = date(2026, 11, 30)
    build_demo(session, actor=ws.coordinator, today=today)
    quarter = Quarter.of(today)
    result = quarterly_return(session, actor=ws.coordinator, quarter=quarter).as_json()
    meetings = session.exec(select(Meeting).where(Meeting.meeting_date >= quarter.start,
                                                  Meeting.meeting_date <= quarter.end)).all()
    cases = [c for c in session.exec(select(Case)).all() if c.meeting_id in {m.id for m in meetings}]
    police = next(a.id for a in session.exec(select(Agency)).all() if a.short_code == "POL")
    victims, children = [], 0
    for case in cases:
        people = session.exec(select(Person).where(Person.case_id == case.id).order_by(Person.id)).all()
        victims.append(next(p for p in people if p.role == "victim"))
        children += sum(p.role == "child" for p in people)
    assert (result["meetings"], result["cases"], result["children"]) == (len(meetings), len(cases), children)
    assert result["cases"] >= 8 and result["children"] > 0
    assert sum(result["referrals_by_agency"].values()) == len(cases)
    non_police = sum(c.referring_agency_id != police for c in cases)
    assert result["partner_agency_referral_percent"] == round(100 * non_police / len(cases), 1)
    v = result["victims"]
    assert v["black_asian_minoritised"] == sum(p.ethnicity in _MINORITISED for p in victims)
    assert v["male"] == sum(p.gender.casefold() == "male" for p in victims)
    assert v["lgbt"] == sum(p.lgbt is True for p in victims)
    assert v["disabled"] == sum(p.disability not in ("", "No disability") for p in victims)
    assert v["not_recorded"]["ethnicity"] == sum(p.ethnicity == "" for p in victims)
    assert v["not_recorded"]["lgbt"] == sum(p.lgbt is None for p in victims)
    # The demo records diversity for most victims, and leaves some not recorded (as real referrals do).
    assert 0 < v["not_recorded"]["ethnicity"] < len(cases) and v["black_asian_minoritised"] > 0
    assert 0 < result["repeat_cases"] < len(cases)


def _national(key: str) -> float:
    return float(load_json("national_figures.json")["percentages"][key])


def test_the_summary_lines_of_the_hand_counted_quarter(ws, session, quarter):
    """Every line of the return as the view, the spreadsheet and the PDF show it (the fixture's hand count)."""
    from marac_prep.core.settings import set_setting

    def rows(volume: str) -> list[SummaryRow]:
        return [
            SummaryRow("meetings", "Meetings", 2),
            SummaryRow("cases", "Cases discussed", 5, note=volume),
            SummaryRow("repeat", "Repeat cases", 2, 40.0, _national("repeat")),
            SummaryRow("children", "Children in the households", 6),
            SummaryRow("partner_agency_referral", "Referrals from agencies other than the police", 3, 60.0,
                       _national("partner_agency_referral")),
            SummaryRow("black_asian_minoritised", "Victims who are Black, Asian or racially minoritised", 2, 40.0,
                       _national("black_asian_minoritised"), "2 not recorded"),
            SummaryRow("lgbt", "Victims who are LGBT+", 2, 40.0, _national("lgbt"), "2 not recorded"),
            SummaryRow("disabled", "Victims who are disabled", 2, 40.0, _national("disabled"), "1 not recorded"),
            SummaryRow("male", "Victims who are male", 1, 20.0, _national("male"), "1 not recorded"),
            SummaryRow("aged_16_17", "Victims aged 16–17 on the referral date", 1, 20.0, None, "1 not recorded"),
            SummaryRow("perpetrators_under_18", "Perpetrators aged 17 or under on the referral date", 1,
                       note="1 with no date of birth recorded"),
        ]

    assert summary_rows(quarterly_return(session, actor=ws.coordinator, quarter=Q3)) == rows("")
    set_setting(session, actor=ws.coordinator, name="adult_female_population", value=150_000)
    assert summary_rows(quarterly_return(session, actor=ws.coordinator, quarter=Q3)) == rows(
        "recommended for the area: about 150 a quarter (40 a year per 10,000 adult women)")


def _facts(n: int = 1, *, repeat: str = "no", victim: RecordedPerson | None = None,
           perpetrators: tuple[RecordedPerson, ...] = (), referral: date = date(2026, 7, 1)) -> CaseFacts:
    return CaseFacts(case_id=n, meeting_id=1, referral_date=referral, referring_agency="Police",
                     police_referral=True, repeat=repeat, children=0, victim=victim, perpetrators=perpetrators)


def _return(facts: list[CaseFacts]) -> QuarterlyReturn:
    return QuarterlyReturn(quarter=Q3, total=count(facts, meetings=1), meetings=(), national=national_figures(),
                           adult_female_population=0, recommended_cases=None)


def test_possible_repeats_are_noted_beside_the_repeat_line_in_words():
    def repeat_line(*repeats: str) -> SummaryRow:
        [row] = [r for r in summary_rows(_return([_facts(i, repeat=r) for i, r in enumerate(repeats)]))
                 if r.key == "repeat"]
        return row

    national = _national("repeat")
    assert repeat_line("repeat", "no") == SummaryRow("repeat", "Repeat cases", 1, 50.0, national, "")
    assert repeat_line("possible", "repeat", "no", "no") == SummaryRow(
        "repeat", "Repeat cases", 1, 25.0, national, "1 possible repeat not counted until confirmed")
    assert repeat_line("possible", "possible", "no", "no") == SummaryRow(
        "repeat", "Repeat cases", 0, 0.0, national, "2 possible repeats not counted until confirmed")


def test_every_field_recorded_leaves_nothing_not_recorded():
    """The "not recorded" counts name every field even at 0, so a line never loses its note's field."""
    victim = RecordedPerson(gender="Female", ethnicity="White British", disability="No disability", lgbt=False,
                            date_of_birth=date(1990, 4, 3))
    figures = count([_facts(1, victim=victim), _facts(2, victim=victim)], meetings=1)
    assert figures.victims.not_recorded == {"ethnicity": 0, "lgbt": 0, "disability": 0, "gender": 0, "age": 0}
    assert [r.note for r in summary_rows(_return([_facts(1, victim=victim)]))] == [""] * 11
    nobody = count([_facts(1), _facts(2, victim=victim)], meetings=1)
    assert nobody.victims.not_recorded == {"ethnicity": 1, "lgbt": 1, "disability": 1, "gender": 1, "age": 1}


def test_ages_at_the_edges_of_the_figures_on_the_referral_date():
    """Two victims of 16 and 17 are two; a perpetrator who is 17 that day is counted, 18 is not."""
    day = date(2026, 7, 1)
    sixteen, seventeen = RecordedPerson(date_of_birth=date(2010, 7, 1)), RecordedPerson(date_of_birth=date(2008, 7, 2))
    eighteen = RecordedPerson(date_of_birth=date(2008, 7, 1))
    figures = count([
        _facts(1, victim=sixteen, perpetrators=(seventeen,), referral=day),
        _facts(2, victim=seventeen, perpetrators=(eighteen, RecordedPerson()), referral=day),
        _facts(3, victim=eighteen, referral=day),
    ], meetings=1)
    assert (figures.victims.aged_16_17, figures.perpetrators_under_18, figures.perpetrators_age_not_recorded) == (
        2, 1, 1)


def test_the_return_follows_the_shared_repeat_status():
    """A referral's own mark counts with a possible match (criterion or flag), but not against an earlier
    Marac outside the window: the case header then says "No – last Marac …", and the return agrees."""
    by_criterion = Case(referral_date=date(2026, 7, 1), repeat=False, criteria=["repeat"])
    by_flag = Case(referral_date=date(2026, 7, 1), repeat=True, criteria=[])
    unmarked = Case(referral_date=date(2026, 7, 1), repeat=False, criteria=["visible_high_risk"])
    assert [_repeat(by_criterion, "possible_repeat"), _repeat(by_flag, "possible_repeat"),
            _repeat(unmarked, "possible_repeat")] == ["repeat", "repeat", "possible"]
    assert [_repeat(by_criterion, "after_window"), _repeat(by_flag, "none"), _repeat(unmarked, "repeat"),
            _repeat(unmarked, "marked")] == ["no", "no", "repeat", "repeat"]


def test_national_figures_are_read_whole_from_the_resource():
    data = load_json("national_figures.json")
    national = national_figures()
    assert national.source == data["source"] and national.period_end == date.fromisoformat(data["period_end"])
    assert national.percentages == {k: float(v) for k, v in data["percentages"].items()}
    assert (national.cases_per_10000_adult_women, national.recommended_per_10000_adult_women) == (
        float(data["cases_per_10000_adult_women"]), float(data["recommended_cases_per_10000_adult_women_per_year"]))
