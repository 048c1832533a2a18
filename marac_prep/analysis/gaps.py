"""Gap analysis: each rule turns a loaded case into findings about silences and missed connections.

Dates that stand for more than one day (`Mar 2026`, `2026`, `?10 Jun 2026`; see
`PartialDate.span`) are read so that a finding holds for every day they can stand for: a
referral counts as lost only if no reply could fall in the window after any of its possible
days, an indicator counts as "already held" only when its entry certainly came before the
assessment, and an incident counts towards escalation only when it certainly lies in the 12
months before the referral. On the same day, the entries' `sequence` orders them.

Rules read the coded fields and, beside them, what the entries' words say (`CaseFile.signals`);
what was read from the text is marked so in the message, with the words quoted.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from marac_prep.analysis.findings import (
    KINDS,
    SEVERITIES,
    WHY,
    FindingKind,
    GapFinding,
    Grouper,
    Instance,
    Quote,
    Severity,
    finding_key,
    headline,
    sort_findings,
    with_reviews,
)
from marac_prep.analysis.incidents import Incident, incidents
from marac_prep.analysis.language import find_victim_blaming
from marac_prep.analysis.reading.names import about_someone_else, case_names
from marac_prep.analysis.repeats import RepeatSettings, repeat_findings
from marac_prep.analysis.repeats import same_person as same_person  # re-exported: callers from before the move
from marac_prep.core.casefile import CaseFile, EntryRecord
from marac_prep.core.dates import APPROXIMATE_DAYS, PartialDate
from marac_prep.core.models import RiskAssessment
from marac_prep.core.returns import ReturnRow
from marac_prep.core.settings import Settings, packaged
from marac_prep.core.signals import TextSignal
from marac_prep.core.vocabulary import (
    RETURN_STATUS_LABELS,
    event_type_label,
    high_risk_indicators,
    incident_event_types,
    risk_indicator_label,
)

__all__ = [
    "KINDS",
    "SEVERITIES",
    "FindingKind",
    "GapFinding",
    "GapSettings",
    "Severity",
    "analyse_case",
    "analyse_meeting",
    "answered",
    "headline",
    "with_reviews",
]

_LOW_LEVELS = frozenset({"standard", "medium"})
# Known homicide markers (DOMAIN.md, "What reviews keep finding"), as Dash question ids.
HOMICIDE_MARKERS = (
    "separation",
    "strangulation",
    "threats_to_kill",
    "stalking",
    "pregnancy",
    "suicide_threats",
    "child_contact",
    "hurt_others",
    "controlling",
)
# With a separation in the last 12 months, these make the markers high (DOMAIN.md).
_WITH_SEPARATION = frozenset({"stalking", "threats_to_kill", "strangulation"})


@dataclass(frozen=True)
class GapSettings:
    """Windows and thresholds (local practice): `from_settings` reads them from `core.settings`.

    Attributes:
        referral_window_days: days after a referral within which the receiving agency should
            have an entry (the referral day itself counts as day 0; day 14 is still in time).
        escalation_window_days / escalation_incident_count: N incidents in this many days
            before the referral (the referral day included) make an escalation.
        repeat_window_days: an earlier referral at most this many days before this one is a repeat.
        repeat_definition: "referral" or "any_abuse" (see `analysis.repeats`).
        approximate_date_days: days either side of an approximate ("?") date it may stand for.
        same_incident_hours: same-day records of one incident further apart than this are two.
        as_of: the day the analysis speaks for (today when None): a referral whose window has
            not yet closed by then is not reported as lost.
    """

    referral_window_days: int = 14
    escalation_window_days: int = 365
    escalation_incident_count: int = 3
    repeat_window_days: int = 365
    repeat_definition: str = "referral"
    approximate_date_days: int = APPROXIMATE_DAYS
    same_incident_hours: int = 3
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
            approximate_date_days=values.approximate_date_days,
            same_incident_hours=values.same_incident_hours,
        )


# --- small shared readings of the case -------------------------------------------------------


def answered(row: ReturnRow) -> bool:
    """Whether the agency has answered: returned, or "nothing known". Declining is never an answer."""
    return row.answered


def agency_entries(case_file: CaseFile) -> dict[int, list[EntryRecord]]:
    """Each agency's entries (withdrawn ones are already left out by the loader), in date order."""
    out: dict[int, list[EntryRecord]] = {}
    for entry in sorted(case_file.entries, key=_order):
        out.setdefault(entry.agency_id, []).append(entry)
    return out


def is_silent(row: ReturnRow, entries: Iterable[object]) -> bool:
    """Expected, has not answered (not even "nothing known") and holds no entries of its own.

    An agency that declined is silent too: declining is never counted as an answer."""
    return row.expected and not answered(row) and not any(True for _ in entries)


def _order(entry: EntryRecord) -> tuple[date, int, int]:
    return (entry.event_date, entry.sequence, entry.id or 0)


