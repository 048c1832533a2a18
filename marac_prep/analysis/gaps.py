"""Gap analysis: each rule turns a loaded case into findings about silences and missed connections.

Partial dates: an entry known only to the month or year spans its whole period
(`PartialDate.value` .. `PartialDate.last_day()`). Each rule reads the span in the way that
avoids a false alarm: a finding is raised only when it holds for every day the entry could be.
So a referral counts as received when any possible day of a reply falls in the window, an
indicator counts as "already held" only when its entry definitely came before the assessment,
and incidents count towards escalation only when they definitely fall in one window.
Approximate ("?") dates are read as written. On the same day, the entries' `sequence` orders them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from marac_prep.analysis.language import find_victim_blaming
from marac_prep.analysis.repeats import WHY as REPEAT_WHY
from marac_prep.analysis.repeats import RepeatSettings, repeat_findings
from marac_prep.analysis.repeats import same_person as same_person  # re-exported: callers from before the move
from marac_prep.core.casefile import CaseFile, EntryRecord
from marac_prep.core.returns import ReturnRow
from marac_prep.core.settings import Settings, packaged
from marac_prep.core.vocabulary import (
    ANSWERED_STATUSES,
    RETURN_STATUS_LABELS,
    event_type_label,
    high_risk_indicators,
    incident_event_types,
    risk_indicator_label,
)

KINDS = (
    "agency_silent",
    "referral_not_received",
    "referral_considered_not_made",
    "assessed_without_known_risk",
    "counter_allegation",
    "escalation",
    "single_agency_risk",
    "repeat",
    "perpetrator_in_other_cases",
    "victim_in_other_cases",
    "victim_blaming_language",
    "earlier_marac",
    "nothing_known",
)
SEVERITIES = ("high", "medium", "info")
_LOW_LEVELS = frozenset({"standard", "medium"})


@dataclass(frozen=True)
class GapFinding:
    """One gap or pattern found in a case.

    Attributes:
        kind: one of `KINDS`.
        agency: the agency's name where the finding is about one agency, else None.
        entry_ids: the chronology entries the finding rests on (to link to them).
        severity: "high", "medium" or "info" ("info" is a note, not a gap).
        message: what was found, in plain English.
        why: one line on why it matters.
    """

    kind: str
    case_id: int
    case_reference: str
    agency: str | None
    entry_ids: tuple[int, ...]
    severity: str
    message: str
    why: str


@dataclass(frozen=True)
class GapSettings:
    """Windows and thresholds (local practice): `from_settings` reads them from `core.settings`.

    Attributes:
        referral_window_days: days after a referral within which the receiving agency should
            have an entry (the referral day itself counts as day 0; day 14 is still in time).
        escalation_window_days / escalation_incident_count: N incidents whose dates lie at
            most this many days apart make an escalation.
        repeat_window_days: an earlier referral at most this many days before this one is a repeat.
        repeat_definition: "referral" or "any_abuse" (see `analysis.repeats`).
        as_of: the day the analysis speaks for (today when None): a referral whose window has
            not yet closed by then is not reported as lost.
    """

    referral_window_days: int = 14
    escalation_window_days: int = 365
    escalation_incident_count: int = 3
    repeat_window_days: int = 365
    repeat_definition: str = "referral"
    high_risk_indicators: frozenset[str] = field(default_factory=high_risk_indicators)
    incident_types: frozenset[str] = field(default_factory=incident_event_types)
    as_of: date | None = None

    @classmethod
    def from_settings(cls, values: Settings | None = None) -> GapSettings:
        """The rules' settings from the settings in force (`core.settings.current`; the packaged
        defaults when None)."""
        values = values or packaged()
        return cls(
            referral_window_days=values.referral_received_window_days,
            escalation_window_days=values.escalation_window_days,
            escalation_incident_count=values.escalation_incident_count,
            repeat_window_days=values.repeat_window_days,
            repeat_definition=values.repeat_definition,
        )


_WHY = {
    "agency_silent": "Without every agency's answer the meeting cannot tell 'nothing known' from 'never looked'.",
    "referral_not_received": "Referrals that go missing between agencies are a recurring finding of homicide reviews.",
    "referral_considered_not_made": "A referral considered and not made is how critical facts miss the meeting.",
    "assessed_without_known_risk": "Assessing in isolation, without what others knew, under-rates risk.",
    "counter_allegation": "Counter-allegations can be abuse of process; read them against the pattern.",
    "escalation": "3+ incidents in 12 months meets the potential-escalation criterion.",
    "single_agency_risk": "A high-risk indicator held by one agency alone is information not yet shared.",
    **REPEAT_WHY,
    "victim_blaming_language": "Blaming language shifts responsibility to the victim and hides what agencies did.",
    "nothing_known": "The agency checked and holds nothing: an answer, not a gap.",
}


# --- small shared readings of the case -------------------------------------------------------


def agency_entries(case_file: CaseFile) -> dict[int, list[EntryRecord]]:
    """Each agency's entries (withdrawn ones are already left out by the loader), in date order."""
    out: dict[int, list[EntryRecord]] = {}
    for entry in sorted(case_file.entries, key=_order):
        out.setdefault(entry.agency_id, []).append(entry)
    return out


