"""Repeats, serial perpetrators and victims seen before: findings from a case's people in other cases.

Reads `CaseFile.person_matches` (confirmed links and the matcher's possible matches; rejected pairs
never appear). A repeat is the same victim AND perpetrator within the repeat window of the last
Marac referral (DOMAIN.md); under the newer SafeLives wording (setting `repeat_definition` =
"any_abuse") any abuse between them recorded within the window after that referral also makes one.
Other cases are named by reference and Marac date only: their victims are not parties to this
case, so their names and details are never printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from marac_prep.analysis.findings import WHY, FindingKind, Severity
from marac_prep.core.casefile import CaseFile, EntryRecord, entry_records
from marac_prep.core.matching import MatchSettings, PersonFacts, compare
from marac_prep.core.models import Case, Person
from marac_prep.core.people import PersonMatch, match_people
from marac_prep.core.settings import Settings, current, packaged
from marac_prep.core.vocabulary import incident_event_types

KINDS: tuple[FindingKind, ...] = ("repeat", "perpetrator_in_other_cases", "victim_in_other_cases", "earlier_marac")
DEFINITIONS = ("referral", "any_abuse")


@dataclass(frozen=True)
class RepeatSettings:
    """Attributes:
    window_days: days after the last Marac referral within which a repeat falls.
    definition: "referral" (a new referral within the window) or "any_abuse" (also any abuse
        between the same victim and perpetrator recorded within the window).
    """

    window_days: int = 365
    definition: str = "referral"
    incident_types: frozenset[str] = field(default_factory=incident_event_types)

    @classmethod
    def from_settings(cls, values: Settings | None = None) -> RepeatSettings:
        """From the settings in force (`core.settings.current`; the packaged defaults when None)."""
        values = values or packaged()
        definition = values.repeat_definition
        return cls(
            window_days=values.repeat_window_days,
            definition=definition if definition in DEFINITIONS else "referral",
        )


@dataclass(frozen=True)
class RepeatFinding:
    """A finding of this module, turned into a `GapFinding` by the gap analysis."""

    kind: FindingKind
    severity: Severity
    message: str
    entry_ids: tuple[int, ...] = ()
    group: str = ""  # keeps a coordinator's review of the finding across re-analysis

    @property
    def why(self) -> str:
        return WHY[self.kind]  # the gap analysis's wording (`analysis.findings`)


@dataclass(frozen=True)
class EarlierMarac:
    """An earlier Marac case of this case's victim, with how sure the link is.

    Attributes:
        perpetrator: "same" (a perpetrator matched), "different" (both cases record perpetrators,
            none matched) or "unrecorded" (one of the cases records none).
        confirmed: every person link it rests on was confirmed by a coordinator.
    """

    case_id: int
    reference: str
    marac_date: date
    referral_date: date
    perpetrator: str
    confirmed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RepeatStatus:
    """How a case is shown wherever it is summarised (agenda, case list, case header, pack).

    Attributes:
        state: "repeat" (confirmed), "possible_repeat" (rests on a match not yet confirmed),
            "marked" (the referral says repeat; no earlier case found), "after_window" (an earlier
            Marac of the same victim and perpetrator more than the window ago) or "none".
        earlier: the last Marac it refers to, if any.
    """

    state: str
    earlier: EarlierMarac | None = None

    @property
    def is_repeat(self) -> bool:
        return self.state in ("repeat", "possible_repeat", "marked")

    @property
    def label(self) -> str:
        """Short text for a table cell: "Repeat", "Possible repeat", "Repeat (referral)", "" ."""
        return {
            "repeat": "Repeat",
            "possible_repeat": "Possible repeat",
            "marked": "Repeat (referral)",
            "after_window": "Earlier Marac",
        }.get(self.state, "")

    def describe(self) -> str:
        """One line for a case header or a pack's case summary."""
        e = self.earlier
        if e is None:
            return "Yes – marked on the referral" if self.state == "marked" else "No"
        when = f"{e.reference} (Marac {_day(e.marac_date)})"
        if self.state == "repeat":
            return f"Yes – same victim and perpetrator as {when}"
        if self.state == "possible_repeat":
            return f"Possibly – same victim and perpetrator as {when}; not yet confirmed"
        return f"No – last Marac {when}, more than 12 months before"


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%b %Y')}"


def _earlier(case_file: CaseFile, m: PersonMatch) -> bool:
    """The other case was referred before this one (a same-day referral is a duplicate, not earlier)."""
    return m.other_referral_date < case_file.case.referral_date


def _roles(case_file: CaseFile, role: str) -> set[int]:
    return {p.id or 0 for p in case_file.people if p.role == role}


