"""UK dates: day first always, partial and approximate dates kept, impossible dates refused."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Every separator and spelling the docstring promises, and the ones agencies type.
        ("12-01-2026", PartialDate(date(2026, 1, 12))),
        ("12.01.2026", PartialDate(date(2026, 1, 12))),
        ("1/2/2026", PartialDate(date(2026, 2, 1))),
        ("2026-1-2", PartialDate(date(2026, 1, 2))),
        ("01/2026", PartialDate(date(2026, 1, 1), "month")),
        ("1/2026", PartialDate(date(2026, 1, 1), "month")),
        ("January 2026", PartialDate(date(2026, 1, 1), "month")),
        ("Sept 2025", PartialDate(date(2025, 9, 1), "month")),
        ("Sept. 2025", PartialDate(date(2025, 9, 1), "month")),
        ("sep-2025", PartialDate(date(2025, 9, 1), "month")),
        ("1 May 2025", PartialDate(date(2025, 5, 1))),
        ("1st May 25", PartialDate(date(2025, 5, 1))),
        ("2nd June 2025", PartialDate(date(2025, 6, 2))),
        ("3rd Jul 2025", PartialDate(date(2025, 7, 3))),
        ("22-Aug-2025", PartialDate(date(2025, 8, 22))),
        ("22 Aug. 2025", PartialDate(date(2025, 8, 22))),
        ("5 OCTOBER, 2025", PartialDate(date(2025, 10, 5))),
        ("5 nov 2025", PartialDate(date(2025, 11, 5))),
        ("25 December 2024", PartialDate(date(2024, 12, 25))),
        ("14 feb 2025", PartialDate(date(2025, 2, 14))),
        ("  12 /01/2026 ".replace(" /", "/"), PartialDate(date(2026, 1, 12))),
        ("12  Jan   2026", PartialDate(date(2026, 1, 12))),
        ("Mar 2026", PartialDate(date(2026, 3, 1), "month")),
        ("April 2026", PartialDate(date(2026, 4, 1), "month")),
        # Approximate markers, each of them.
        ("? 12/01/2026", PartialDate(date(2026, 1, 12), "day", True)),
        ("c 2020", PartialDate(date(2020, 1, 1), "year", True)),
        ("ca. 2020", PartialDate(date(2020, 1, 1), "year", True)),
        ("circa 2020", PartialDate(date(2020, 1, 1), "year", True)),
        ("Circa Jun 2020", PartialDate(date(2020, 6, 1), "month", True)),
        ("approx. 2020", PartialDate(date(2020, 1, 1), "year", True)),
        ("approximately 2020", PartialDate(date(2020, 1, 1), "year", True)),
        # Two-digit years: up to next year is this century, later is the last.
        ("1/1/27", PartialDate(date(2027, 1, 1))),
        ("1/1/28", PartialDate(date(1928, 1, 1))),
        ("1/1/00", PartialDate(date(2000, 1, 1))),
        ("1/1/99", PartialDate(date(1999, 1, 1))),
    ],
)
def test_every_promised_form_reads_exactly(text, expected):
    assert parse_uk_date(text, today=TODAY) == expected


def test_the_two_digit_pivot_follows_today():
    assert parse_uk_date("1/1/30", today=date(2029, 6, 1)).value == date(2030, 1, 1)
    assert parse_uk_date("1/1/31", today=date(2029, 6, 1)).value == date(1931, 1, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "A date is required, e.g. 12/01/2026."),
        ("   ", "A date is required, e.g. 12/01/2026."),
        ("31/02/2026", '"31/02/2026" is not a real date; dates are day first, e.g. 12/01/2026 for 12 January.'),
        ("12/25/2026", '"12/25/2026" is not a real date; dates are day first'),
        ("12 Foo 2026", '"12 Foo 2026": "Foo" is not a month name.'),
        ("Foo 2026", '"Foo 2026": "Foo" is not a month name.'),
        ("1/1/202", '"1/1/202" is not a date we can read'),
        ("12 Jan 202", '"12 Jan 202" is not a date we can read'),
        ("yesterday", '"yesterday" is not a date we can read; write it day first, e.g. 12/01/2026, '
                      "12 Jan 2026, Jan 2026 or 2026 (a leading ? marks it approximate)."),
        ("13/2026", '"13/2026" is not a real date'),
        ("2026-13", '"2026-13" is not a real date'),
    ],
)
def test_each_refusal_says_what_is_wrong(text, says):
    with pytest.raises(ValidationError) as refused:
        parse_uk_date(text, today=TODAY)
    assert str(refused.value).startswith(says)


def test_a_three_digit_year_is_refused_by_the_year_reader():
    from marac_prep.core.dates import _year

    with pytest.raises(ValidationError, match=re.escape('"202" is not a year; write four digits, e.g. 2026.')):
        _year("202", today=TODAY)
    assert _year("2026", today=TODAY) == 2026


def test_an_unknown_precision_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown precision 'week'"):
        PartialDate(date(2026, 1, 1), "week")


def test_iso_keeps_the_precision_and_the_doubt():
    assert PartialDate(date(2026, 1, 12)).iso() == "2026-01-12"
    assert PartialDate(date(2026, 3, 1), "month", True).iso() == "?2026-03"
    assert PartialDate(date(2026, 1, 1), "year").iso() == "2026"
    assert PartialDate(date(2026, 12, 5)).display() == "5 Dec 2026"


def test_exact_days_and_their_display():
    from marac_prep.core.dates import display_day, parse_uk_day

    assert parse_uk_day("03/04/1985", today=TODAY) == date(1985, 4, 3)
    for text in ("Apr 1985", "1985", "?03/04/1985"):
        with pytest.raises(ValidationError, match=f'"{re.escape(text)}" must be an exact day, e.g. 12/01/2026.'):
            parse_uk_day(text, today=TODAY)
    assert display_day(date(2026, 1, 12)) == "12 Jan 2026"
    assert display_day(None) == ""


@pytest.mark.parametrize(
    "text", ["2026-02-30", "30 Feb 2026", "Jan 0000", "0000", "2026-00", "?13/2026"]
)
def test_an_impossible_date_is_named_as_typed(text):
    with pytest.raises(ValidationError) as refused:
        parse_uk_date(text, today=TODAY)
    assert str(refused.value).startswith(f'"{text}" is not a real date')


def test_a_month_written_with_a_slash_keeps_its_doubt():
    assert parse_uk_date("?03/2026", today=TODAY) == PartialDate(date(2026, 3, 1), "month", True)


def test_an_exact_day_reads_two_digit_years_against_the_given_today():
    from marac_prep.core.dates import parse_uk_day

    assert parse_uk_day("1/1/30", today=date(2029, 6, 1)) == date(2030, 1, 1)
    assert parse_uk_day("1/1/30", today=date(2026, 6, 1)) == date(1930, 1, 1)