def is_silent(row: ReturnRow, entries: Iterable[object]) -> bool:
    """Expected, has not answered (not even "nothing known") and holds no entries of its own."""
    return row.expected and row.status not in ANSWERED_STATUSES and not any(True for _ in entries)


def _order(entry: EntryRecord) -> tuple[date, int, int]:
    return (entry.event_date, entry.sequence, entry.id or 0)


def _last(entry: EntryRecord) -> date:
    return entry.partial_date.last_day()


@dataclass
class _View:
    """A case read once for all the rules: entries in order, each with its last possible day.

    Rules look entries up by date with `bisect` over these lists instead of rescanning every
    entry for every entry, so a 10,000-entry case is analysed in under a second (it took minutes before).
    """

    file: CaseFile
    ordered: list[EntryRecord]
    last: dict[int, date]  # by id(entry)
    by_agency: dict[int, list[EntryRecord]]

    @classmethod
    def of(cls, case_file: CaseFile) -> _View:
        ordered = sorted(case_file.entries, key=_order)
        by_agency: dict[int, list[EntryRecord]] = {}
        for entry in ordered:
            by_agency.setdefault(entry.agency_id, []).append(entry)
        return cls(case_file, ordered, {id(e): _last(e) for e in ordered}, by_agency)

    def last_day(self, entry: EntryRecord) -> date:
        return self.last[id(entry)]

    def by_last_day(self, entries: Iterable[EntryRecord]) -> _ByLastDay:
        ordered = sorted(entries, key=self.last_day)  # stable: chronology order within a day
        return _ByLastDay(ordered, [self.last_day(e) for e in ordered])

    def before(self, entries: _ByLastDay, day: date, sequence: int | None) -> list[EntryRecord]:
        """Those of `entries` that definitely came before `day` (or earlier that day by sequence),
        ordered by their last possible day."""
        cut = bisect_left(entries.lasts, day)
        found = entries.entries[:cut]
        if sequence is not None:
            same_day = entries.entries[cut : bisect_right(entries.lasts, day)]
            found += [
                e for e in same_day if e.date_precision == "day" and e.event_date == day and e.sequence < sequence
            ]
        return found


@dataclass(frozen=True)
class _ByLastDay:
    """Entries sorted by their last possible day, with those days alongside for `bisect`."""

    entries: list[EntryRecord]
    lasts: list[date]


def _when(entry: EntryRecord) -> str:
    return entry.partial_date.display()


def _finding(
    case_file: CaseFile,
    kind: str,
    severity: str,
    message: str,
    *,
    agency: str | None = None,
    entries: Iterable[EntryRecord] = (),
) -> GapFinding:
    ids = tuple(dict.fromkeys(e.id for e in entries if e.id is not None))
    return GapFinding(
        kind=kind,
        case_id=case_file.case.id or 0,
        case_reference=case_file.case.reference,
        agency=agency,
        entry_ids=ids,
        severity=severity,
        message=message,
        why=_WHY[kind],
    )


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- the rules ---------------------------------------------------------------------------------