def earlier_maracs(case_file: CaseFile) -> list[EarlierMarac]:
    """Earlier cases in which this case's victim was the victim, newest first."""
    victims, perpetrators = _roles(case_file, "victim"), _roles(case_file, "perpetrator")
    by_case: dict[int, list[PersonMatch]] = {}
    for m in case_file.person_matches:
        if _earlier(case_file, m):
            by_case.setdefault(m.other_case_id, []).append(m)
    found = []
    for matches in by_case.values():
        victim = [m for m in matches if m.person_id in victims and m.other_role == "victim"]
        if not victim:
            continue
        perpetrator = [m for m in matches if m.person_id in perpetrators and m.other_role == "perpetrator"]
        if perpetrator:
            same = "same"
        elif perpetrators and "perpetrator" in victim[0].other_case_roles:
            same = "different"
        else:
            same = "unrecorded"
        best_victim = max(victim, key=lambda m: (m.confirmed, m.score))
        links = [best_victim, *([max(perpetrator, key=lambda m: (m.confirmed, m.score))] if perpetrator else [])]
        first = victim[0]
        found.append(
            EarlierMarac(
                case_id=first.other_case_id,
                reference=first.other_reference,
                marac_date=first.other_marac_date,
                referral_date=first.other_referral_date,
                perpetrator=same,
                confirmed=all(m.confirmed for m in links),
                reasons=best_victim.reasons,
            )
        )
    return sorted(found, key=lambda e: (e.referral_date, e.case_id), reverse=True)


def _abuse_in_window(entries: Iterable[EntryRecord], start: date, end: date, rs: RepeatSettings) -> list[EntryRecord]:
    return [
        e
        for e in entries
        if e.event_type in rs.incident_types
        and (not e.subjects or "perpetrator" in e.subjects)
        and start < e.event_date <= end
    ]


def _assess(case_file: CaseFile, rs: RepeatSettings) -> tuple[RepeatStatus, list[EntryRecord]]:
    """The case's repeat status and, under "any_abuse", the entries that make it a repeat."""
    this = case_file.case
    marked = this.repeat or "repeat" in (this.criteria or [])
    same = [e for e in earlier_maracs(case_file) if e.perpetrator != "different"]
    if not same:
        return RepeatStatus("marked" if marked else "none"), []
    last = same[0]
    end = last.referral_date + timedelta(days=rs.window_days)
    evidence: list[EntryRecord] = []
    within = this.referral_date <= end
    if not within and rs.definition == "any_abuse":
        evidence = _abuse_in_window(case_file.entries, last.referral_date, end, rs)
        within = bool(evidence)
    if not within:
        return RepeatStatus("after_window", last), []
    return RepeatStatus("repeat" if last.confirmed else "possible_repeat", last), evidence


def repeat_status(case_file: CaseFile, settings: RepeatSettings | None = None) -> RepeatStatus:
    """Whether the case is a repeat (confirmed or possible), for every place a case is summarised.

    The same reading as the `repeat` finding, so a summary never says "No" beside a repeat finding.
    The case file must be loaded with its history (`load_case_file` / `load_meeting_files`).
    """
    return _assess(case_file, settings or RepeatSettings.from_settings(case_file.settings))[0]


def _confirm_hint(confirmed: bool, reasons: tuple[str, ...]) -> str:
    if confirmed:
        return ""
    return f" (possible match, not yet confirmed: {'; '.join(reasons)} – confirm or reject on the case's People tab)"


def repeat_findings(case_file: CaseFile, settings: RepeatSettings | None = None) -> list[RepeatFinding]:
    """The `repeat`, `earlier_marac`, `perpetrator_in_other_cases` and `victim_in_other_cases` findings."""
    rs = settings or RepeatSettings.from_settings(case_file.settings)
    this = case_file.case
    found: list[RepeatFinding] = []
    status, evidence = _assess(case_file, rs)
    last = status.earlier
    if last is not None:
        days = (this.referral_date - last.referral_date).days
        who = "the same victim and perpetrator" if last.perpetrator == "same" else "the same victim"
        if last.perpetrator == "unrecorded":
            who += " (a perpetrator is not recorded on one of the referrals)"
        earlier = f"{last.reference} (Marac {_day(last.marac_date)}, referred {_day(last.referral_date)})"
        hint = _confirm_hint(last.confirmed, last.reasons)
        if status.state in ("repeat", "possible_repeat"):
            ticked = this.repeat or "repeat" in (this.criteria or [])
            note = "the referral marks it as a repeat" if ticked else "the referral does not mark it as a repeat"
            if evidence:
                span = f"and abuse between them is recorded within {rs.window_days} days after that referral"
            else:
                span = f"{days} days before this referral"
            found.append(
                RepeatFinding(
                    "repeat",
                    "medium" if ticked else "high",
                    f"Repeat: {earlier} was about {who}, {span}; {note}{hint}.",
                    tuple(e.id for e in evidence),
                    group=last.reference,
                )
            )
        elif status.state == "after_window":
            found.append(
                RepeatFinding(
                    "earlier_marac",
                    "info",
                    f"{earlier} was about {who}, {days} days before this referral – more than "
                    f"{rs.window_days} days, so this is a new referral rather than a repeat{hint}.",
                    group=last.reference,
                )
            )
    found += _perpetrator_elsewhere(case_file)
    found += _victim_elsewhere(case_file)
    return found


