"""Spreadsheet cells read as plain text and dates (the formula guard is `core.formulas`)."""

from __future__ import annotations

from datetime import date, datetime, time


def excel_date_precision(number_format: str | None) -> str:
    """The precision an Excel date cell shows: a format without days (`mmm-yy`) means a month."""
    fmt = (number_format or "").casefold()
    # Literal text in quotes or brackets (colours, locales) does not count as a date part.
    cleaned = ""
    skipping = ""
    for char in fmt:
        if skipping:
            if char == skipping:
                skipping = ""
            continue
        if char in "\"[":
            skipping = "\"" if char == "\"" else "]"
            continue
        cleaned += char
    if "d" in cleaned or "general" in cleaned or not cleaned.strip():
        return "day"
    if "m" in cleaned:
        return "month"
    return "year"


def cell_text(value: object, number_format: str | None = None) -> str:
    """A spreadsheet cell as the text an agency meant; dates become unambiguous ISO text.

    An Excel date is a real date (not text to guess at), so it is written ISO, keeping the
    precision its display format shows (`Jan 2026` typed into Excel is stored as 1 Jan 2026).
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        precision = excel_date_precision(number_format)
        if precision == "day" and (value.hour or value.minute) and value.date() == date(1899, 12, 30):
            return f"{value:%H:%M}"  # a time typed alone is stored as a datetime on Excel's day 0
        return {"day": f"{value:%Y-%m-%d}", "month": f"{value:%Y-%m}", "year": f"{value:%Y}"}[precision]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