def silent_agencies(view: _View, gs: GapSettings) -> list[GapFinding]:
    """Expected agencies that have returned nothing; "nothing known" answers as info notes."""
    case_file, by_agency = view.file, view.by_agency
    found = []
    for row in case_file.returns:
        entries = by_agency.get(row.agency.id or 0, [])
        nothing = [e for e in entries if e.event_type == "nothing_known"]
        if row.status == "nothing_known" or (nothing and len(nothing) == len(entries)):
            found.append(
                _finding(
                    case_file,
                    "nothing_known",
                    "info",
                    f"{row.agency.name} checked its records and holds nothing on this case.",
                    agency=row.agency.name,
                    entries=nothing,
                )
            )
            continue
        if row.status == "declined" and not entries and row.expected:
            found.append(
                _finding(
                    case_file,
                    "agency_silent",
                    "medium",
                    f"{row.agency.name} declined to return information for this case.",
                    agency=row.agency.name,
                )
            )
            continue
        if not is_silent(row, entries):
            continue
        record = row.record
        if row.status == "chased" and record is not None:
            times = f"{record.chase_count} time{'s' if record.chase_count != 1 else ''}"
            asked = f"requested{_on(record.requested_on)} and chased {times} (last{_on(record.chased_on)})"
            severity = "high"
        elif row.status == "requested" and record is not None:
            asked = f"requested{_on(record.requested_on)}, not yet chased"
            severity = "high"
        else:
            asked = "not yet requested"
            severity = "medium"
        found.append(
            _finding(
                case_file,
                "agency_silent",
                severity,
                f"{row.agency.name} has returned nothing – no entries and no 'nothing known'; {asked}.",
                agency=row.agency.name,
            )
        )
    return found


def _on(day: date | None) -> str:
    return f" on {day.day} {day.strftime('%b %Y')}" if day else ""


def _has_entry_between(view: _View, agency_id: int, earliest: date, latest: date) -> bool:
    """Whether the agency has an entry (not "nothing known") that could fall in [earliest, latest]."""
    entries = view.by_agency.get(agency_id, [])  # in date order
    starts = [e.event_date for e in entries]
    # A partial date spans at most a year, so only entries starting a year before can reach in.
    low = bisect_left(starts, earliest - timedelta(days=366))
    high = bisect_right(starts, latest)
    return any(e.event_type != "nothing_known" and view.last_day(e) >= earliest for e in entries[low:high])


def referrals_not_received(view: _View, gs: GapSettings) -> list[GapFinding]:
    """A referral made to another agency that has no entry of its own within the window after it."""
    case_file = view.file
    found = []
    for referral in view.ordered:
        target = referral.referred_to_agency_id
        if referral.event_type != "referral_made" or target is None or target == referral.agency_id:
            continue
        earliest = referral.event_date
        latest = view.last_day(referral) + timedelta(days=gs.referral_window_days)
        if latest >= (gs.as_of or date.today()):
            continue  # the receiving agency still has time to record it
        if _has_entry_between(view, target, earliest, latest):
            continue
        sender, receiver = case_file.agency_name(referral.agency_id), case_file.agency_name(target)
        found.append(
            _finding(
                case_file,
                "referral_not_received",
                "high",
                f"{sender} referred to {receiver} on {_when(referral)}; {receiver} has no entry within "
                f"{gs.referral_window_days} days after it.",
                agency=receiver,
                entries=[referral],
            )
        )
    return found


def referrals_considered_not_made(view: _View, gs: GapSettings) -> list[GapFinding]:
    case_file = view.file
    found = []
    for entry in view.ordered:
        if entry.event_type != "referral_considered_not_made":
            continue
        agency = case_file.agency_name(entry.agency_id)
        to = f" to {case_file.agency_name(entry.referred_to_agency_id)}" if entry.referred_to_agency_id else ""
        found.append(
            _finding(
                case_file,
                "referral_considered_not_made",
                "high",
                f"{agency} considered a referral{to} on {_when(entry)} and did not make it.",
                agency=agency,
                entries=[entry],
            )
        )
    return found


@dataclass(frozen=True)
class _Assessment:
    agency_id: int
    day: date
    level: str
    entry: EntryRecord | None


def _assessments(view: _View) -> list[_Assessment]:
    """Low or medium assessments from the chronology and the assessment records, once each."""
    case_file = view.file
    out: dict[tuple[int, date], _Assessment] = {}
    for entry in view.ordered:
        if entry.event_type == "risk_assessment" and entry.risk_level in _LOW_LEVELS:
            out.setdefault(
                (entry.agency_id, entry.event_date),
                _Assessment(entry.agency_id, entry.event_date, entry.risk_level, entry),
            )
    for record in case_file.assessments:
        level = record.level or case_file.settings.risk_level(record.score)
        if level in _LOW_LEVELS and level is not None:
            out.setdefault(
                (record.agency_id, record.assessed_on), _Assessment(record.agency_id, record.assessed_on, level, None)
            )
    return sorted(out.values(), key=lambda a: (a.day, a.agency_id))


def _high_risk(entry: EntryRecord, gs: GapSettings) -> list[str]:
    """The entry's high-risk indicators in its own order (a set's order would change the wording
    of a finding from one run to the next)."""
    return [i for i in entry.risk_indicators if i in gs.high_risk_indicators]


