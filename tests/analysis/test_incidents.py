"""Counting incidents, not records: what makes two records one incident and what keeps them two."""

from __future__ import annotations

from datetime import date

from marac_prep.analysis.incidents import incidents
from marac_prep.core.casefile import EntryRecord
from marac_prep.core.dates import PartialDate

POL, HSG, HLTH = 1, 2, 3
DAY = date(2026, 3, 10)


def _record(n: int, agency: int, on: date = DAY, *, precision: str = "day", **fields: object) -> EntryRecord:
    return EntryRecord(id=n, case_id=1, agency_id=agency, event_date=on, event_type="incident",
                       summary=str(fields.pop("summary", "Police attended.")), date_precision=precision,
                       subjects=("victim",), **fields)


def _count(*records: EntryRecord, hours: int = 3) -> list[list[int]]:
    """The incidents as lists of record ids, in the order `incidents` gives them."""
    spans = {id(r): PartialDate(r.event_date, r.date_precision).span() for r in records}
    return [[e.id for e in i.entries] for i in incidents(records, spans, same_incident_hours=hours)]


def test_one_incident_recorded_by_three_agencies_counts_once_and_names_each_agency_once():
    records = (_record(1, POL), _record(2, HSG), _record(3, HLTH), _record(4, POL, sequence=0))
    spans = {id(r): (r.event_date, r.event_date) for r in records}
    [incident] = incidents(records, spans)
    assert incident.agency_ids == [POL, HSG, HLTH]
    assert (incident.first, incident.last) == (DAY, DAY)


def test_times_further_apart_than_the_setting_are_two_incidents_and_at_the_limit_one():
    assert _count(_record(1, POL, event_time="09:00"), _record(2, HSG, event_time="12:00")) == [[1, 2]]
    assert _count(_record(1, POL, event_time="09:00"), _record(2, HSG, event_time="12:01")) == [[1], [2]]
    assert _count(_record(1, POL, event_time="09:00"), _record(2, HSG, event_time="12:01"), hours=4) == [[1, 2]]
    assert _count(_record(1, POL, event_time="21:00:00"), _record(2, HSG, event_time="09:00")) == [[1], [2]]


def test_an_unreadable_or_missing_time_does_not_split_an_incident():
    assert _count(_record(1, POL, event_time="9.30"), _record(2, HSG, event_time="22:00")) == [[1, 2]]
    assert _count(_record(1, POL), _record(2, HSG, event_time="22:00")) == [[1, 2]]


def test_one_agencys_own_records_of_the_same_day_in_sequence_are_two_incidents():
    assert _count(_record(1, POL, sequence=1), _record(2, POL, sequence=2)) == [[1], [2]]
    assert _count(_record(1, POL, sequence=1), _record(2, POL, sequence=1)) == [[1, 2]]
    assert _count(_record(1, POL, sequence=1), _record(2, HSG, sequence=2)) == [[1, 2]]


def test_words_saying_it_was_a_further_incident_keep_it_apart():
    for words in ("A second incident at the address.", "Another incident reported.", "She returned later.",
                  "Police called back later that day.", "Seen again later the same day."):
        assert _count(_record(1, POL), _record(2, HSG, summary=words)) == [[1], [2]], words
        assert _count(_record(1, POL, summary=words), _record(2, HSG)) == [[1], [2]], words
    assert _count(_record(1, POL), _record(2, HSG, detail="ANOTHER INCIDENT, per neighbour.")) == [[1], [2]]


def test_records_about_different_people_are_different_incidents():
    child = _record(2, HSG)._replace(subjects=("child",))
    assert _count(_record(1, POL), child) == [[1], [2]]


def test_a_month_dated_record_joins_a_days_incident_in_that_month_and_narrows_to_that_day():
    day, month = _record(1, POL), _record(2, HSG, date(2026, 3, 1), precision="month")
    spans = {id(day): (DAY, DAY), id(month): (date(2026, 3, 1), date(2026, 3, 31))}
    [incident] = incidents([day, month], spans)
    assert [e.id for e in incident.entries] == [2, 1]  # earliest possible day first
    assert (incident.first, incident.last) == (DAY, DAY)


