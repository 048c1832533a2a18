"""People across cases: who in other cases may be the same person, coordinators' decisions on it,
a case's history and a search by name – the database side of `marac_prep.core.matching`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, func, literal_column, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import NotFound, ValidationError
from marac_prep.core.matching import MatchSettings, PersonFacts, compare, query_keys
from marac_prep.core.models import Case, Meeting, Person, PersonKey, PersonLink, User
from marac_prep.core.permissions import require
from marac_prep.core.settings import current

MATCHED_ROLES = ("victim", "perpetrator")
CONFIRMED, REJECTED, POSSIBLE = "confirmed", "rejected", "possible"


@dataclass(frozen=True)
class PersonMatch:
    """Another case's person record that is (confirmed) or may be (possible) one of this case's people.

    Attributes:
        person_id / role: this case's person and their role here.
        other_*: the other record and its case; `other_name` is for the app's screens only – a
            pack never prints another case's victim (data minimisation).
        status: "confirmed" (a coordinator said so) or "possible" (the matcher's suggestion).
    """

    person_id: int
    role: str
    other_person_id: int
    other_case_id: int
    other_reference: str
    other_referral_date: date
    other_meeting_date: date | None
    other_role: str
    other_relationship: str
    other_criteria: tuple[str, ...]
    other_name: str
    score: float
    reasons: tuple[str, ...]
    status: str
    other_case_roles: tuple[str, ...] = ()

    @property
    def confirmed(self) -> bool:
        return self.status == CONFIRMED

    @property
    def other_marac_date(self) -> date:
        """When the other case was at Marac (its meeting), else when it was referred."""
        return self.other_meeting_date or self.other_referral_date

    def describe(self) -> str:
        """ "possibly the same person as in MAR-…: same date of birth; surname sounds alike" """
        how = "the same person as" if self.confirmed else "possibly the same person as"
        return f"{how} the {self.other_role} in {self.other_reference}: {'; '.join(self.reasons)}"


@dataclass(frozen=True)
class _Record:
    """The columns of a candidate person the matcher and the results need (no ORM object: a
    meeting's candidates are read several times faster as plain rows)."""

    id: int
    role: str
    name: str
    aliases: list[str]
    date_of_birth: date | None
    relationship: str


@dataclass(frozen=True)
class _Candidate:
    person: _Record
    case_id: int
    reference: str
    referral_date: date
    criteria: tuple[str, ...]
    meeting_date: date | None


def _lookup_keys(person: Person) -> set[str]:
    """Keys to read for one person (`matching.query_keys`)."""
    return query_keys([person.name, *(person.aliases or [])], person.date_of_birth)


def _in(session: Session, column: Any, values: list[Any], name: str) -> Any:
    """`column IN values` with the values as ONE bound value (a JSON array read by json_each on
    SQLite, an array on PostgreSQL): a meeting looks up a thousand keys, and expanding them into
    a thousand bound parameters cost more than the query itself."""
    if session.get_bind().dialect.name == "postgresql":
        kind = Integer if values and isinstance(values[0], int) else String
        return column == any_(bindparam(name, values, type_=ARRAY(kind)))
    rows: Any = select(literal_column("value")).select_from(func.json_each(bindparam(name, json.dumps(values))))
    return column.in_(rows.scalar_subquery())


def _key_in(session: Session, keys: list[str]) -> Any:
    return _in(session, col(PersonKey.key), keys, "person_keys")


def _links(session: Session, ids: Iterable[int]) -> list[PersonLink]:
    wanted = list(set(ids))
    if not wanted:
        return []
    return list(
        session.exec(
            select(PersonLink).where(
                or_(col(PersonLink.person_id).in_(wanted), col(PersonLink.other_person_id).in_(wanted))
            )
        ).all()
    )


def _confirmed_groups(session: Session, ids: set[int]) -> tuple[dict[int, set[int]], set[frozenset[int]]]:
    """Everyone confirmed (directly or through others) to be each of `ids`, and the rejected pairs."""
    confirmed: dict[int, set[int]] = {}
    rejected: set[frozenset[int]] = set()
    frontier, seen = set(ids), set(ids)
    edges: list[tuple[int, int]] = []
    while frontier:
        found = _links(session, frontier)
        frontier = set()
        for link in found:
            pair = (link.person_id, link.other_person_id)
            if link.decision == REJECTED:
                rejected.add(frozenset(pair))
                continue
            edges.append(pair)
            for p in pair:
                if p not in seen:
                    seen.add(p)
                    frontier.add(p)
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[int, set[int]] = {}
    for p in seen:
        groups.setdefault(root(p), set()).add(p)
    for p in ids:
        confirmed[p] = groups.get(root(p), {p}) - {p}
    return confirmed, rejected


def _candidates(session: Session, ids: Iterable[int]) -> dict[int, _Candidate]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    columns: list[Any] = [
        col(Person.id),
        col(Person.role),
        col(Person.name),
        col(Person.aliases),
        col(Person.date_of_birth),
        col(Person.relationship),
        col(Case.id),
        col(Case.reference),
        col(Case.referral_date),
        col(Case.criteria),
        col(Meeting.meeting_date),
    ]
    rows = session.exec(
        select(*columns)
        .join(Case, col(Case.id) == col(Person.case_id))
        .outerjoin(Meeting, col(Meeting.id) == col(Case.meeting_id))
        .where(col(Person.id).in_(wanted))
    ).all()
    return {
        pid: _Candidate(
            _Record(pid, role, name, list(aliases or []), born, relationship or ""),
            case_id,
            reference,
            referral,
            tuple(criteria or ()),
            meeting_date,
        )
        for pid, role, name, aliases, born, relationship, case_id, reference, referral, criteria, meeting_date in rows
    }


def match_people(
    session: Session, people: Iterable[Person], *, settings: MatchSettings | None = None
) -> dict[int, list[PersonMatch]]:
    """For each victim and perpetrator in `people`, the person records of *other* cases that are
    confirmed to be them or possibly are (newest first). Rejected pairs are never returned.

    One keyed query for everyone given (a whole meeting at once), then the matcher on the few
    candidates the keys find.
    """
    ms = settings or MatchSettings.from_settings(current(session))
    subjects = [p for p in people if p.role in MATCHED_ROLES and p.id is not None]
    found: dict[int, list[PersonMatch]] = {p.id or 0: [] for p in subjects}
    if not subjects:
        return found
    wanted = {p.id or 0: _lookup_keys(p) for p in subjects}
    all_keys = sorted(set().union(*wanted.values()))
    by_key: dict[str, set[int]] = {}
    for person_id, key in session.exec(
        select(PersonKey.person_id, PersonKey.key).where(_key_in(session, all_keys))
    ).all():
        by_key.setdefault(key, set()).add(person_id)
    confirmed, rejected = _confirmed_groups(session, set(found))
    candidate_ids: dict[int, set[int]] = {}
    for subject in subjects:
        ids: set[int] = set()
        for key in wanted[subject.id or 0]:
            ids |= by_key.get(key, set())
        candidate_ids[subject.id or 0] = ids | confirmed.get(subject.id or 0, set())
    loaded = _candidates(session, set().union(*candidate_ids.values()))
    for subject in subjects:
        sid = subject.id or 0
        facts = PersonFacts.of(subject)
        for other_id in candidate_ids[sid]:
            candidate = loaded.get(other_id)
            if candidate is None or candidate.case_id == subject.case_id:
                continue
            if frozenset((sid, other_id)) in rejected:
                continue
            result = compare(facts, PersonFacts.of(candidate.person))
            if other_id in confirmed.get(sid, set()):
                status = CONFIRMED
                reasons = ("confirmed by a coordinator", *(r for r in result.reasons if result.score > 0))
            elif result.score >= ms.threshold:
                status, reasons = POSSIBLE, result.reasons
            else:
                continue
            other = candidate.person
            found[sid].append(
                PersonMatch(
                    person_id=sid,
                    role=subject.role,
                    other_person_id=other_id,
                    other_case_id=candidate.case_id,
                    other_reference=candidate.reference,
                    other_referral_date=candidate.referral_date,
                    other_meeting_date=candidate.meeting_date,
                    other_role=other.role,
                    other_relationship=other.relationship,
                    other_criteria=candidate.criteria,
                    other_name=other.name,
                    score=result.score,
                    reasons=tuple(reasons),
                    status=status,
                )
            )
    # Which roles each matched case records (is there a perpetrator to compare with?).
    matched_cases = sorted({m.other_case_id for ms in found.values() for m in ms})
    roles: dict[int, list[str]] = {}
    if matched_cases:
        for case_id, role in session.exec(
            select(Person.case_id, Person.role).where(col(Person.case_id).in_(matched_cases))
        ).all():
            roles.setdefault(case_id, []).append(role)
    for matches in found.values():
        matches[:] = [replace(m, other_case_roles=tuple(sorted(roles.get(m.other_case_id, [])))) for m in matches]
        matches.sort(key=lambda m: (m.other_referral_date, m.other_case_id), reverse=True)
    return found


def case_matches(session: Session, case_id: int, *, settings: MatchSettings | None = None) -> list[PersonMatch]:
    """Every match of one case's victims and perpetrators, newest other case first."""
    people = session.exec(select(Person).where(Person.case_id == case_id)).all()
    found = match_people(session, people, settings=settings)
    return sorted(
        (m for ms in found.values() for m in ms), key=lambda m: (m.other_referral_date, m.other_case_id), reverse=True
    )


# --- a case's history --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    """One earlier Marac case of one of this case's people (for the case view and the pack).

    Attributes:
        role_here: the person's role in this case ("victim", "perpetrator").
        role_there / relationship: their role in the earlier case, and the perpetrator's
            relationship recorded there.
        criteria: the earlier case's referral criteria ids.
        status: "confirmed" or "possible" (not yet confirmed by a coordinator).
    """

    case_id: int
    reference: str
    meeting_date: date | None
    referral_date: date
    role_here: str
    role_there: str
    relationship: str
    criteria: tuple[str, ...]
    status: str
    reasons: tuple[str, ...]


def history_from_matches(case: Case, matches: Iterable[PersonMatch]) -> list[HistoryItem]:
    """The earlier cases among `matches` (referred before this case), newest first, once per
    (case, role here); a confirmed match wins over a possible one."""
    items: dict[tuple[int, str], HistoryItem] = {}
    for m in matches:
        earlier = m.other_referral_date < case.referral_date or (
            m.other_referral_date == case.referral_date and m.other_case_id < (case.id or 0)
        )
        if not earlier:
            continue
        key = (m.other_case_id, m.role)
        if key in items and items[key].status == CONFIRMED:
            continue
        items[key] = HistoryItem(
            case_id=m.other_case_id,
            reference=m.other_reference,
            meeting_date=m.other_meeting_date,
            referral_date=m.other_referral_date,
            role_here=m.role,
            role_there=m.other_role,
            relationship=m.other_relationship,
            criteria=m.other_criteria,
            status=m.status,
            reasons=m.reasons,
        )
    return sorted(items.values(), key=lambda h: (h.referral_date, h.case_id, h.role_here), reverse=True)


def case_history(session: Session, *, case_id: int, settings: MatchSettings | None = None) -> list[HistoryItem]:
    """The earlier Marac cases of this case's victim and perpetrators: reference, meeting date,
    role, relationship and criteria, confirmed or possible (newest first)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("That case no longer exists.")
    return history_from_matches(case, case_matches(session, case_id, settings=settings))


# --- a coordinator's decision --------------------------------------------------------------------


def decide_match(session: Session, *, actor: User, person_id: int, other_person_id: int, same: bool) -> PersonLink:
    """Records that two person records are the same person (`same=True`) or not; audited.

    A rejected pair is never suggested again; a confirmed one is used by every later analysis and
    pack. A later decision on the same pair replaces the earlier one (and is audited too).
    """
    with unit_of_work(session):
        require(actor, "link_people")
        person, other = session.get(Person, person_id), session.get(Person, other_person_id)
        if person is None or other is None:
            raise NotFound("One of those people is no longer recorded; nothing was changed.")
        if person.case_id == other.case_id:
            raise ValidationError("Both records are in the same case; only people in different cases are linked.")
        low, high = sorted((person_id, other_person_id))
        result = compare(PersonFacts.of(person), PersonFacts.of(other))
        link = session.exec(
            select(PersonLink).where(PersonLink.person_id == low, PersonLink.other_person_id == high)
        ).first()
        if link is None:
            link = PersonLink(person_id=low, other_person_id=high, decision="", decided_at=datetime.now(UTC))
        previous = link.decision
        link.decision = CONFIRMED if same else REJECTED
        link.score, link.reasons = result.score, result.describe()
        link.decided_by_id, link.decided_at = actor.id, datetime.now(UTC)
        session.add(link)
        session.flush()
        details: dict[str, Any] = {
            "other_person_id": other_person_id,
            "other_case_id": other.case_id,
            "score": result.score,
        }
        if previous:
            details["previous"] = previous
        audit.record(
            session,
            actor=actor,
            action="person.match_confirmed" if same else "person.match_rejected",
            object_type="person",
            object_id=person_id,
            case_id=person.case_id,
            details=details,
        )
    return link


# --- search ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """A person record found by a search across cases."""

    person_id: int
    case_id: int
    reference: str
    meeting_date: date | None
    referral_date: date
    role: str
    name: str
    aliases: tuple[str, ...]
    date_of_birth: date | None
    score: float
    reasons: tuple[str, ...]


_UNASKED = ("no date of birth on one record", "a common name: only the same date of birth joins two records")
# A search by surname alone: the missing first name is the searcher's, not the record's.
_NO_FIRST_NAME = ("first name not recorded on one record",)
SEARCH_FLOOR = 0.6  # a search shows weaker candidates than the suggestions do: the user chooses


def find_people(session: Session, *, name: str, date_of_birth: date | None = None, limit: int = 50) -> list[SearchHit]:
    """Person records in every case that may be the person named (by name, alias or date of
    birth), best first, with the matcher's reasons."""
    name = " ".join(name.split())
    if not name and date_of_birth is None:
        raise ValidationError("Type a name or a date of birth to search for.")
    probe = Person(case_id=0, role="victim", name=name or "Unknown", date_of_birth=date_of_birth, aliases=[])
    lookup = query_keys([name], date_of_birth) if name else set()
    if date_of_birth is not None:
        lookup.add(f"d:{date_of_birth.isoformat()}")  # a search by date of birth alone, too
    if not lookup:
        return []
    ids = set(session.exec(select(PersonKey.person_id).where(_key_in(session, sorted(lookup)))).all())
    hits = []
    facts = PersonFacts.of(probe)
    for other_id, candidate in _candidates(session, ids).items():
        person = candidate.person
        if name:
            result = compare(facts, PersonFacts.of(person))
            if result.score < SEARCH_FLOOR:
                continue
            score, reasons = result.score, result.reasons
            unasked = (_UNASKED if date_of_birth is None else ()) + (_NO_FIRST_NAME if len(name.split()) == 1 else ())
            reasons = tuple(r for r in reasons if r not in unasked)  # about what the search did not say
        else:
            if person.date_of_birth != date_of_birth:
                continue
            score, reasons = 1.0, ("same date of birth",)
        hits.append(
            SearchHit(
                person_id=other_id,
                case_id=candidate.case_id,
                reference=candidate.reference,
                meeting_date=candidate.meeting_date,
                referral_date=candidate.referral_date,
                role=person.role,
                name=person.name,
                aliases=tuple(person.aliases or ()),
                date_of_birth=person.date_of_birth,
                score=score,
                reasons=reasons,
            )
        )
    hits.sort(key=lambda h: (-h.score, -h.referral_date.toordinal(), h.person_id))
    return hits[:limit]
