"""The one spreadsheet formula guard: text that Excel, LibreOffice or Google Sheets would run as a
formula is written with a leading apostrophe (OWASP's advice), in every CSV and XLSX we write."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(value: object) -> str:
    """The cell's text, prefixed with `'` when a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def unguard_formula(text: str) -> str:
    """Undoes `guard_formula`, so an exported file imports back exactly as it was."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text
