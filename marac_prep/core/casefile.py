"""Everything known about a case, loaded at once as plain detached records for analysis and packs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from sqlmodel import Session, col, select

from marac_prep.core.actions import ActionRow, list_actions
from marac_prep.core.cases import addresses_of, cases_for_meeting, get_case, people_of
from marac_prep.core.dates import PartialDate
from marac_prep.core.matching import MatchSettings
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import (
    Address,
    Agency,
    AgencyReturn,
    Case,
    Meeting,
    Person,
    RiskAssessment,
)
from marac_prep.core.people import PersonMatch, match_people
from marac_prep.core.returns import ReturnRow, return_rows, returns_for_case
from marac_prep.core.risk import assessments_for_case
from marac_prep.core.settings import Settings, current, packaged
from marac_prep.core.signals import TextSignal
from marac_prep.core.vocabulary import PERSON_ROLES


class EntryRecord(NamedTuple):
    """A current chronology entry as analysis and packs read it: plain values, no ORM object.

    Reading the columns into these costs a quarter of building ORM objects for them, which was
    most of a meeting's gap analysis; a named tuple is the cheapest record Python makes. The
    fields and defaults are `ChronologyEntry`'s, less the withdrawal and bookkeeping columns (a
    case file never holds a withdrawn entry); its lists are tuples, shared between entries.
    """

    id: int
    case_id: int
    agency_id: int
    event_date: date
    event_type: str
    summary: str
    date_precision: str = "day"
    date_approximate: bool = False
    event_time: str | None = None
    sequence: int = 0
    source_ref: str = ""
    recorded_by: str = ""
    subjects: tuple[str, ...] = ()
    detail: str = ""
    fact_or_opinion: str = "fact"
    risk_indicators: tuple[str, ...] = ()
    risk_level: str | None = None
    referred_to_agency_id: int | None = None
    shareable: bool = True
    withheld_reason: str = ""
    version: int = 1

    @property
    def partial_date(self) -> PartialDate:
        return PartialDate(self.event_date, self.date_precision, self.date_approximate)


_RECORD_COLUMNS = EntryRecord._fields
_SUBJECTS, _RISKS = _RECORD_COLUMNS.index("subjects"), _RECORD_COLUMNS.index("risk_indicators")


@lru_cache(maxsize=4096)
def _decoded(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _strings(value: str | list[str] | None) -> tuple[str, ...]:
    """A JSON list column's value. Read as text (SQLite) it is decoded through a cache: entries
    share a few dozen distinct lists, and decoding 10,000 of them one by one was a third of
    reading a meeting. (PostgreSQL's driver hands over lists already.)"""
    if value is None:
        return ()
    return _decoded(value) if isinstance(value, str) else tuple(value)


_ENTRY_SQL = (
    f"SELECT {', '.join(_RECORD_COLUMNS)} FROM chronology_entry "
    "WHERE case_id IN ({ids}) AND withdrawn_at IS NULL ORDER BY case_id, event_date, sequence, event_time, id"
)
_DATE, _APPROXIMATE = _RECORD_COLUMNS.index("event_date"), _RECORD_COLUMNS.index("date_approximate")
_SHAREABLE = _RECORD_COLUMNS.index("shareable")


@lru_cache(maxsize=8192)
def _day(value: str) -> date:
    return date.fromisoformat(value)


def entry_records(session: Session, case_ids: list[int]) -> dict[int, list[EntryRecord]]:
    """The current entries of these cases, by case, each case's in chronological order (by date,
    then sequence, then time, then entry order, as `entries_for_case` gives them).

    A plain DB-API query with the values turned into Python ones here: SQLAlchemy's typed row
    handling cost more than the database's own work (three quarters of reading a meeting's
    5,000 entries). SQLite hands over dates as ISO text, booleans as 0/1 and JSON as text;
    PostgreSQL's driver hands over dates, booleans and lists already."""
    found: dict[int, list[EntryRecord]] = {i: [] for i in case_ids}
    ids = sorted({int(i) for i in case_ids})  # integers only: nothing to escape
    if not ids:
        return found
    rows = session.connection().exec_driver_sql(_ENTRY_SQL.format(ids=",".join(map(str, ids)))).fetchall()
    make = EntryRecord._make
    for row in rows:
        values = list(row)
        when = values[_DATE]
        if isinstance(when, str):
            values[_DATE] = _day(when)
        values[_APPROXIMATE], values[_SHAREABLE] = bool(values[_APPROXIMATE]), bool(values[_SHAREABLE])
        values[_SUBJECTS], values[_RISKS] = _strings(values[_SUBJECTS]), _strings(values[_RISKS])
        record = make(values)
        found[record.case_id].append(record)
    return found


@dataclass
class CaseFile:
    """A case with its people, addresses, entries (withdrawn ones left out), returns and assessments.

    Attributes:
        agencies: every agency by id, for naming agencies in entries and returns.
        earlier_cases: other cases, referred no later than this one, in which one of this case's
            victims or perpetrators is (or may be) recorded, with those person records;
            filled by `load_meeting_files` / `load_case_file` with `with_history=True`.
        person_matches: this case's victims' and perpetrators' records in other cases, earlier
            or later, confirmed or possible (`core.people.PersonMatch`), newest first.
        signals: what each entry's text says (`core.signals.TextSignal`), by entry id; empty
            until the text reader fills it.
        settings: the local settings in force where the case was loaded (`core.settings`).
        earlier_actions: the actions agreed at earlier Maracs for the `earlier_cases`, with their
            reported outcomes (`core.actions.ActionRow`); filled with `earlier_cases`.
    """

    case: Case
    people: list[Person]
    addresses: list[Address]
    entries: list[EntryRecord]
    returns: list[ReturnRow]
    assessments: list[RiskAssessment]
    agencies: dict[int, Agency]
    earlier_cases: list[tuple[Case, list[Person]]] = field(default_factory=list)
    signals: dict[int, tuple[TextSignal, ...]] = field(default_factory=dict)
    settings: Settings = field(default_factory=packaged)
    earlier_actions: list[ActionRow] = field(default_factory=list)
    person_matches: list[PersonMatch] = field(default_factory=list)

    def with_matches(self, earlier: list[tuple[Case, list[Person]]], matches: list[PersonMatch]) -> CaseFile:
        return replace(self, earlier_cases=earlier, person_matches=matches)

    @property
    def victim(self) -> Person | None:
        return next((p for p in self.people if p.role == "victim"), None)

    @property
    def children(self) -> list[Person]:
        return [p for p in self.people if p.role == "child"]

    def agency_name(self, agency_id: int | None) -> str:
        if agency_id is None:
            return ""
        agency = self.agencies.get(agency_id)
        return agency.name if agency else f"agency {agency_id}"


def _history(
    session: Session, case: Case, people: list[Person]
) -> tuple[list[tuple[Case, list[Person]]], list[PersonMatch]]:
    """This case's people's matches in other cases (`core.people.match_people`: confirmed links
    and possible matches, rejected pairs left out), and the earlier cases among them."""
    found = match_people(session, people, settings=MatchSettings.from_settings(current(session)))
    matches = _sorted_matches(m for p in people for m in found.get(p.id or 0, []))
    return _earlier(session, case, matches), matches


def _sorted_matches(matches: Iterable[PersonMatch]) -> list[PersonMatch]:
    return sorted(matches, key=lambda m: (m.other_referral_date, m.other_case_id, m.person_id), reverse=True)


def _earlier(session: Session, case: Case, matches: list[PersonMatch]) -> list[tuple[Case, list[Person]]]:
    """The other cases referred no later than this one in which one of its people appears."""
    wanted = {m.other_person_id for m in matches if m.other_referral_date <= case.referral_date}
    if not wanted:
        return []
    rows = session.exec(
        select(Case, Person)
        .join(Person, col(Person.case_id) == col(Case.id))
        .where(col(Person.id).in_(sorted(wanted)))
        .order_by(col(Case.referral_date).desc(), col(Case.id), col(Person.id))
    ).all()
    out: dict[int, tuple[Case, list[Person]]] = {}
    for other, person in rows:
        out.setdefault(other.id or 0, (other, []))[1].append(person)
    return list(out.values())


def load_case_file(session: Session, case_id: int, *, with_history: bool = True) -> CaseFile:
    case = get_case(session, case_id)
    people = people_of(session, case_id)
    agencies = {a.id: a for a in session.exec(select(Agency)).all() if a.id is not None}
    case_file = CaseFile(
        case=case,
        people=people,
        addresses=addresses_of(session, case_id),
        entries=entry_records(session, [case_id])[case_id],
        returns=returns_for_case(session, case_id),
        assessments=assessments_for_case(session, case_id),
        agencies=agencies,
        settings=current(session),
    ).with_matches(*(_history(session, case, people) if with_history else ([], [])))
    return _with_earlier_actions(session, case_file)


def with_history(session: Session, case_file: CaseFile) -> CaseFile:
    """The case file with its `earlier_cases` and `person_matches` read (for a file loaded with
    `with_history=False`)."""
    matched = case_file.with_matches(*_history(session, case_file.case, case_file.people))
    return _with_earlier_actions(session, matched)


def _earlier_actions(
    session: Session, history: dict[int, list[tuple[Case, list[Person]]]]
) -> dict[int, list[ActionRow]]:
    """For each case, the actions agreed at earlier Maracs for its earlier cases, in one query."""
    wanted = {other.id for found in history.values() for other, _ in found if other.id is not None}
    result: dict[int, list[ActionRow]] = {case_id: [] for case_id in history}
    if not wanted:
        return result
    rows = list_actions(session, case_ids=wanted)
    for case_id, found in history.items():
        ids = {other.id for other, _ in found}
        result[case_id] = [r for r in rows if r.case_id in ids]
    return result


def _with_earlier_actions(session: Session, case_file: CaseFile) -> CaseFile:
    case_id = case_file.case.id or 0
    found = _earlier_actions(session, {case_id: case_file.earlier_cases})[case_id]
    return replace(case_file, earlier_actions=found)


def load_meeting_files(session: Session, meeting_id: int) -> tuple[Meeting, list[CaseFile]]:
    """Every case on the meeting's agenda as a `CaseFile`, in agenda order.

    The same records `load_case_file` gives for each case, read with one query per kind of
    record for the whole meeting rather than seven per case: a 25-case meeting is a few
    queries, not ~175, which is what keeps gap analysis quick in a large database.
    """
    meeting = get_meeting(session, meeting_id)
    return meeting, load_case_files(session, cases_for_meeting(session, meeting_id))


def load_case_files(session: Session, cases: list[Case]) -> list[CaseFile]:
    """These cases as `CaseFile`s, in the order given, read as `load_meeting_files` reads an
    agenda (one query per kind of record), each with its history."""
    if not cases:
        return []
    ids = [c.id or 0 for c in cases]
    agencies_in_order = list(session.exec(select(Agency).order_by(col(Agency.id))).all())
    agencies = {a.id: a for a in agencies_in_order if a.id is not None}

    order = {role: i for i, role in enumerate(PERSON_ROLES)}
    people: dict[int, list[Person]] = {i: [] for i in ids}
    for person in session.exec(select(Person).where(col(Person.case_id).in_(ids))).all():
        people[person.case_id].append(person)
    for group in people.values():
        group.sort(key=lambda p: (order.get(p.role, 9), p.id or 0))

    addresses: dict[int, list[Address]] = {i: [] for i in ids}
    for address in session.exec(select(Address).where(col(Address.case_id).in_(ids)).order_by(col(Address.id))).all():
        addresses[address.case_id].append(address)

    entries = entry_records(session, ids)

    records: dict[int, dict[int, AgencyReturn]] = {i: {} for i in ids}
    for record in session.exec(select(AgencyReturn).where(col(AgencyReturn.case_id).in_(ids))).all():
        records[record.case_id][record.agency_id] = record

    assessments: dict[int, list[RiskAssessment]] = {i: [] for i in ids}
    for assessment in session.exec(
        select(RiskAssessment)
        .where(col(RiskAssessment.case_id).in_(ids))
        .order_by(col(RiskAssessment.case_id), col(RiskAssessment.assessed_on))
    ).all():
        assessments[assessment.case_id].append(assessment)

    in_force = current(session)
    # Everyone on the agenda is matched in one keyed query, not case by case.
    found = match_people(
        session, [p for group in people.values() for p in group], settings=MatchSettings.from_settings(in_force)
    )
    files = []
    for case in cases:
        case_id = case.id or 0
        has_children = any(p.role == "child" for p in people[case_id])
        matches = _sorted_matches(m for p in people[case_id] for m in found.get(p.id or 0, []))
        files.append(
            CaseFile(
                case=case,
                people=people[case_id],
                addresses=addresses[case_id],
                entries=entries[case_id],
                returns=return_rows(agencies_in_order, records[case_id], has_children=has_children),
                assessments=assessments[case_id],
                agencies=agencies,
                earlier_cases=_earlier(session, case, matches),
                person_matches=matches,
                settings=in_force,
            )
        )
    # The earlier Maracs' actions for the whole agenda in one query.
    earlier_actions = _earlier_actions(session, {f.case.id or 0: f.earlier_cases for f in files})
    return [replace(f, earlier_actions=earlier_actions[f.case.id or 0]) for f in files]