@dataclass
class _View:
    """A case read once for all the rules: entries in order, each with the days it can stand for.

    Rules look entries up by date with `bisect` over sorted lists instead of rescanning every
    entry for every entry, so a 10,000-entry case is analysed in under a second.
    """

    file: CaseFile
    gs: GapSettings
    ordered: list[EntryRecord]
    spans: dict[int, tuple[date, date]]  # by id(entry)
    by_agency: dict[int, list[EntryRecord]]
    by_type: dict[str, list[EntryRecord]]
    signalled: dict[tuple[str, str], list[EntryRecord]]  # (signal kind, code) -> entries, in order
    indicators: dict[int, list[tuple[str, tuple[Quote, ...]]]]  # by id(entry), entries with any
    high: dict[int, list[tuple[str, tuple[Quote, ...]]]]  # the high-risk ones, by id(entry)
    with_indicators: list[EntryRecord]  # entries with any indicator, coded or read, in order
    dash_yes: list[tuple[RiskAssessment, str]]  # (assessment record, question answered "yes")
    counted: list[Incident] | None = None
    _starts: dict[int, list[date]] = field(default_factory=dict)

    @classmethod
    def of(cls, case_file: CaseFile, gs: GapSettings) -> _View:
        ordered = sorted(case_file.entries, key=_order)
        by_agency: dict[int, list[EntryRecord]] = {}
        by_type: dict[str, list[EntryRecord]] = {}
        signalled: dict[tuple[str, str], list[EntryRecord]] = {}
        spans: dict[int, tuple[date, date]] = {}
        indicators: dict[int, list[tuple[str, tuple[Quote, ...]]]] = {}
        high: dict[int, list[tuple[str, tuple[Quote, ...]]]] = {}
        with_indicators: list[EntryRecord] = []
        all_signals = case_file.signals
        high_risk = gs.high_risk_indicators
        approximate_days = gs.approximate_date_days
        for entry in ordered:
            by_agency.setdefault(entry.agency_id, []).append(entry)
            by_type.setdefault(entry.event_type, []).append(entry)
            if entry.date_precision == "day" and not entry.date_approximate:
                spans[id(entry)] = (entry.event_date, entry.event_date)  # most entries: no PartialDate needed
            else:
                spans[id(entry)] = entry.partial_date.span(approximate_days)
            said = all_signals.get(entry.id) if all_signals else None
            if said:
                for signal in said:
                    found = signalled.setdefault((signal.kind, signal.code), [])
                    if not found or found[-1] is not entry:
                        found.append(entry)
            if entry.risk_indicators or said:
                read = _read_indicators(entry, said or ())
                if read:
                    indicators[id(entry)] = read
                    with_indicators.append(entry)
                    risky = [(code, quotes) for code, quotes in read if code in high_risk]
                    if risky:
                        high[id(entry)] = risky
        dash_yes = [
            (record, question)
            for record in case_file.assessments
            for question, answer in (record.answers or {}).items()
            if isinstance(answer, dict) and answer.get("answer") == "yes"
        ]
        return cls(
            case_file, gs, ordered, spans, by_agency, by_type, signalled, indicators, high, with_indicators, dash_yes
        )

    def starts(self, agency_id: int) -> list[date]:
        """The agency's entries' dates as written, in order (for `bisect`), worked out once."""
        found = self._starts.get(agency_id)
        if found is None:
            found = self._starts[agency_id] = [e.event_date for e in self.by_agency.get(agency_id, [])]
        return found

    def typed_or_read(self, event_type: str) -> list[EntryRecord]:
        """Entries of this event type, or whose text was read as that event, in chronological order."""
        typed = self.by_type.get(event_type, [])
        read = self.signalled.get(("event", event_type), [])
        if not read:
            return typed
        return sorted({id(e): e for e in [*typed, *read]}.values(), key=_order)

    def first_day(self, entry: EntryRecord) -> date:
        return self.spans[id(entry)][0]

    def last_day(self, entry: EntryRecord) -> date:
        return self.spans[id(entry)][1]

    def exact(self, entry: EntryRecord) -> bool:
        return entry.date_precision == "day" and not entry.date_approximate

    def signals(self, entry: EntryRecord, kind: str, code: str | None = None) -> list[TextSignal]:
        return [s for s in self.file.signals.get(entry.id, ()) if s.kind == kind and (code is None or s.code == code)]

    def by_last_day(self, entries: Iterable[EntryRecord]) -> _ByLastDay:
        ordered = sorted(entries, key=self.last_day)  # stable: chronology order within a day
        return _ByLastDay(ordered, [self.last_day(e) for e in ordered])

    def before(self, entries: _ByLastDay, first: date, sequence: int | None) -> list[EntryRecord]:
        """Those of `entries` that certainly came before a day (`first`, the earliest it can be),
        or earlier that same day by sequence when both dates are exact; by last possible day."""
        cut = bisect_left(entries.lasts, first)
        found = entries.entries[:cut]
        if sequence is not None:
            same_day = entries.entries[cut : bisect_right(entries.lasts, first)]
            found += [e for e in same_day if self.exact(e) and e.event_date == first and e.sequence < sequence]
        return found


@dataclass(frozen=True)
class _ByLastDay:
    """Entries sorted by their last possible day, with those days alongside for `bisect`."""

    entries: list[EntryRecord]
    lasts: list[date]


def _when(entry: EntryRecord) -> str:
    if entry.date_precision == "day" and not entry.date_approximate:
        return _day(entry.event_date)  # most entries: no PartialDate needed
    return entry.partial_date.display()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _finding(
    case_file: CaseFile,
    kind: FindingKind,
    severity: Severity,
    message: str,
    *,
    agency: str | None = None,
    entries: Iterable[EntryRecord] = (),
    group: str | None = None,
    quotes: tuple[Quote, ...] = (),
    instances: tuple[Instance, ...] | None = None,
    key: str | None = None,
    entry_ids: tuple[int, ...] | None = None,
) -> GapFinding:
    ids = entry_ids if entry_ids is not None else tuple(dict.fromkeys(e.id for e in entries if e.id is not None))
    return GapFinding(
        kind=kind,
        case_id=case_file.case.id or 0,
        case_reference=case_file.case.reference,
        agency=agency,
        entry_ids=ids,
        severity=severity,
        message=message,
        why=WHY[kind],
        key=key if key is not None else finding_key(kind, agency, group),
        instances=instances if instances is not None else (Instance(message, severity, ids, quotes),),
        from_text=quotes,
    )


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quoted(signals: Iterable[TextSignal], reads_as: str) -> tuple[Quote, ...]:
    return tuple(Quote(s.entry_id, s.words, reads_as) for s in signals)


