"""The day-first date parser under hypothesis: never month-first, precision and approximation kept."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marac_prep.core.dates import parse_uk_date
from marac_prep.core.errors import ValidationError
from marac_prep.interchange.cells import cell_text, excel_date_precision

TODAY = date(2026, 11, 26)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
days = st.dates(min_value=date(1930, 1, 1), max_value=TODAY)


@given(days)
def test_numeric_dates_are_read_day_first(day: date) -> None:
    for text in (f"{day:%d/%m/%Y}", f"{day.day}/{day.month}/{day.year}", f"{day:%d-%m-%Y}", f"{day:%d.%m.%Y}",
                 day.isoformat(), f"{day.day} {MONTHS[day.month - 1]} {day.year}"):
        parsed = parse_uk_date(text, today=TODAY)
        assert (parsed.value, parsed.precision, parsed.approximate) == (day, "day", False), text


@given(st.dates(min_value=date(2000, 1, 1), max_value=TODAY))
def test_two_digit_years_still_day_first(day: date) -> None:
    parsed = parse_uk_date(f"{day.day}/{day.month}/{day:%y}", today=TODAY)
    assert parsed.value == day


@given(days, st.sampled_from(["?", "c.", "approx ", "circa "]))
def test_partial_and_approximate_keep_their_precision(day: date, marker: str) -> None:
    month = parse_uk_date(f"{marker}{MONTHS[day.month - 1]} {day.year}", today=TODAY)
    assert (month.value, month.precision, month.approximate) == (day.replace(day=1), "month", True)
    year = parse_uk_date(f"{day.year}", today=TODAY)
    assert (year.value, year.precision, year.approximate) == (date(day.year, 1, 1), "year", False)
    assert parse_uk_date(month.iso(), today=TODAY) == month  # ISO with the marker reads back the same


@given(st.integers(1, 31), st.integers(13, 31), st.integers(1990, 2026))
def test_a_month_over_twelve_is_an_error_not_a_swap(day: int, month: int, year: int) -> None:
    with pytest.raises(ValidationError):
        parse_uk_date(f"{day}/{month}/{year}", today=TODAY)


@pytest.mark.parametrize("text", ["31/02/2026", "30/02/2024", "31/04/2026", "00/01/2026", "2026-13-01"])
def test_impossible_dates_are_errors(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_uk_date(text, today=TODAY)


def test_excel_date_cells_keep_the_precision_their_format_shows() -> None:
    from datetime import datetime

    assert excel_date_precision("dd/mm/yyyy") == "day"
    assert excel_date_precision("mmm-yy") == "month"
    assert excel_date_precision("yyyy") == "year"
    assert excel_date_precision('[$-809]mmmm yyyy;@') == "month"
    assert cell_text(datetime(2026, 1, 12), "mmm-yy") == "2026-01"
    assert cell_text(datetime(2026, 1, 12), "dd/mm/yyyy") == "2026-01-12"
    assert cell_text(12345.0) == "12345"
