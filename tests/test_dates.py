"""UK dates: day first always, partial and approximate dates kept, impossible dates refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marac_prep.core.dates import PartialDate, parse_uk_date
from marac_prep.core.errors import ValidationError

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-12", PartialDate(date(2026, 1, 12))),
        ("12/01/2026", PartialDate(date(2026, 1, 12))),
        ("12/1/26", PartialDate(date(2026, 1, 12))),
        ("3/4/85", PartialDate(date(1985, 4, 3))),
        ("12 Jan 2026", PartialDate(date(2026, 1, 12))),
        ("12th January 2026", PartialDate(date(2026, 1, 12))),
        ("Jan 2026", PartialDate(date(2026, 1, 1), "month")),
        ("2026-03", PartialDate(date(2026, 3, 1), "month")),
        ("2026", PartialDate(date(2026, 1, 1), "year")),
        ("?12/01/2026", PartialDate(date(2026, 1, 12), "day", True)),
        ("c. Mar 2025", PartialDate(date(2025, 3, 1), "month", True)),
        ("approx 2024", PartialDate(date(2024, 1, 1), "year", True)),
    ],
)
def test_accepted_forms(text, expected):
    assert parse_uk_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "13/13/2026", "2026-13-45", "12/25/2026", "Foo 2026", "", "yesterday"])
def test_impossible_or_unreadable_dates_are_errors(text):
    with pytest.raises(ValidationError):
        parse_uk_date(text, today=TODAY)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (PartialDate(date(2026, 1, 12), "day", True), "?12 Jan 2026"),
        (PartialDate(date(2026, 3, 1), "month"), "Mar 2026"),
        (PartialDate(date(2026, 1, 1), "year"), "2026"),
    ],
)
def test_display_is_unambiguous(value, shown):
    assert value.display() == shown
    assert parse_uk_date(shown, today=TODAY) == value
    assert parse_uk_date(value.iso(), today=TODAY) == value


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.booleans())
def test_day_first_slashes_never_read_month_first(day, approximate):
    text = ("?" if approximate else "") + f"{day.day:02d}/{day.month:02d}/{day.year}"
    parsed = parse_uk_date(text, today=TODAY)
    assert parsed == PartialDate(day, "day", approximate)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(["day", "month", "year"]),
    st.booleans(),
)
def test_display_and_iso_round_trip(day, precision, approximate):
    start = {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}[precision]
    value = PartialDate(start, precision, approximate)
    assert parse_uk_date(value.display(), today=TODAY) == value
    assert parse_uk_date(value.iso(), today=TODAY) == value
    assert value.value <= value.last_day()


@pytest.mark.parametrize(
    ("value", "last"),
    [
        (PartialDate(date(2024, 1, 1), "year"), date(2024, 12, 31)),
        (PartialDate(date(2023, 1, 1), "year", True), date(2023, 12, 31)),
        (PartialDate(date(2024, 2, 1), "month"), date(2024, 2, 29)),
        (PartialDate(date(2023, 2, 1), "month"), date(2023, 2, 28)),
        (PartialDate(date(2024, 12, 1), "month"), date(2024, 12, 31)),
        (PartialDate(date(2024, 4, 1), "month"), date(2024, 4, 30)),
        (PartialDate(date(2024, 7, 9), "day"), date(2024, 7, 9)),
    ],
)
def test_a_partial_dates_last_day_is_the_end_of_its_period(value, last):
    assert value.last_day() == last