def _read(quotes: Iterable[Quote]) -> str:
    """ " (read from the text: “…”)" for a message, or "" when nothing was read from the text."""
    words = list(dict.fromkeys(f"“{q.words}”" for q in quotes))
    return f" (read from the text: {_list(words)})" if words else ""


_SHOWN = 6


def _grouped(head: str, instances: list[Instance]) -> str:
    """A group's message: what it is, then its instances named shortly (each stays listed in
    full in `instances`)."""
    shorts = [i.short for i in instances if i.short]
    if len(shorts) > _SHOWN:
        shorts = [*shorts[:_SHOWN], f"{len(shorts) - _SHOWN} more"]
    return f"{head}: {_list(shorts)}." if shorts else f"{head}."


def _grouper(view: _View, kind: FindingKind, head: str) -> Grouper:
    """A grouper whose group message is `head` (formatted with n and agency) and the instances."""
    return Grouper(
        view.file.case.id or 0,
        view.file.case.reference,
        kind,
        lambda agency, _group, items: _grouped(head.format(n=len(items), agency=agency or ""), items),
    )


# --- the rules ---------------------------------------------------------------------------------


def silent_agencies(view: _View) -> list[GapFinding]:
    """Expected agencies that have returned nothing, declined, or answered "nothing known"
    beside entries of their own; "nothing known" answers as info notes."""
    case_file, by_agency = view.file, view.by_agency
    found = []
    for row in case_file.returns:
        name = row.agency.name
        entries = by_agency.get(row.agency.id or 0, [])
        nothing = [e for e in entries if e.event_type == "nothing_known"]
        held = [e for e in entries if e.event_type != "nothing_known"]
        if row.status == "declined":
            own = f"; it holds {len(held)} entr{'ies' if len(held) != 1 else 'y'} of its own" if held else ""
            found.append(
                _finding(
                    case_file,
                    "agency_declined",
                    "high" if row.expected else "medium",
                    f"{name} declined to return information for this case{own}. Declining is not an answer: "
                    "the meeting does not know what it holds.",
                    agency=name,
                    entries=held,
                )
            )
            continue
        if held and (row.status == "nothing_known" or nothing):
            first = held[0]
            found.append(
                _finding(
                    case_file,
                    "nothing_known_with_entries",
                    "medium",
                    f"{name} answered 'nothing known' but holds {len(held)} entr{'ies' if len(held) != 1 else 'y'} "
                    f"of its own (the first of {_when(first)}); ask which is right.",
                    agency=name,
                    entries=[*nothing, *held],
                )
            )
            continue
        if row.status == "nothing_known" or nothing:
            found.append(
                _finding(
                    case_file,
                    "nothing_known",
                    "info",
                    f"{name} checked its records and holds nothing on this case.",
                    agency=name,
                    entries=nothing,
                )
            )
            continue
        if not is_silent(row, entries):
            continue
        record = row.record
        severity: Severity
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
                f"{name} has returned nothing – no entries and no 'nothing known'; {asked}.",
                agency=name,
            )
        )
    return found


def _on(day: date | None) -> str:
    return f" on {_day(day)}" if day else ""


def _has_entry_between(view: _View, agency_id: int, earliest: date, latest: date) -> bool:
    """Whether the agency has an entry (not "nothing known") that could fall in [earliest, latest]."""
    entries = view.by_agency.get(agency_id, [])  # in order of first day as written
    starts = view.starts(agency_id)
    # A date spans at most a year and the approximate margin either side, so only entries
    # written from then on can reach into the window.
    reach = timedelta(days=366 + view.gs.approximate_date_days)
    low = bisect_left(starts, earliest - reach)
    high = bisect_right(starts, latest + timedelta(days=view.gs.approximate_date_days))
    return any(
        e.event_type != "nothing_known" and view.first_day(e) <= latest and view.last_day(e) >= earliest
        for e in entries[low:high]
    )


def _agency_named(case_file: CaseFile, words: str | None) -> int | None:
    """The agency a text names ("housing", "the Idva service", "CSC"), when exactly one fits."""
    if not words:
        return None
    text = " ".join(re.findall(r"[\w&']+", words.casefold()))
    if not text:
        return None
    return _agency_for_text(text, tuple((i, a.name.casefold(), a.short_code.casefold())
                                        for i, a in case_file.agencies.items()))


@lru_cache(maxsize=4096)
def _agency_for_text(text: str, agencies: tuple[tuple[int, str, str], ...]) -> int | None:
    """`_agency_named` for a normalised text and the agencies' (id, name, short code), casefolded:
    worked out once per wording, not once per entry (referral wording repeats across a meeting)."""
    exact = [i for i, name, code in agencies if text in (name, code)]
    if len(exact) == 1:
        return exact[0]
    loose = [
        i
        for i, name, _code in agencies
        if re.search(rf"\b{re.escape(text)}\b", name) or re.search(rf"\b{re.escape(name)}\b", text)
    ]
    return loose[0] if len(loose) == 1 else None