def assessed_without_known_risk(view: _View, gs: GapSettings) -> list[GapFinding]:
    """A standard or medium rating while other agencies already held high-risk indicators."""
    case_file = view.file
    holding = view.by_last_day(e for e in view.ordered if set(e.risk_indicators) & gs.high_risk_indicators)
    # The first entry per agency and indicator names what was known and by whom. Assessments come
    # in date order, so what was held before each one is built up once, not rescanned each time.
    first: dict[tuple[int, str], EntryRecord] = {}
    taken = 0
    found = []
    for assessment in _assessments(view):
        cut = bisect_left(holding.lasts, assessment.day)
        for e in holding.entries[taken:cut]:
            for indicator in _high_risk(e, gs):
                first.setdefault((e.agency_id, indicator), e)
        taken = max(taken, cut)
        sequence = assessment.entry.sequence if assessment.entry is not None else None
        same_day: dict[tuple[int, str], EntryRecord] = {}
        for e in view.before(_ByLastDay(holding.entries[cut:], holding.lasts[cut:]), assessment.day, sequence):
            for indicator in _high_risk(e, gs):
                same_day.setdefault((e.agency_id, indicator), e)
        others = {key: e for key, e in {**same_day, **first}.items() if key[0] != assessment.agency_id}
        if not others:
            continue
        known = sorted({id(e): e for e in others.values()}.values(), key=_order)
        held: dict[str, list[str]] = {}
        for (agency_id, indicator), _entry in sorted(others.items(), key=lambda item: _order(item[1])):
            holders = held.setdefault(risk_indicator_label(indicator).lower(), [])
            name = case_file.agency_name(agency_id)
            if name not in holders:
                holders.append(name)
        what = "; ".join(f"{label} ({_list(agencies)})" for label, agencies in held.items())
        agency = case_file.agency_name(assessment.agency_id)
        day = assessment.day
        found.append(
            _finding(
                case_file,
                "assessed_without_known_risk",
                "high",
                f"{agency} rated the risk {assessment.level} on {day.day} {day.strftime('%b %Y')} while other "
                f"agencies already held: {what}.",
                agency=agency,
                entries=[*([assessment.entry] if assessment.entry else []), *known],
            )
        )
    return found


_LISTED_INCIDENTS = 6


def counter_allegations(view: _View, gs: GapSettings) -> list[GapFinding]:
    """Each counter-allegation with the earlier incidents where the other party was the perpetrator."""
    case_file = view.file
    incidents = view.by_last_day(
        e
        for e in view.ordered
        if e.event_type in gs.incident_types
        and (not e.subjects or "perpetrator" in e.subjects or "victim" in e.subjects)
    )
    found = []
    for entry in view.ordered:
        if entry.event_type != "counter_allegation":
            continue
        prior = view.before(incidents, entry.event_date, entry.sequence)
        agency = case_file.agency_name(entry.agency_id)
        if prior:
            # The most recent few are named; every one stays linked through entry_ids.
            recent = sorted(prior[-_LISTED_INCIDENTS:], key=_order)
            shown = [f"{_when(e)} ({case_file.agency_name(e.agency_id)})" for e in recent]
            if len(prior) > _LISTED_INCIDENTS:
                shown.insert(0, f"{len(prior) - _LISTED_INCIDENTS} more before")
            dates = _list(shown)
            pattern = (
                f"{len(prior)} earlier incident{'s' if len(prior) != 1 else ''} with the alleger as the "
                f"reported perpetrator: {dates}"
            )
        else:
            pattern = "no earlier incidents are recorded; check other agencies' records"
        found.append(
            _finding(
                case_file,
                "counter_allegation",
                "high" if prior else "medium",
                f"Counter-allegation recorded by {agency} on {_when(entry)}; {pattern}.",
                agency=agency,
                entries=[entry, *prior],
            )
        )
    return found


