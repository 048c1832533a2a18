"""UK dates as agencies write them: day-first, with partial and approximate dates kept as such."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from marac_prep.core.errors import ValidationError

PRECISIONS = ("day", "month", "year")
# Days either side of an approximate ("?") date it may stand for, when no setting says otherwise.
APPROXIMATE_DAYS = 7

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_APPROX = re.compile(r"^(\?|c\.|c\s|ca\.|circa\s|approximately\s|approx\.?)\s*", re.IGNORECASE)
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date that may be known only to the month or year, or only approximately.

    Attributes:
        value: the first day of the period (1 Jan for a year, the 1st for a month).
        precision: "day", "month" or "year".
        approximate: True when the source marked the date as uncertain.
    """

    value: date
    precision: str = "day"
    approximate: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}")

    def display(self) -> str:
        """Unambiguous UK form: `12 Jan 2026`, `Mar 2026`, `2026`; a leading `?` when approximate."""
        if self.precision == "day":
            text = f"{self.value.day} {_MONTH_ABBR[self.value.month - 1]} {self.value.year}"
        elif self.precision == "month":
            text = f"{_MONTH_ABBR[self.value.month - 1]} {self.value.year}"
        else:
            text = str(self.value.year)
        return ("?" if self.approximate else "") + text

    def iso(self) -> str:
        """ISO form with the precision kept: `2026-01-12`, `2026-01`, `2026`; `?` if approximate."""
        full = self.value.isoformat()
        text = {"day": full, "month": full[:7], "year": full[:4]}[self.precision]
        return ("?" if self.approximate else "") + text

    def last_day(self) -> date:
        """The last day the period could be (for windows that must not miss a partial date)."""
        if self.precision == "day":
            return self.value
        if self.precision == "month":
            next_month = date(self.value.year + self.value.month // 12, self.value.month % 12 + 1, 1)
            return date.fromordinal(next_month.toordinal() - 1)
        return date(self.value.year, 12, 31)

    def span(self, approximate_days: int = APPROXIMATE_DAYS) -> tuple[date, date]:
        """Every day the date can stand for, as (first, last), both included.

        A day is itself; `Mar 2026` is the whole month; `2026` the whole year. An approximate
        date ("?10 Jun 2026", "?Mar 2026") widens by `approximate_days` on each side (the
        `approximate_date_days` setting). A finding holds only if it holds for every day here.
        """
        first, last = self.value, self.last_day()
        if self.approximate:
            first -= timedelta(days=approximate_days)
            last += timedelta(days=approximate_days)
        return first, last

    def certainly_before(self, other: PartialDate, approximate_days: int = APPROXIMATE_DAYS) -> bool:
        """True when every day this date can stand for is before every day `other` can."""
        return self.span(approximate_days)[1] < other.span(approximate_days)[0]

    def may_overlap(self, other: PartialDate, approximate_days: int = APPROXIMATE_DAYS) -> bool:
        """True when some day could be both this date and `other` (they may be the same day)."""
        a_first, a_last = self.span(approximate_days)
        b_first, b_last = other.span(approximate_days)
        return a_first <= b_last and b_first <= a_last

    def certainly_within(self, first: date, last: date, approximate_days: int = APPROXIMATE_DAYS) -> bool:
        """True when every day this date can stand for lies in [first, last]."""
        own_first, own_last = self.span(approximate_days)
        return first <= own_first and own_last <= last


def _year(text: str, *, today: date) -> int:
    number = int(text)
    if len(text) == 2:
        # Two-digit years: this century up to next year, else the last (a date of birth "3/4/85").
        pivot = (today.year + 1) % 100
        return 2000 + number if number <= pivot else 1900 + number
    if len(text) != 4:
        raise ValidationError(f'"{text}" is not a year; write four digits, e.g. 2026.')
    return number


def _month(name: str, original: str) -> int:
    month = _MONTHS.get(name.casefold())
    if month is None:
        raise ValidationError(f'"{original}": "{name}" is not a month name.')
    return month


def _make(day: int, month: int, year: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(
            f'"{original}" is not a real date; dates are day first, e.g. 12/01/2026 for 12 January.'
        ) from None


def parse_uk_date(text: str, *, today: date | None = None) -> PartialDate:
    """Reads a date the way UK agencies write it. Never month-first; never a guess.

    Accepts `2026-01-12`, `2026-01`, `12/01/2026`, `12/1/26`, `12-01-2026`, `12.01.2026`,
    `12 Jan 2026`, `12th January 2026`, `Jan 2026`, `January 2026`, `01/2026`, `2026`;
    a leading `?`, `c.`, `circa` or `approx` marks the date approximate.

    Raises:
        ValidationError: with a sentence saying what is wrong and what is expected.
    """
    today = today or date.today()
    original = text
    if text is None or not str(text).strip():
        raise ValidationError("A date is required, e.g. 12/01/2026.")
    text = str(text).strip()
    approximate = False
    match = _APPROX.match(text)
    if match:
        approximate = True
        text = text[match.end() :].strip()
    text = _ORDINAL.sub("", text).replace(",", " ")
    text = re.sub(r"\s+", " ", text).strip()

    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        year, month, day = (int(g) for g in m.groups())
        return PartialDate(_make(day, month, year, original), "day", approximate)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        year, month = int(m[1]), int(m[2])
        return PartialDate(_make(1, month, year, original), "month", approximate)
    if m := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text):
        day, month = int(m[1]), int(m[2])
        return PartialDate(_make(day, month, _year(m[3], today=today), original), "day", approximate)
    if m := re.fullmatch(r"(\d{1,2})/(\d{4})", text):
        return PartialDate(_make(1, int(m[1]), int(m[2]), original), "month", approximate)
    if m := re.fullmatch(r"(\d{1,2}) ?-? ?([A-Za-z]+)\.? ?-? ?(\d{2}|\d{4})", text):
        month = _month(m[2], original)
        return PartialDate(_make(int(m[1]), month, _year(m[3], today=today), original), "day", approximate)
    if m := re.fullmatch(r"([A-Za-z]+)\.? ?-? ?(\d{4})", text):
        return PartialDate(_make(1, _month(m[1], original), int(m[2]), original), "month", approximate)
    if m := re.fullmatch(r"(\d{4})", text):
        return PartialDate(_make(1, 1, int(m[1]), original), "year", approximate)
    raise ValidationError(
        f'"{original}" is not a date we can read; write it day first, e.g. 12/01/2026, '
        "12 Jan 2026, Jan 2026 or 2026 (a leading ? marks it approximate)."
    )


def parse_uk_day(text: str, *, today: date | None = None) -> date:
    """A full date (day precision, not approximate), e.g. a date of birth or a meeting date."""
    parsed = parse_uk_date(text, today=today)
    if parsed.precision != "day" or parsed.approximate:
        raise ValidationError(f'"{text}" must be an exact day, e.g. 12/01/2026.')
    return parsed.value


def display_day(value: date | None) -> str:
    """`12 Jan 2026` for a full date; an empty string for none."""
    return PartialDate(value).display() if value else ""
