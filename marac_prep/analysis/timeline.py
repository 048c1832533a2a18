"""A case as agency swimlanes over time: the data both the Qt timeline and the PDF timeline draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from marac_prep.analysis.gaps import agency_entries, is_silent
from marac_prep.core.casefile import CaseFile, EntryRecord
from marac_prep.core.vocabulary import (
    event_type_label,
    high_risk_indicators,
    incident_event_types,
    risk_indicator_label,
)

MARK_KINDS = ("incident", "high_risk", "referral", "other")
_REFERRAL_TYPES = frozenset({"referral_made", "referral_received", "referral_considered_not_made"})
# A case with no dated entries still gets a readable span ending at its referral.
_EMPTY_SPAN_DAYS = 90


@dataclass(frozen=True)
class Mark:
    """One entry on a lane.

    Attributes:
        day: the first day the entry could be (partial dates start their period).
        precision: "day", "month" or "year"; a month-precision mark spans its month.
        kind: "high_risk" (it evidences a high-risk indicator; wins over incident),
            "incident", "referral" or "other".
        label: event type and any risk indicators, never the free-text summary.
    """

    entry_id: int
    day: date
    precision: str
    approximate: bool
    kind: str
    label: str
    last_day: date | None = None


@dataclass(frozen=True)
class Lane:
    """One agency's row: its marks, and whether it is expected and silent.

    Attributes:
        status: the agency's return status id (see vocabulary.RETURN_STATUSES).
        silent: expected, has not answered and holds no entries – drawn as an empty lane.
    """

    agency: str
    expected: bool
    silent: bool
    status: str
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Timeline:
    """Lanes in agency order over the span [start, end] that covers every entry and the referral."""

    start: date
    end: date
    lanes: tuple[Lane, ...]


def mark_kind(entry: EntryRecord) -> str:
    if set(entry.risk_indicators) & high_risk_indicators():
        return "high_risk"
    if entry.event_type in incident_event_types():
        return "incident"
    if entry.event_type in _REFERRAL_TYPES:
        return "referral"
    return "other"


def _mark(entry: EntryRecord) -> Mark:
    label = event_type_label(entry.event_type)
    indicators = [risk_indicator_label(i) for i in entry.risk_indicators]
    if indicators:
        label += ": " + ", ".join(indicators)
    when = entry.partial_date
    return Mark(
        entry_id=entry.id or 0,
        day=when.value,
        precision=when.precision,
        approximate=when.approximate,
        kind=mark_kind(entry),
        label=label,
        last_day=when.last_day(),
    )


def build_timeline(case_file: CaseFile) -> Timeline:
    """Every agency with a return row or an entry as a lane, silent expected agencies included."""
    by_agency = agency_entries(case_file)
    lanes: list[Lane] = []
    seen: set[int] = set()
    for row in case_file.returns:
        agency_id = row.agency.id or 0
        seen.add(agency_id)
        entries = by_agency.get(agency_id, [])
        lanes.append(
            Lane(
                agency=row.agency.name,
                expected=row.expected,
                silent=is_silent(row, entries),
                status=row.status,
                marks=tuple(_mark(e) for e in entries if e.event_type != "nothing_known"),
            )
        )
    for agency_id in sorted(set(by_agency) - seen):
        entries = by_agency[agency_id]
        lanes.append(
            Lane(
                agency=case_file.agency_name(agency_id),
                expected=False,
                silent=False,
                status="not_requested",
                marks=tuple(_mark(e) for e in entries if e.event_type != "nothing_known"),
            )
        )
    days = [e.event_date for e in case_file.entries]
    last_days = [e.partial_date.last_day() for e in case_file.entries]
    referral = case_file.case.referral_date
    if days:
        start = min(min(days), referral)
        end = max(max(last_days), referral)
    else:
        start, end = referral - timedelta(days=_EMPTY_SPAN_DAYS), referral
    if end <= start:
        end = start + timedelta(days=1)
    return Timeline(start=start, end=end, lanes=tuple(lanes))