def escalation(view: _View, gs: GapSettings) -> list[GapFinding]:
    """N or more incidents across agencies within one window, when not referred on that criterion.

    Entries of the same incident by several agencies on the same day count once.
    """
    case_file = view.file
    if "potential_escalation" in case_file.case.criteria:
        return []
    incidents: dict[tuple[date, str], list[EntryRecord]] = {}
    for e in view.ordered:
        if e.event_type in gs.incident_types:
            key = (e.event_date, e.date_precision) if e.date_precision == "day" else (e.event_date, f"{e.id}")
            incidents.setdefault(key, []).append(e)
    groups = sorted(incidents.values(), key=lambda g: g[0].event_date)
    starts = [g[0].event_date for g in groups]
    ends = [max(view.last_day(e) for e in g) for g in groups]
    best: list[list[EntryRecord]] = []
    for i, start in enumerate(starts):
        limit = start + timedelta(days=gs.escalation_window_days)
        stop = bisect_right(starts, limit)  # later groups start after the window closes
        window = [groups[j] for j in range(i, stop) if ends[j] <= limit]
        if len(window) > len(best):
            best = window
    if len(best) < gs.escalation_incident_count:
        return []
    entries = [e for g in best for e in g]
    agencies = _list(sorted({case_file.agency_name(e.agency_id) for e in entries}))
    first, last = best[0][0], best[-1][0]
    return [
        _finding(
            case_file,
            "escalation",
            "high",
            f"{len(best)} incidents between {_when(first)} and {_when(last)} known to {agencies}; the case was "
            "not referred on the potential-escalation criterion.",
            entries=entries,
        )
    ]


def single_agency_risks(view: _View, gs: GapSettings) -> list[GapFinding]:
    """A high-risk indicator that only one agency's entries evidence."""
    case_file = view.file
    holders: dict[str, dict[int, list[EntryRecord]]] = {}
    for e in view.ordered:
        for indicator in e.risk_indicators:
            if indicator in gs.high_risk_indicators:
                holders.setdefault(indicator, {}).setdefault(e.agency_id, []).append(e)
    found = []
    for indicator in sorted(holders, key=lambda i: min(_order(e) for es in holders[i].values() for e in es)):
        by_agency = holders[indicator]
        if len(by_agency) != 1:
            continue
        agency_id, entries = next(iter(by_agency.items()))
        agency = case_file.agency_name(agency_id)
        found.append(
            _finding(
                case_file,
                "single_agency_risk",
                "medium",
                f"{risk_indicator_label(indicator)} is known only to {agency} ({_list([_when(e) for e in entries])}).",
                agency=agency,
                entries=entries,
            )
        )
    return found


def repeats(view: _View, gs: GapSettings) -> list[GapFinding]:
    """Repeats, serial perpetrators and victims seen in other cases (`analysis.repeats`)."""
    rs = RepeatSettings(
        window_days=gs.repeat_window_days, definition=gs.repeat_definition, incident_types=gs.incident_types
    )
    case = view.file.case
    return [
        GapFinding(
            kind=f.kind,
            case_id=case.id or 0,
            case_reference=case.reference,
            agency=None,
            entry_ids=f.entry_ids,
            severity=f.severity,
            message=f.message,
            why=f.why,
        )
        for f in repeat_findings(view.file, rs)
    ]


def victim_blaming(view: _View, gs: GapSettings) -> list[GapFinding]:
    """Entries whose wording blames the victim, each with a suggestion (the entry is not changed)."""
    case_file = view.file
    found = []
    for e in view.ordered:
        if e.subjects == ("perpetrator",):
            continue  # "did not engage" about a perpetrator's programme is a fact, not victim-blaming
        matches = find_victim_blaming(f"{e.summary}\n{e.detail}")
        if not matches:
            continue
        phrases = _list([f"“{m.phrase}”" for m in matches])
        suggestion = " ".join(dict.fromkeys(m.suggestion for m in matches))
        agency = case_file.agency_name(e.agency_id)
        found.append(
            _finding(
                case_file,
                "victim_blaming_language",
                "medium",
                f"{agency}'s entry of {_when(e)} ({event_type_label(e.event_type)}) says {phrases}. {suggestion}",
                agency=agency,
                entries=[e],
            )
        )
    return found


RULES = (
    silent_agencies,
    referrals_not_received,
    referrals_considered_not_made,
    assessed_without_known_risk,
    counter_allegations,
    escalation,
    single_agency_risks,
    repeats,
    victim_blaming,
)


def analyse_case(case_file: CaseFile, settings: GapSettings | None = None) -> list[GapFinding]:
    """Every finding for one case, most severe first (then in the order of `KINDS`); the
    settings default to those the case file was loaded with."""
    gs = settings or GapSettings.from_settings(case_file.settings)
    view = _View.of(case_file)
    findings = [f for rule in RULES for f in rule(view, gs)]
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), KINDS.index(f.kind)))


def analyse_meeting(case_files: list[CaseFile], settings: GapSettings | None = None) -> dict[int, list[GapFinding]]:
    """Findings for each case of a meeting, by case id."""
    return {cf.case.id or 0: analyse_case(cf, settings) for cf in case_files}


def return_status_label(row: ReturnRow) -> str:
    return RETURN_STATUS_LABELS.get(row.status, row.status)
