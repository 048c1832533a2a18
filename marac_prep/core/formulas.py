"""The one spreadsheet formula guard: text that Excel, LibreOffice or Google Sheets would run as a
formula is written with a leading apostrophe (OWASP's advice), in every CSV and XLSX we write;
and the one writer of a plain XLSX table (a bold header row, then guarded rows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO

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


def write_xlsx_table(stream: BinaryIO, *, title: str, header: Sequence[str], rows: Iterable[Sequence[object]]
                     ) -> None:
    """Writes a workbook of one sheet named `title` to `stream`: `header` in bold on a frozen first
    row, then `rows`, every cell through `guard_formula`."""
    import openpyxl  # loaded only when a workbook is written
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    heading = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([guard_formula(c) for c in row])
    book.save(stream)