def _referrals(view: _View) -> list[tuple[EntryRecord, int, tuple[Quote, ...]]]:
    """(entry, receiving agency id, quoted words) for each referral made, typed or read from the text."""
    found = []
    for entry in view.typed_or_read("referral_made"):
        targets: dict[int, tuple[Quote, ...]] = {}
        if entry.event_type == "referral_made" and entry.referred_to_agency_id is not None:
            targets[entry.referred_to_agency_id] = ()
        for signal in view.signals(entry, "event", "referral_made"):
            target = _agency_named(view.file, signal.target_agency)
            if target is not None and target not in targets:
                targets[target] = _quoted([signal], "a referral made")
        for target, quotes in targets.items():
            if target != entry.agency_id:
                found.append((entry, target, quotes))
    return found


def referrals_not_received(view: _View) -> list[GapFinding]:
    """A referral made to another agency that has no entry of its own in the window after it,
    for every day the referral can have been made on; says the receiver's return status."""
    case_file, gs = view.file, view.gs
    rows = {r.agency.id: r for r in case_file.returns}
    said_status: dict[str, str] = {}  # the receiver's return status, the same for all its referrals
    grouper = Grouper(
        case_file.case.id or 0,
        case_file.case.reference,
        "referral_not_received",
        lambda agency, _group, items: _grouped(
            f"{len(items)} referrals to {agency} have no entry of its own after them "
            f"(its return: {said_status.get(agency or '', '')})",
            items,
        ),
    )
    for referral, target, quotes in _referrals(view):
        earliest, last = view.spans[id(referral)]
        latest = last + timedelta(days=gs.referral_window_days)
        if latest >= (gs.as_of or date.today()):
            continue  # the receiving agency still has time to record it
        if _has_entry_between(view, target, earliest, latest):
            continue
        sender, receiver = case_file.agency_name(referral.agency_id), case_file.agency_name(target)
        row = rows.get(target)
        status = row.status if row is not None else "not_requested"
        # Asked and answered without it, or declined: the referral is lost. Never asked, or not
        # yet answered: worth a line, but the receiving agency has not yet been heard.
        severity: Severity = "high" if status in ("returned", "nothing_known", "declined") else "medium"
        said_status[receiver] = RETURN_STATUS_LABELS.get(status, status).lower()
        grouper.add(
            Instance(
                f"{sender} referred to {receiver} on {_when(referral)}{_read(quotes)}; {receiver} has no entry "
                f"within {gs.referral_window_days} days after it; its return: "
                f"{RETURN_STATUS_LABELS.get(status, status).lower()}.",
                severity,
                (referral.id,),
                quotes,
                short=f"{sender} on {_when(referral)}{_read(quotes)}",
            ),
            agency=receiver,
        )
    return grouper.findings()


def referrals_considered_not_made(view: _View) -> list[GapFinding]:
    """Referrals considered and not made: the event type, or the event read from the text."""
    case_file = view.file
    grouper = _grouper(view, "referral_considered_not_made", "{agency} considered {n} referrals and did not make them")
    for entry in view.typed_or_read("referral_considered_not_made"):
        typed = entry.event_type == "referral_considered_not_made"
        read = view.signals(entry, "event", "referral_considered_not_made")
        if not typed and not read:
            continue
        quotes = () if typed else _quoted(read, "a referral considered, not made")
        agency = case_file.agency_name(entry.agency_id)
        to = f" to {case_file.agency_name(entry.referred_to_agency_id)}" if entry.referred_to_agency_id else ""
        grouper.add(
            Instance(
                f"{agency} considered a referral{to} on {_when(entry)} and did not make it{_read(quotes)}.",
                "high",
                (entry.id,),
                quotes,
                short=f"{_when(entry)}{to}{_read(quotes)}",
            ),
            agency=agency,
        )
    return grouper.findings()


@dataclass(frozen=True)
class _Assessment:
    agency_id: int
    first: date
    level: str
    entry: EntryRecord | None
    label: str


def _assessments(view: _View) -> list[_Assessment]:
    """Low or medium assessments from the chronology and the assessment records, once each."""
    case_file = view.file
    out: dict[tuple[int, date], _Assessment] = {}
    for entry in view.ordered:
        if entry.event_type == "risk_assessment" and entry.risk_level in _LOW_LEVELS:
            first = view.first_day(entry)
            out.setdefault(
                (entry.agency_id, entry.event_date),
                _Assessment(entry.agency_id, first, entry.risk_level, entry, _when(entry)),
            )
    for record in case_file.assessments:
        level = record.level or case_file.settings.risk_level(record.score)
        if level in _LOW_LEVELS and level is not None:
            out.setdefault(
                (record.agency_id, record.assessed_on),
                _Assessment(record.agency_id, record.assessed_on, level, None, _day(record.assessed_on)),
            )
    return sorted(out.values(), key=lambda a: (a.first, a.agency_id))


def _read_indicators(entry: EntryRecord, said: Iterable[TextSignal]) -> list[tuple[str, tuple[Quote, ...]]]:
    """The entry's risk indicators in its own order: coded ones, then those read from its text
    (with the words); a set's order would change a finding's wording from one run to the next."""
    found: dict[str, tuple[Quote, ...]] = {code: () for code in entry.risk_indicators}
    for signal in said:
        if signal.kind == "risk_indicator" and signal.code not in found:
            found[signal.code] = _quoted([signal], risk_indicator_label(signal.code).lower())
    return list(found.items())


_NONE: list[tuple[str, tuple[Quote, ...]]] = []


def _high_risk(view: _View, entry: EntryRecord) -> list[tuple[str, tuple[Quote, ...]]]:
    return view.high.get(id(entry), _NONE)


