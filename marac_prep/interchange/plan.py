"""What an import will do with each row of a file, worked out before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marac_prep.core.formulas import unguard_formula
from marac_prep.interchange.columns import Layout
from marac_prep.interchange.sheets import RawRow, Sheet

IMPORTED, DUPLICATE, REJECTED = "imported", "duplicate", "rejected"
# Caps on what one row may carry (documented in the README's "Spreadsheet formats"): beyond
# them a row is rejected with the reason, so one hostile cell cannot make every view slow.
MAX_CELL_CHARS = 10_000
MAX_ROW_CHARS = 40_000
MAX_DETAIL_CHARS = 20_000
Progress = Callable[[int, int], None]


@dataclass
class RowOutcome:
    """One data row's fate.

    Attributes:
        status: IMPORTED, DUPLICATE or REJECTED.
        reason: for a rejected row, the sentences saying what to fix.
    """

    row: RawRow
    status: str
    reason: str = ""


@dataclass
class ImportPlan:
    """A checked file: every data row's outcome and the records to write.

    Attributes:
        preamble: rows above the header (a title, "Agency: Police"), copied to the rejects file.
        header: the header row.
        records: format-specific values to write (entries, returns, or cases).
        notes: sentences about the file as a whole (ignored columns, missing columns).
    """

    sheet: Sheet
    layout: Layout
    preamble: list[RawRow]
    header: RawRow
    outcomes: list[RowOutcome] = field(default_factory=list)
    records: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


class RowReader:
    """Reads one row's cells by canonical column name, undoing any formula guard."""

    def __init__(self, layout: Layout) -> None:
        self.columns = layout.columns
        self.extra = layout.extra
        self.width = max([*layout.columns.values(), *layout.extra, -1]) + 1

    def get(self, row: RawRow, name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(row.cells):
            return ""
        return unguard_formula(row.cells[index].strip())

    def has(self, name: str) -> bool:
        return name in self.columns

    def overflow(self, row: RawRow) -> bool:
        """True when the row has filled cells beyond the header (a stray separator)."""
        return len(row.cells) > self.width and bool("".join(row.cells[self.width :]).strip())

    def size_problems(self, row: RawRow) -> list[str]:
        """Sentences for a cell or a row longer than the caps (the row is then rejected unread)."""
        names = {i: n for n, i in self.columns.items()} | self.extra
        problems = [
            f"The cell in {names.get(i, f'column {i + 1}')} is {len(text):,} characters; at most "
            f"{MAX_CELL_CHARS:,} are accepted."
            for i, text in enumerate(row.cells)
            if len(text) > MAX_CELL_CHARS
        ]
        total = sum(len(text) for text in row.cells)
        if total > MAX_ROW_CHARS:
            problems.append(f"The row is {total:,} characters; at most {MAX_ROW_CHARS:,} are accepted.")
        return problems

    def formula_problem(self, row: RawRow) -> str:
        if not row.formula_columns:
            return ""
        names = {i: n for n, i in self.columns.items()} | self.extra
        cols = ", ".join(names.get(i, f"column {i + 1}") for i in row.formula_columns)
        return (
            f"The cell in {cols} is a spreadsheet formula, which Marac Prep never runs; "
            "replace it with its value."
        )

    def extras(self, row: RawRow) -> list[str]:
        """`Header: value` for filled cells in columns the format does not have (kept in detail)."""
        out = []
        for index, header in self.extra.items():
            if index < len(row.cells) and row.cells[index].strip():
                out.append(f"{header}: {row.cells[index].strip()}")
        return out