def test_a_month_dated_record_joins_only_the_first_incident_and_never_bridges_two():
    early, late = _record(1, POL, date(2026, 3, 3)), _record(2, POL, date(2026, 3, 20))
    month = _record(3, HSG, date(2026, 3, 1), precision="month")
    assert _count(early, late, month) == [[3, 1], [2]]


def test_a_vague_record_outside_every_day_is_an_incident_of_its_own_and_they_come_in_date_order():
    april = _record(1, POL, date(2026, 4, 2))
    march = _record(2, HSG, date(2026, 3, 1), precision="month")
    year = _record(3, HLTH, date(2025, 1, 1), precision="year")
    assert _count(april, march, year) == [[3], [2], [1]]


def test_two_vague_records_of_the_same_month_are_one_incident_the_narrower_taken_first():
    year = _record(1, POL, date(2026, 1, 1), precision="year")
    month = _record(2, HSG, date(2026, 3, 1), precision="month")
    spans = {id(year): PartialDate(year.event_date, "year").span(), id(month): PartialDate(month.event_date, "month").span()}
    [incident] = incidents([year, month], spans)
    assert (incident.first, incident.last) == (date(2026, 3, 1), date(2026, 3, 31))
    assert [e.id for e in incident.entries] == [1, 2]


def test_a_day_record_given_after_a_vague_one_still_joins_it():
    month = _record(1, HSG, date(2026, 3, 1), precision="month")
    day = _record(2, POL)
    spans = {id(month): (date(2026, 3, 1), date(2026, 3, 31)), id(day): (DAY, DAY)}
    [incident] = incidents([month, day], spans)
    assert (incident.first, incident.last, incident.agency_ids) == (DAY, DAY, [HSG, POL])


def test_the_default_same_incident_window_is_three_hours():
    # Found by mutation testing: every other test names its hours; the default is the setting's.
    at_nine, at_noon, after_noon = (_record(1, POL, event_time="09:00"), _record(2, HSG, event_time="12:00"),
                                    _record(3, HSG, event_time="12:01"))
    spans = {id(r): (DAY, DAY) for r in (at_nine, at_noon, after_noon)}
    assert [[e.id for e in i.entries] for i in incidents([at_nine, at_noon], spans)] == [[1, 2]]
    assert [[e.id for e in i.entries] for i in incidents([at_nine, after_noon], spans)] == [[1], [3]]


def test_a_year_dated_record_joins_the_first_days_incident_not_the_one_a_month_dated_record_joined():
    # Found by mutation testing: the days' incidents are formed first, then the vaguer records join
    # them narrowest first, so the year-only record takes the first incident of its year (10 Mar)
    # and the April record the April one, whatever order the records come in.
    year = _record(1, HLTH, date(2026, 1, 1), precision="year")
    march = _record(2, POL, date(2026, 3, 10))
    april = _record(3, HSG, date(2026, 4, 1), precision="month")
    later = _record(4, POL, date(2026, 4, 20))
    assert _count(year, march, april, later) == [[1, 2], [3, 4]]
    assert _count(april, year, later, march) == [[1, 2], [3, 4]]


def test_two_month_dated_records_of_a_month_without_a_days_incident_are_one_incident():
    # Found by mutation testing: a vaguely dated incident formed after the days' incidents must
    # still be found by the next vague record of the same month.
    tenth, twentieth = _record(1, POL, date(2026, 3, 10)), _record(2, POL, date(2026, 3, 20))
    housing = _record(3, HSG, date(2026, 4, 1), precision="month")
    health = _record(4, HLTH, date(2026, 4, 1), precision="month")
    assert _count(tenth, twentieth, housing, health) == [[1], [2], [3, 4]]


def test_a_year_dated_record_joins_the_narrowest_vague_incident_its_year_may_be():
    # Found by mutation testing (session 6): the vaguely dated records are taken narrowest first.
    # With no day's incident, April (30 days) forms its incident before March (31 days); the
    # year-only record then joins the first incident it may be part of, April's. Taken by first
    # day instead (year, March, April), the year record would form an incident March then joins,
    # and the incidents would be [year, March], [April].
    year = _record(1, HLTH, date(2026, 1, 1), precision="year")
    march = _record(2, POL, date(2026, 3, 1), precision="month")
    april = _record(3, HSG, date(2026, 4, 1), precision="month")
    assert _count(year, march, april) == [[2], [1, 3]]
    assert _count(april, march, year) == [[2], [1, 3]]