def assessed_without_known_risk(view: _View) -> list[GapFinding]:
    """A standard or medium rating (chronology entry or assessment record) while other agencies
    already held high-risk indicators, coded or read from the text."""
    case_file = view.file
    holding = view.by_last_day(e for e in view.with_indicators if id(e) in view.high)
    # The first entry per agency and indicator names what was known and by whom. Assessments come
    # in date order, so what was held before each one is built up once, not rescanned each time.
    first: dict[tuple[int, str], tuple[EntryRecord, tuple[Quote, ...]]] = {}
    taken = 0
    grouper = _grouper(
        view,
        "assessed_without_known_risk",
        "{agency} rated the risk below high {n} times while other agencies already held high-risk indicators",
    )
    for assessment in _assessments(view):
        cut = bisect_left(holding.lasts, assessment.first)
        for e in holding.entries[taken:cut]:
            for indicator, quotes in _high_risk(view, e):
                first.setdefault((e.agency_id, indicator), (e, quotes))
        taken = max(taken, cut)
        same_day: dict[tuple[int, str], tuple[EntryRecord, tuple[Quote, ...]]] = {}
        if assessment.entry is not None and view.exact(assessment.entry):
            rest = _ByLastDay(holding.entries[cut:], holding.lasts[cut:])
            for e in view.before(rest, assessment.first, assessment.entry.sequence):
                for indicator, quotes in _high_risk(view, e):
                    same_day.setdefault((e.agency_id, indicator), (e, quotes))
        others = {key: v for key, v in {**same_day, **first}.items() if key[0] != assessment.agency_id}
        if not others:
            continue
        known = sorted({id(e): e for e, _q in others.values()}.values(), key=_order)
        held: dict[str, list[str]] = {}
        read: list[Quote] = []
        for (agency_id, indicator), (_entry, said) in sorted(others.items(), key=lambda item: _order(item[1][0])):
            label = risk_indicator_label(indicator).lower() + (" (read from the text)" if said else "")
            holders = held.setdefault(label, [])
            name = case_file.agency_name(agency_id)
            if name not in holders:
                holders.append(name)
            read += said
        what = "; ".join(f"{label} ({_list(agencies)})" for label, agencies in held.items())
        agency = case_file.agency_name(assessment.agency_id)
        ids = tuple(e.id for e in [*([assessment.entry] if assessment.entry else []), *known])
        grouper.add(
            Instance(
                f"{agency} rated the risk {assessment.level} on {assessment.label} while other agencies already "
                f"held: {what}.",
                "high",
                ids,
                tuple(read),
                short=f"{assessment.level} on {assessment.label} ({what})",
            ),
            agency=agency,
        )
    return grouper.findings()


_LISTED_INCIDENTS = 6


def _alleger(case_file: CaseFile) -> str:
    """Who makes a counter-allegation: the case's perpetrator (named when there is only one)."""
    perpetrators = [p for p in case_file.people if p.role == "perpetrator"]
    return perpetrators[0].name if len(perpetrators) == 1 else "the perpetrator"


def counter_allegations(view: _View) -> list[GapFinding]:
    """Counter-allegations by one person as one pattern: each allegation, and the earlier
    incidents in which the alleger (the perpetrator) was the reported perpetrator."""
    case_file, gs = view.file, view.gs
    # Only incidents whose subjects name the perpetrator: the alleger must be the one reported.
    incidents_by = view.by_last_day(
        e for e in view.ordered if e.event_type in gs.incident_types and "perpetrator" in e.subjects
    )
    candidates = view.typed_or_read("counter_allegation")
    if not candidates:
        return []
    allegations: list[tuple[EntryRecord, tuple[Quote, ...]]] = []
    for entry in candidates:
        if entry.event_type == "counter_allegation":
            allegations.append((entry, ()))
        elif read := view.signals(entry, "event", "counter_allegation"):
            allegations.append((entry, _quoted(read, "a counter-allegation")))
    if not allegations:
        return []
    alleger = _alleger(case_file)
    instances = []
    # What came before each allegation is a prefix of the incidents (by last day) plus a few of
    # the same day: the union over all allegations is the longest prefix and those few.
    longest: list[EntryRecord] = []
    same_day: dict[int, EntryRecord] = {}
    for entry, quotes in allegations:
        first = view.first_day(entry)
        prior = view.before(incidents_by, first, entry.sequence if view.exact(entry) else None)
        cut = bisect_left(incidents_by.lasts, first)
        if cut > len(longest):
            longest = incidents_by.entries[:cut]
        for e in prior[cut:]:
            same_day.setdefault(id(e), e)
        agency = case_file.agency_name(entry.agency_id)
        instances.append(
            Instance(
                f"Counter-allegation recorded by {agency} on {_when(entry)}{_read(quotes)}; "
                f"{len(prior)} earlier incident{'s' if len(prior) != 1 else ''} with the alleger as the reported "
                "perpetrator.",
                "high" if prior else "medium",
                (entry.id,),
                quotes,
            )
        )
    prior = sorted({id(e): e for e in [*longest, *same_day.values()]}.values(), key=_order)
    if prior:
        # The most recent few are named; every one stays linked through entry_ids.
        shown = [f"{_when(e)} ({case_file.agency_name(e.agency_id)})" for e in prior[-_LISTED_INCIDENTS:]]
        if len(prior) > _LISTED_INCIDENTS:
            shown.insert(0, f"{len(prior) - _LISTED_INCIDENTS} more before")
        pattern = (
            f"{len(prior)} earlier incident{'s' if len(prior) != 1 else ''} with the alleger as the reported "
            f"perpetrator: {_list(shown)}"
        )
    else:
        pattern = (
            "no earlier incidents with the alleger as the reported perpetrator are recorded; "
            "check other agencies' records"
        )
    if len(allegations) == 1:
        entry, quotes = allegations[0]
        head = (
            f"Counter-allegation recorded by {case_file.agency_name(entry.agency_id)} on {_when(entry)}{_read(quotes)}"
        )
    else:
        each = [f"{_when(e)} ({case_file.agency_name(e.agency_id)}){_read(q)}" for e, q in allegations]
        head = f"{len(allegations)} counter-allegations by {alleger}: {_list(each)}"
    severity: Severity = "high" if prior or len(allegations) > 1 else "medium"
    entries = [e for e, _q in allegations] + prior
    quotes_all = tuple(q for _e, qs in allegations for q in qs)
    agencies = {e.agency_id for e, _q in allegations}
    recorded_by = case_file.agency_name(next(iter(agencies))) if len(agencies) == 1 else None
    finding = _finding(
        case_file,
        "counter_allegation",
        severity,
        f"{head}; {pattern}.",
        agency=recorded_by,
        entries=entries,
        quotes=quotes_all,
        instances=tuple(instances),
        key=finding_key("counter_allegation", None, alleger),
    )
    return [finding]


