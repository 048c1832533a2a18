"""Incidents as events, not records: one incident that several agencies recorded counts once."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from marac_prep.core.casefile import EntryRecord

# Words in an entry that say it is a further incident, not another record of an earlier one.
_ANOTHER = ("second incident", "another incident", "later that day", "later the same day", "returned later")


@dataclass(frozen=True)
class Incident:
    """One incident, with every entry (and so every agency) that recorded it.

    Attributes:
        entries: the records of it, earliest-dated first.
        first / last: the days it can have happened on, both included (the days its records share).
    """

    entries: tuple[EntryRecord, ...]
    first: date
    last: date

    @property
    def agency_ids(self) -> list[int]:
        return list(dict.fromkeys(e.agency_id for e in self.entries))


_NO_GROUPS: list[int] = []


def _minutes(time: str | None) -> int | None:
    if not time:
        return None
    try:
        hours, minutes = time.split(":")[:2]
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return None


def _says_another(entry: EntryRecord) -> bool:
    text = f"{entry.summary} {entry.detail}".casefold()
    return any(words in text for words in _ANOTHER)


def _distinct(a: EntryRecord, b: EntryRecord, same_incident_hours: int) -> bool:
    """Whether two same-day records show two incidents: times far apart, the same agency's own
    separate records, or words saying it was a further incident."""
    ta, tb = _minutes(a.event_time), _minutes(b.event_time)
    if ta is not None and tb is not None and abs(ta - tb) > same_incident_hours * 60:
        return True
    if a.agency_id == b.agency_id and a.date_precision == b.date_precision == "day" and a.sequence != b.sequence:
        return True
    return _says_another(a) or _says_another(b)


def incidents(
    entries: Iterable[EntryRecord],
    spans: dict[int, tuple[date, date]],
    *,
    same_incident_hours: int = 3,
) -> list[Incident]:
    """Groups incident records into incidents, in date order.

    Records about the same subjects whose dates may be the same day are one incident, unless
    their times or words show two (`_distinct`). A record known only to the month or year (or
    approximately) joins the first incident it may be part of, never bridging two: so the count
    is the fewest incidents the records can stand for, and a finding built on it holds for
    every day the dates can mean.

    Args:
        spans: each entry's (first, last) possible day, by `id(entry)`.
    """
    exact: list[EntryRecord] = []
    vague: list[EntryRecord] = []
    for entry in entries:
        first, last = spans[id(entry)]
        (exact if first == last else vague).append(entry)
    # Exact days first (in the order given, chronological), so vaguer records join them and
    # never join each other first; the vaguer ones narrowest first.
    vague.sort(key=lambda e: (spans[id(e)][1] - spans[id(e)][0], spans[id(e)][0], e.sequence))
    groups: list[tuple[list[EntryRecord], date, date, frozenset[str]]] = []
    by_day: dict[date, list[int]] = {}  # one-day groups by their day, so a case's records are not rescanned
    wider: list[int] = []  # groups that may lie on several days (few: vaguely dated records)
    days: list[date] = []  # the one-day groups' days in order, once the exact records are in
    for n, entry in enumerate(exact + vague):
        first, last = spans[id(entry)]
        subjects = frozenset(entry.subjects)
        if first == last:
            candidates = by_day.get(first, _NO_GROUPS)
            if wider:
                candidates = candidates + wider
        else:
            if n == len(exact) or not days:
                days = sorted(by_day)
            inside = days[bisect_left(days, first) : bisect_right(days, last)]
            candidates = [i for day in inside for i in by_day[day]] + wider
        for index in candidates:
            members, g_first, g_last, g_subjects = groups[index]
            if first > g_last or g_first > last or g_subjects != subjects:
                continue
            if any(_distinct(entry, other, same_incident_hours) for other in members):
                continue
            members.append(entry)
            groups[index] = (members, max(first, g_first), min(last, g_last), g_subjects)
            break
        else:
            groups.append(([entry], first, last, subjects))
            if first == last:
                by_day.setdefault(first, []).append(len(groups) - 1)
            else:
                wider.append(len(groups) - 1)
    found = [
        Incident(
            tuple(members)
            if len(members) == 1
            else tuple(sorted(members, key=lambda e: (spans[id(e)][0], e.sequence))),
            first,
            last,
        )
        for members, first, last, _subjects in groups
    ]
    found.sort(key=lambda i: (i.first, i.last))
    return found
