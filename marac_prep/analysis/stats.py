"""The SafeLives quarterly Marac return: figures per meeting and per quarter, from what is recorded.

Counted per case heard at a meeting dated in the quarter (DOMAIN.md "Meeting statistics"):
- **repeat**: the shared repeat status (`analysis.repeats`) is a confirmed repeat, or the
  referral marks the case as a repeat; a possible repeat resting on an unconfirmed person match
  is counted apart (`possible_repeats`) until a coordinator confirms it;
- **children**: the children recorded on the referral;
- **referrals by agency**: the case's referring agency; "partner agency" is any agency but the
  police (an agency whose short code is POL or whose name contains "police");
- **victims**: the case's victim as recorded: Black, Asian or racially minoritised, LGBT+,
  disabled, male (by the `counts_as` of `resources/diversity.json`), aged 16–17 **on the
  referral date**; a field left blank, "not recorded" or holding an older free-text value the
  list does not know is counted as not recorded, never guessed;
- **perpetrators aged 17 or under**, also on the referral date.
Percentages are of the cases, to one decimal place, as SafeLives publishes them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from marac_prep.analysis.repeats import repeat_statuses
from marac_prep.core.diversity import counts_as
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import Agency, Case, Meeting, Person, User
from marac_prep.core.permissions import require
from marac_prep.core.settings import current
from marac_prep.resources import load_json

VICTIM_FIGURES = ("black_asian_minoritised", "lgbt", "disabled", "male", "aged_16_17")
NOT_RECORDED_FIELDS = ("ethnicity", "lgbt", "disability", "gender", "age")
_QUARTER = re.compile(r"^\s*(\d{4})\s*[-_ ]?\s*Q\s*([1-4])\s*$", re.IGNORECASE)
_MONTHS = ("Jan–Mar", "Apr–Jun", "Jul–Sep", "Oct–Dec")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter ("2026Q3" is July to September 2026)."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text)
        if match is None or not 1900 <= int(match[1]) <= 2999:
            raise ValidationError(f'"{text}" is not a quarter; write it as the year and quarter, e.g. 2026Q3.')
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        month = 3 * self.number
        return date(self.year, month, 31 if month in (3, 12) else 30)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        """"Q3 2026 (Jul–Sep)" for headings."""
        return f"Q{self.number} {self.year} ({_MONTHS[self.number - 1]})"


@dataclass(frozen=True)
class RecordedPerson:
    """The diversity fields of a victim or perpetrator, as stored (blank when not recorded)."""

    gender: str = ""
    ethnicity: str = ""
    disability: str = ""
    lgbt: bool | None = None
    date_of_birth: date | None = None

    @classmethod
    def of(cls, person: Person) -> RecordedPerson:
        return cls(person.gender, person.ethnicity, person.disability, person.lgbt, person.date_of_birth)


@dataclass(frozen=True)
class CaseFacts:
    """What the return reads from one case.

    Attributes:
        repeat: "repeat" (confirmed, or marked on the referral), "possible" (an unconfirmed
            person match only) or "no".
        victim: the case's victim, or None when none is recorded.
    """

    case_id: int
    meeting_id: int
    referral_date: date
    referring_agency: str
    police_referral: bool
    repeat: str
    children: int
    victim: RecordedPerson | None
    perpetrators: tuple[RecordedPerson, ...] = ()


@dataclass(frozen=True)
class VictimFigures:
    """Counts of victims in each figure; `not_recorded` per field ("ethnicity", "lgbt", …)."""

    black_asian_minoritised: int = 0
    lgbt: int = 0
    disabled: int = 0
    male: int = 0
    aged_16_17: int = 0
    not_recorded: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    """The return's figures for one meeting or one quarter."""

    meetings: int
    cases: int
    repeat_cases: int
    possible_repeats: int
    children: int
    referrals_by_agency: dict[str, int]
    police_referrals: int
    victims: VictimFigures
    perpetrators_under_18: int
    perpetrators_age_not_recorded: int

    @property
    def repeat_percent(self) -> float | None:
        return percent(self.repeat_cases, self.cases)

    @property
    def partner_agency_referral_percent(self) -> float | None:
        return percent(self.cases - self.police_referrals, self.cases)

    def victim_percent(self, name: str) -> float | None:
        return percent(getattr(self.victims, name), self.cases)


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` as a percentage to one decimal place; None when there is nothing to divide."""
    return None if whole == 0 else round(100 * part / whole, 1)


def age_on(born: date, day: date) -> int:
    """Whole years of age on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _victim_counts(victims: Sequence[tuple[RecordedPerson | None, date]]) -> VictimFigures:
    found: Counter[str] = Counter()
    missing: Counter[str] = Counter({name: 0 for name in NOT_RECORDED_FIELDS})
    for person, referral in victims:
        if person is None:
            missing.update(NOT_RECORDED_FIELDS)
            continue
        for name in ("ethnicity", "disability", "gender"):
            groups = counts_as(name, getattr(person, name))
            if groups is None:
                missing[name] += 1
            else:
                found.update(groups)
        if person.lgbt is None:
            missing["lgbt"] += 1
        elif person.lgbt:
            found["lgbt"] += 1
        if person.date_of_birth is None:
            missing["age"] += 1
        elif 16 <= age_on(person.date_of_birth, referral) <= 17:
            found["aged_16_17"] += 1
    return VictimFigures(
        black_asian_minoritised=found["black_asian_minoritised"], lgbt=found["lgbt"], disabled=found["disabled"],
        male=found["male"], aged_16_17=found["aged_16_17"], not_recorded=dict(missing),
    )


def count(cases: Sequence[CaseFacts], *, meetings: int) -> Figures:
    """The return's figures over `cases` (heard at `meetings` meetings)."""
    agencies = Counter(c.referring_agency for c in cases)
    perpetrator_ages = [
        age_on(p.date_of_birth, c.referral_date) if p.date_of_birth else None for c in cases for p in c.perpetrators
    ]
    return Figures(
        meetings=meetings,
        cases=len(cases),
        repeat_cases=sum(c.repeat == "repeat" for c in cases),
        possible_repeats=sum(c.repeat == "possible" for c in cases),
        children=sum(c.children for c in cases),
        referrals_by_agency=dict(sorted(agencies.items(), key=lambda item: (-item[1], item[0]))),
        police_referrals=sum(c.police_referral for c in cases),
        victims=_victim_counts([(c.victim, c.referral_date) for c in cases]),
        perpetrators_under_18=sum(age is not None and age <= 17 for age in perpetrator_ages),
        perpetrators_age_not_recorded=sum(age is None for age in perpetrator_ages),
    )


@dataclass(frozen=True)
class NationalFigures:
    """SafeLives' national figures (`resources/national_figures.json`) with their source and period."""

    source: str
    period_end: date
    percentages: dict[str, float]
    cases_per_10000_adult_women: float
    recommended_per_10000_adult_women: float


def national_figures() -> NationalFigures:
    data = load_json("national_figures.json")
    return NationalFigures(
        source=data["source"],
        period_end=date.fromisoformat(data["period_end"]),
        percentages={k: float(v) for k, v in data["percentages"].items()},
        cases_per_10000_adult_women=float(data["cases_per_10000_adult_women"]),
        recommended_per_10000_adult_women=float(data["recommended_cases_per_10000_adult_women_per_year"]),
    )


@dataclass(frozen=True)
class MeetingFigures:
    """One meeting of the quarter and its figures."""

    meeting_id: int
    meeting_date: date
    status: str
    figures: Figures


@dataclass(frozen=True)
class QuarterlyReturn:
    """The quarter's figures, each meeting's, and what they are compared with.

    Attributes:
        recommended_cases: SafeLives' recommended volume for a quarter (40 a year per 10,000
            adult women), or None when the area's adult female population is not set.
    """

    quarter: Quarter
    total: Figures
    meetings: tuple[MeetingFigures, ...]
    national: NationalFigures
    adult_female_population: int
    recommended_cases: float | None

    def as_json(self) -> dict[str, Any]:
        """Exactly the keys of `marac-prep stats --json` (counts; percentages to one decimal place)."""
        t = self.total
        victims: dict[str, Any] = {name: getattr(t.victims, name) for name in VICTIM_FIGURES}
        victims["not_recorded"] = dict(t.victims.not_recorded)
        return {
            "quarter": str(self.quarter),
            "meetings": t.meetings,
            "cases": t.cases,
            "repeat_cases": t.repeat_cases,
            "repeat_percent": t.repeat_percent,
            "children": t.children,
            "referrals_by_agency": dict(t.referrals_by_agency),
            "partner_agency_referral_percent": t.partner_agency_referral_percent,
            "victims": victims,
            "perpetrators_under_18": t.perpetrators_under_18,
        }


def is_police(agency: Agency) -> bool:
    return agency.short_code.strip().upper() == "POL" or "police" in agency.name.casefold()


def _repeat(case: Case, state: str) -> str:
    marked = case.repeat or "repeat" in (case.criteria or [])
    if state in ("repeat", "marked") or (state == "possible_repeat" and marked):
        return "repeat"
    return "possible" if state == "possible_repeat" else "no"


def case_facts(session: Session, cases: Sequence[Case]) -> list[CaseFacts]:
    """The return's facts for `cases`, read with one query per kind of record."""
    ids = [c.id or 0 for c in cases]
    people: dict[int, list[Person]] = {i: [] for i in ids}
    if ids:
        rows = session.exec(select(Person).where(col(Person.case_id).in_(ids)).order_by(col(Person.id))).all()
        for person in rows:
            people[person.case_id].append(person)
    agencies = {a.id: a for a in session.exec(select(Agency)).all()}
    statuses = repeat_statuses(session, list(cases), people) if cases else {}
    facts = []
    for case in cases:
        mine = people[case.id or 0]
        victims = [p for p in mine if p.role == "victim"]
        agency = agencies.get(case.referring_agency_id)
        status = statuses.get(case.id or 0)
        facts.append(CaseFacts(
            case_id=case.id or 0,
            meeting_id=case.meeting_id or 0,
            referral_date=case.referral_date,
            referring_agency=agency.name if agency else "Not recorded",
            police_referral=agency is not None and is_police(agency),
            repeat=_repeat(case, status.state if status else "none"),
            children=sum(p.role == "child" for p in mine),
            victim=RecordedPerson.of(victims[0]) if victims else None,
            perpetrators=tuple(RecordedPerson.of(p) for p in mine if p.role == "perpetrator"),
        ))
    return facts


def quarterly_return(session: Session, *, actor: User, quarter: Quarter) -> QuarterlyReturn:
    """The quarter's return, for a profile allowed to see the Marac's statistics."""
    require(actor, "view_statistics")
    meetings = session.exec(
        select(Meeting)
        .where(Meeting.meeting_date >= quarter.start, Meeting.meeting_date <= quarter.end)
        .order_by(col(Meeting.meeting_date), col(Meeting.id))
    ).all()
    meeting_ids = [m.id or 0 for m in meetings]
    cases = (
        session.exec(select(Case).where(col(Case.meeting_id).in_(meeting_ids)).order_by(col(Case.id))).all()
        if meeting_ids else []
    )
    facts = case_facts(session, cases)
    per_meeting = tuple(
        MeetingFigures(
            meeting_id=m.id or 0, meeting_date=m.meeting_date, status=m.status,
            figures=count([f for f in facts if f.meeting_id == m.id], meetings=1),
        )
        for m in meetings
    )
    population = current(session).adult_female_population
    national = national_figures()
    recommended = population / 10_000 * national.recommended_per_10000_adult_women / 4 if population else None
    return QuarterlyReturn(
        quarter=quarter,
        total=count(facts, meetings=len(meetings)),
        meetings=per_meeting,
        national=national,
        adult_female_population=population,
        recommended_cases=recommended,
    )


@dataclass(frozen=True)
class SummaryRow:
    """One line of the return as the view, the spreadsheet and the PDF show it.

    Attributes:
        key: a stable id ("repeat", "male", …); national figures are keyed the same way.
        percent: of the quarter's cases, when the figure is a share.
        national: SafeLives' national percentage for the same figure, when there is one.
        note: what is not recorded or not counted, in words.
    """

    key: str
    label: str
    count: int
    percent: float | None = None
    national: float | None = None
    note: str = ""


def _not_recorded(n: int, what: str = "not recorded") -> str:
    return f"{n} {what}" if n else ""


def summary_rows(ret: QuarterlyReturn) -> list[SummaryRow]:
    """The return's lines in the order SafeLives lists them (DOMAIN.md)."""
    t, national = ret.total, ret.national.percentages
    missing = t.victims.not_recorded
    volume = ""
    if ret.recommended_cases is not None:
        volume = (f"recommended for the area: about {ret.recommended_cases:.0f} a quarter "
                  f"({ret.national.recommended_per_10000_adult_women:.0f} a year per 10,000 adult women)")
    possible = f"{t.possible_repeats} possible repeat{'s' if t.possible_repeats != 1 else ''} not counted until " \
               "confirmed" if t.possible_repeats else ""

    def victims(key: str, label: str, field_name: str) -> SummaryRow:
        return SummaryRow(key, label, getattr(t.victims, key), t.victim_percent(key), national.get(key),
                          _not_recorded(missing.get(field_name, 0)))

    return [
        SummaryRow("meetings", "Meetings", t.meetings),
        SummaryRow("cases", "Cases discussed", t.cases, note=volume),
        SummaryRow("repeat", "Repeat cases", t.repeat_cases, t.repeat_percent, national.get("repeat"), possible),
        SummaryRow("children", "Children in the households", t.children),
        SummaryRow("partner_agency_referral", "Referrals from agencies other than the police",
                   t.cases - t.police_referrals, t.partner_agency_referral_percent,
                   national.get("partner_agency_referral")),
        victims("black_asian_minoritised", "Victims who are Black, Asian or racially minoritised", "ethnicity"),
        victims("lgbt", "Victims who are LGBT+", "lgbt"),
        victims("disabled", "Victims who are disabled", "disability"),
        victims("male", "Victims who are male", "gender"),
        victims("aged_16_17", "Victims aged 16–17 on the referral date", "age"),
        SummaryRow("perpetrators_under_18", "Perpetrators aged 17 or under on the referral date",
                   t.perpetrators_under_18, note=_not_recorded(t.perpetrators_age_not_recorded,
                                                               "with no date of birth recorded")),
    ]