def _incidents_before_referral(view: _View) -> list[Incident]:
    """Incidents certainly within the escalation window before the referral (its day included);
    worked out once per case (escalation and the homicide markers both read them)."""
    if view.counted is None:
        gs = view.gs
        end = view.file.case.referral_date
        start = end - timedelta(days=gs.escalation_window_days)
        found = incidents(
            (e for e in view.ordered if e.event_type in gs.incident_types),
            view.spans,
            same_incident_hours=gs.same_incident_hours,
        )
        view.counted = [i for i in found if start <= i.first and i.last <= end]
    return view.counted


def _incident_when(incident: Incident) -> str:
    if incident.first == incident.last:
        return _day(incident.first)
    return _when(incident.entries[0])


def escalation(view: _View) -> list[GapFinding]:
    """N or more incidents across agencies in the window before the referral, when the case was
    not referred on that criterion. One incident recorded by several agencies counts once."""
    case_file, gs = view.file, view.gs
    if "potential_escalation" in case_file.case.criteria:
        return []
    counted = _incidents_before_referral(view)
    if len(counted) < gs.escalation_incident_count:
        return []
    instances = tuple(
        Instance(
            f"{_incident_when(i)}: known to {_list([case_file.agency_name(a) for a in i.agency_ids])}.",
            "high",
            tuple(e.id for e in i.entries),
        )
        for i in counted
    )
    entries = [e for i in counted for e in i.entries]
    agencies = _list(sorted({case_file.agency_name(e.agency_id) for e in entries}))
    months = round(gs.escalation_window_days / 30.4)
    finding = _finding(
        case_file,
        "escalation",
        "high",
        f"{len(counted)} incidents in the {months} months before the referral, between "
        f"{_incident_when(counted[0])} and {_incident_when(counted[-1])}, known to {agencies}; the case was not "
        "referred on the potential-escalation criterion.",
        entries=entries,
        instances=instances,
    )
    return [finding]


def single_agency_risks(view: _View) -> list[GapFinding]:
    """A high-risk indicator that only one agency holds (its entries, coded or read from the
    text, or its own Dash answers): one finding per agency listing each such indicator."""
    case_file = view.file
    holders: dict[str, dict[int, list[tuple[EntryRecord, tuple[Quote, ...]]]]] = {}
    for e in view.with_indicators:
        for indicator, quotes in _high_risk(view, e):
            holders.setdefault(indicator, {}).setdefault(e.agency_id, []).append((e, quotes))
    for record, indicator in view.dash_yes:
        if indicator in holders:
            holders[indicator].setdefault(record.agency_id, [])
    grouper = _grouper(view, "single_agency_risk", "{n} high-risk indicators are known only to {agency}")
    order = sorted(
        holders,
        key=lambda i: (
            min(_order(e) for es in holders[i].values() for e, _q in es)
            if any(holders[i].values())
            else (date.max, 0, 0)
        ),
    )
    for indicator in order:
        by_agency = holders[indicator]
        if len(by_agency) != 1:
            continue
        agency_id, held = next(iter(by_agency.items()))
        agency = case_file.agency_name(agency_id)
        quotes = tuple(q for _e, qs in held for q in qs)
        coded = any(not qs for _e, qs in held)
        read = "" if coded else _read(quotes)
        when = _list(list(dict.fromkeys(_when(e) for e, _q in held)))
        grouper.add(
            Instance(
                f"{risk_indicator_label(indicator)} is known only to {agency} ({when}){read}.",
                "medium",
                tuple(e.id for e, _q in held),
                quotes,
                short=f"{risk_indicator_label(indicator).lower()} ({when}){read}",
            ),
            agency=agency,
        )
    return grouper.findings()