def _case_list(matches: list[PersonMatch]) -> str:
    seen: dict[int, PersonMatch] = {}
    for m in sorted(matches, key=lambda m: (m.other_referral_date, m.other_case_id)):
        seen.setdefault(m.other_case_id, m)
    parts = [f"{m.other_reference} (Marac {_day(m.other_marac_date)})" for m in seen.values()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _perpetrator_elsewhere(case_file: CaseFile) -> list[RepeatFinding]:
    """This case's perpetrator is the perpetrator in other cases with other victims (any time)."""
    victims = _roles(case_file, "victim")
    with_this_victim = {m.other_case_id for m in case_file.person_matches if m.person_id in victims}
    found = []
    for person in case_file.people:
        if person.role != "perpetrator":
            continue
        others = [
            m
            for m in case_file.person_matches
            if m.person_id == person.id and m.other_role == "perpetrator" and m.other_case_id not in with_this_victim
        ]
        if not others:
            continue
        cases = {m.other_case_id for m in others}
        confirmed = all(m.confirmed for m in others)
        plural = "s" if len(cases) > 1 else ""
        hint = "" if confirmed else _confirm_hint(False, max(others, key=lambda m: m.score).reasons)
        found.append(
            RepeatFinding(
                "perpetrator_in_other_cases",
                "high",
                f"{person.name} is {'' if confirmed else 'possibly '}the perpetrator in {len(cases)} other "
                f"case{plural} with another victim: {_case_list(others)}{hint}.",
                group=f"perpetrator {person.id}",
            )
        )
    return found


def _victim_elsewhere(case_file: CaseFile) -> list[RepeatFinding]:
    """This case's victim was earlier recorded as a perpetrator, or as the victim of another perpetrator."""
    perpetrators = _roles(case_file, "perpetrator")
    found = []
    for person in case_file.people:
        if person.role != "victim":
            continue
        mine = [m for m in case_file.person_matches if m.person_id == person.id and _earlier(case_file, m)]
        as_perpetrator = [m for m in mine if m.other_role == "perpetrator"]
        if as_perpetrator:
            confirmed = all(m.confirmed for m in as_perpetrator)
            hint = "" if confirmed else _confirm_hint(False, as_perpetrator[0].reasons)
            found.append(
                RepeatFinding(
                    "victim_in_other_cases",
                    "high",
                    f"{person.name} was {'' if confirmed else 'possibly '}recorded as the perpetrator in "
                    f"{_case_list(as_perpetrator)}: read it against this case's pattern (a possible "
                    f"counter-allegation){hint}.",
                    group=f"victim {person.id} as perpetrator",
                )
            )
        same_perpetrator = {
            m.other_case_id
            for m in case_file.person_matches
            if m.person_id in perpetrators and m.other_role == "perpetrator"
        }
        other_perpetrator = [
            m
            for m in mine
            if m.other_role == "victim"
            and perpetrators
            and "perpetrator" in m.other_case_roles
            and m.other_case_id not in same_perpetrator
        ]
        if other_perpetrator:
            confirmed = all(m.confirmed for m in other_perpetrator)
            hint = "" if confirmed else _confirm_hint(False, other_perpetrator[0].reasons)
            found.append(
                RepeatFinding(
                    "victim_in_other_cases",
                    "medium",
                    f"{person.name} was {'' if confirmed else 'possibly '}the victim of a different perpetrator in "
                    f"{_case_list(other_perpetrator)}{hint}.",
                    group=f"victim {person.id} with another perpetrator",
                )
            )
    return found


def repeat_statuses(
    session: Session, cases: list[Case], people: dict[int, list[Person]], settings: RepeatSettings | None = None
) -> dict[int, RepeatStatus]:
    """`repeat_status` for a list of cases (an agenda) whose people are already read: one keyed
    query matches everyone at once. The one function here that reads the database (the person
    matches, and the chronology only under the "any_abuse" definition)."""
    in_force = current(session)
    rs = settings or RepeatSettings.from_settings(in_force)
    found = match_people(
        session, [p for group in people.values() for p in group], settings=MatchSettings.from_settings(in_force)
    )
    ids = [c.id or 0 for c in cases]
    entries = entry_records(session, ids) if rs.definition == "any_abuse" and ids else {}
    out = {}
    for case in cases:
        case_id = case.id or 0
        mine = people.get(case_id, [])
        case_file = CaseFile(
            case=case,
            people=mine,
            addresses=[],
            entries=entries.get(case_id, []),
            returns=[],
            assessments=[],
            agencies={},
            person_matches=[m for p in mine for m in found.get(p.id or 0, [])],
            settings=in_force,
        )
        out[case_id] = repeat_status(case_file, rs)
    return out


def same_person(a: Person, b: Person, settings: MatchSettings | None = None) -> bool:
    """Whether the matcher offers two person records as (possibly) the same person. For a case's
    own people in other cases prefer `CaseFile.person_matches`: it also knows coordinators'
    confirmations and rejections."""
    threshold = (settings or MatchSettings.from_settings()).threshold
    return compare(PersonFacts.of(a), PersonFacts.of(b)).score >= threshold