def risks_in_text_not_coded(view: _View) -> list[GapFinding]:
    """Risk indicators an entry's words name but its coded indicators leave out."""
    case_file, gs = view.file, view.gs
    grouper = _grouper(
        view, "risk_in_text_not_coded", "{n} entries of {agency} name risks in words but do not code them"
    )
    if not view.file.signals:
        return []
    for e in view.with_indicators:
        uncoded = [s for s in view.signals(e, "risk_indicator") if s.code not in e.risk_indicators]
        if not uncoded:
            continue
        by_code: dict[str, list[TextSignal]] = {}
        for s in uncoded:
            by_code.setdefault(s.code, []).append(s)
        labels = [risk_indicator_label(code).lower() for code in by_code]
        words = _list(list(dict.fromkeys(f"“{s.words}”" for s in uncoded)))
        agency = case_file.agency_name(e.agency_id)
        high = any(code in gs.high_risk_indicators for code in by_code)
        grouper.add(
            Instance(
                f"{agency}'s entry of {_when(e)} ({event_type_label(e.event_type)}) says {words}: "
                f"{_list(labels)}, not coded as a risk indicator.",
                "medium" if high else "info",
                (e.id,),
                tuple(Quote(s.entry_id, s.words, risk_indicator_label(s.code).lower()) for s in uncoded),
                short=f"{_when(e)} {words} ({_list(labels)})",
            ),
            agency=agency,
        )
    return grouper.findings()


def homicide_markers(view: _View) -> list[GapFinding]:
    """The known homicide markers present anywhere in the case, coded, read from the text or
    answered "yes" in a Dash, with agency and date. It informs; it never scores or predicts.

    High when a separation certainly in the 12 months before the referral comes with stalking,
    threats to kill or strangulation."""
    case_file, gs = view.file, view.gs
    end = case_file.case.referral_date
    start = end - timedelta(days=365)
    held: dict[str, list[tuple[EntryRecord, tuple[Quote, ...]]]] = {}
    recent_separation = False
    for e in view.with_indicators:
        for indicator, said in view.indicators[id(e)]:
            if indicator in HOMICIDE_MARKERS:
                held.setdefault(indicator, []).append((e, said))
                if indicator == "separation" and start <= view.first_day(e) and view.last_day(e) <= end:
                    recent_separation = True
    where: dict[str, list[str]] = {}
    entry_ids: dict[str, list[int]] = {}
    quotes: dict[str, list[Quote]] = {}
    for indicator, found in held.items():
        # Only the first few places are named; the rest are counted (as dates, agencies and
        # whether read from the text), so a long history is not formatted entry by entry.
        distinct = dict.fromkeys(
            (e.agency_id, e.event_date, e.date_precision, e.date_approximate, bool(q)) for e, q in found
        )
        places = []
        for agency_id, day, precision, approximate, read in list(distinct)[: _LISTED_INCIDENTS + 1]:
            when = PartialDate(day, precision, approximate).display()
            places.append(f"{case_file.agency_name(agency_id)} {when}" + (" (read from the text)" if read else ""))
        places += [""] * (len(distinct) - len(places))  # counted, not shown
        where[indicator] = places
        entry_ids[indicator] = [e.id for e, _q in found]
        quotes[indicator] = [q for _e, qs in found for q in qs]
    for record, indicator in view.dash_yes:
        if indicator in HOMICIDE_MARKERS:
            where.setdefault(indicator, []).append(
                f"{case_file.agency_name(record.agency_id)} Dash {_day(record.assessed_on)}"
            )
            if indicator == "separation" and start <= record.assessed_on <= end:
                recent_separation = True
    lines: list[Instance] = []
    for indicator in HOMICIDE_MARKERS:
        if indicator not in where:
            continue
        places = where[indicator]
        shown = places[:_LISTED_INCIDENTS] + (
            [f"{len(places) - _LISTED_INCIDENTS} more"] if len(places) > _LISTED_INCIDENTS else []
        )
        lines.append(
            Instance(
                f"{risk_indicator_label(indicator)}: {_list(shown)}.",
                "info",
                tuple(dict.fromkeys(entry_ids.get(indicator, []))),
                tuple(quotes.get(indicator, [])),
            )
        )
    if "potential_escalation" in case_file.case.criteria:
        # Referred on it: said by the referral, so the incidents need not be counted again here.
        lines.append(Instance("Escalation: the case was referred on the potential-escalation criterion.", "info"))
    elif len(counted := _incidents_before_referral(view)) >= gs.escalation_incident_count:
        lines.append(
            Instance(
                f"Escalation: {len(counted)} incidents in the 12 months before the referral.",
                "info",
                tuple(e.id for i in counted for e in i.entries),
            )
        )
    if not lines:
        return []
    present = set(where)
    high = recent_separation and bool(present & _WITH_SEPARATION)
    severity: Severity = "high" if high else "info"
    names = [i.message.split(":")[0].lower() for i in lines]
    note = (
        " A separation in the last 12 months together with "
        + _list([risk_indicator_label(i).lower() for i in HOMICIDE_MARKERS if i in present & _WITH_SEPARATION])
        + " is the pattern reviews name most."
        if high
        else ""
    )
    return [
        _finding(
            case_file,
            "homicide_markers",
            severity,
            f"Homicide markers present: {_list(names)}.{note} They inform the discussion; they are not a score.",
            quotes=tuple(q for line in lines for q in line.quotes),
            instances=tuple(lines),
            entry_ids=tuple(dict.fromkeys(i for line in lines for i in line.entry_ids)),
        )
    ]


def consent_not_recorded(view: _View) -> list[GapFinding]:
    """A case whose victim's awareness or consent is not recorded (a note: ask the referrer), or
    recorded as not consenting without the reason sharing is still necessary (a gap: sharing
    without consent is lawful only when necessary, and the reason must be written down)."""
    case = view.file.case
    missing = []
    if case.victim_aware is None:
        missing.append("whether the victim is aware of the referral")
    if case.victim_consent is None:
        missing.append("whether the victim consented")
    severity: Severity
    if case.victim_consent is False and not case.consent_reason.strip():
        severity = "medium"
        message = "The victim did not consent, and the referral does not record why sharing is still necessary."
    elif missing:
        severity = "info"
        message = (
            f"The referral does not record {_list(missing)}; ask the referrer, and record why sharing is "
            "necessary without consent."
        )
    else:
        return []
    return [_finding(view.file, "consent_not_recorded", severity, message)]


def repeats(view: _View, gs: GapSettings) -> list[GapFinding]:
    """Repeats, serial perpetrators and victims seen in other cases (`analysis.repeats`)."""
    rs = RepeatSettings(
        window_days=gs.repeat_window_days, definition=gs.repeat_definition, incident_types=gs.incident_types
    )
    return [
        _finding(view.file, f.kind, f.severity, f.message, entry_ids=f.entry_ids, group=f.group)
        for f in repeat_findings(view.file, rs)
    ]


def actions_not_completed(view: _View, gs: GapSettings) -> list[GapFinding]:
    """The last Marac's actions for this repeat victim that the agency did not complete: "not
    done: agency did not act" (high), or still open past its due date (medium). An action not
    done because circumstances changed is an answer, not a gap, and raises nothing."""
    case_file = view.file
    victim = case_file.victim
    if victim is None or not case_file.earlier_actions:
        return []
    this = case_file.case
    same = {
        other.id for other, people in case_file.earlier_cases
        if other.id != this.id and 1 <= (this.referral_date - other.referral_date).days <= gs.repeat_window_days
        and any(p.role == "victim" and same_person(victim, p) for p in people)
    }
    actions = [a for a in case_file.earlier_actions if a.case_id in same]
    if not actions:
        return []
    last = max(a.meeting_date for a in actions)
    found = []
    for action in sorted((a for a in actions if a.meeting_date == last), key=lambda a: a.id):
        due = f", due {_day(action.due_date)}" if action.due_date else ""
        owner = f" ({action.owner})" if action.owner else ""
        said = f"“{action.text}”"
        if action.status == "not_done_agency":
            why = f": {action.outcome.rstrip('.')}" if action.outcome else ""
            message = (f"At the last Marac ({_day(last)}, {action.case_reference}) {action.agency}{owner} agreed "
                       f"{said}{due}; it was not done because the agency did not act{why}.")
            severity: Severity = "high"
        elif action.status == "open" and action.due_date is not None and action.due_date < this.referral_date:
            message = (f"At the last Marac ({_day(last)}, {action.case_reference}) {action.agency}{owner} agreed "
                       f"{said}{due}; it was still open when this referral was made.")
            severity = "medium"
        else:
            continue
        found.append(_finding(case_file, "action_not_completed", severity, message, agency=action.agency,
                              group=f"{action.case_reference}#{action.id}"))
    return found


def victim_blaming(view: _View) -> list[GapFinding]:
    """Entries whose wording blames the victim, each with a suggestion (the entry is not changed).

    Where the text reader has read an entry (`CaseFile.signals`), its victim-blaming signals are
    used; otherwise the phrase list is matched here."""
    case_file = view.file
    grouper = _grouper(view, "victim_blaming_language", "{n} entries of {agency} use wording that blames the victim")
    # "went back to Bethan" (her sister) is not "went back to Darren": the case's names decide.
    perpetrators, others = case_names(case_file.people)
    for e in view.ordered:
        if e.subjects == ("perpetrator",):
            continue  # "did not engage" about a perpetrator's programme is a fact, not victim-blaming
        if e.id in case_file.signals:
            said = [s for s in view.signals(e, "victim_blaming")
                    if not about_someone_else(s.code, s.words, perpetrators, others)]
            words = [s.words for s in said]
            suggestions = [m.suggestion for w in words for m in find_victim_blaming(w)]
        else:
            matches = [m for m in find_victim_blaming(f"{e.summary}\n{e.detail}")
                       if not about_someone_else(m.code, m.phrase, perpetrators, others)]
            words = [m.phrase for m in matches]
            suggestions = [m.suggestion for m in matches]
        if not words:
            continue
        phrases = _list([f"“{w}”" for w in dict.fromkeys(words)])
        suggestion = (
            " ".join(dict.fromkeys(suggestions)) or "Say what was offered, when and how, and what got in the way."
        )
        agency = case_file.agency_name(e.agency_id)
        grouper.add(
            Instance(
                f"{agency}'s entry of {_when(e)} ({event_type_label(e.event_type)}) says {phrases}. {suggestion}",
                "medium",
                (e.id,),
                tuple(Quote(e.id, w, "victim-blaming language") for w in dict.fromkeys(words)),
                short=f"{_when(e)} {phrases}",
            ),
            agency=agency,
        )
    return grouper.findings()


RULES = (
    silent_agencies,
    referrals_not_received,
    referrals_considered_not_made,
    assessed_without_known_risk,
    counter_allegations,
    escalation,
    homicide_markers,
    single_agency_risks,
    risks_in_text_not_coded,
    consent_not_recorded,
    victim_blaming,
)


def analyse_case(case_file: CaseFile, settings: GapSettings | None = None) -> list[GapFinding]:
    """Every finding for one case, most severe first (then in the order of `KINDS`); the
    settings default to those the case file was loaded with."""
    gs = settings or GapSettings.from_settings(case_file.settings)
    view = _View.of(case_file, gs)
    findings = [f for rule in RULES for f in rule(view)]
    findings += repeats(view, gs)
    findings += actions_not_completed(view, gs)
    return sort_findings(findings)


def analyse_meeting(case_files: list[CaseFile], settings: GapSettings | None = None) -> dict[int, list[GapFinding]]:
    """Findings for each case of a meeting, by case id."""
    return {cf.case.id or 0: analyse_case(cf, settings) for cf in case_files}
