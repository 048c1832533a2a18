"""The quarterly return as a spreadsheet: the return's lines, each meeting's figures, referrals by agency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from marac_prep.analysis.stats import Quarter, QuarterlyReturn, quarterly_return, summary_rows
from marac_prep.core import audit
from marac_prep.core.errors import ValidationError
from marac_prep.core.files import PendingFile
from marac_prep.core.formulas import guard_formula
from marac_prep.core.models import User

MEETING_COLUMNS = (
    "Meeting", "Status", "Cases", "Repeat cases", "Repeat %", "Children", "Referrals from other agencies %",
    "Black, Asian or racially minoritised", "LGBT+", "Disabled", "Male", "Aged 16–17", "Perpetrators 17 or under",
)


def _cell(value: Any) -> Any:
    """Numbers stay numbers (they cannot be formulas); text is guarded (`core.formulas`)."""
    return value if isinstance(value, int | float) or value is None else guard_formula(value)


def return_sheets(ret: QuarterlyReturn) -> dict[str, list[list[Any]]]:
    """The workbook's sheets as rows (a heading row first)."""
    summary: list[list[Any]] = [["Figure", "Count", "% of cases", "National %", "Note"]]
    summary += [[r.label, r.count, r.percent, r.national, r.note] for r in summary_rows(ret)]
    summary += [
        [],
        [f"Quarter {ret.quarter.label}: cases heard at meetings dated {ret.quarter.start:%d/%m/%Y} to "
         f"{ret.quarter.end:%d/%m/%Y}; ages on the referral date; not recorded is never guessed."],
        [f"National figures: {ret.national.source}."],
    ]
    meetings: list[list[Any]] = [list(MEETING_COLUMNS)]
    for m in ret.meetings:
        f = m.figures
        v = f.victims
        meetings.append([
            f"{m.meeting_date:%d/%m/%Y}", m.status.capitalize(), f.cases, f.repeat_cases, f.repeat_percent,
            f.children, f.partner_agency_referral_percent, v.black_asian_minoritised, v.lgbt, v.disabled, v.male,
            v.aged_16_17, f.perpetrators_under_18,
        ])
    referrals: list[list[Any]] = [["Referring agency", "Referrals", "% of cases"]]
    total = ret.total.cases
    referrals += [[name, n, round(100 * n / total, 1) if total else None]
                  for name, n in ret.total.referrals_by_agency.items()]
    return {"Quarterly return": summary, "Meetings": meetings, "Referrals by agency": referrals}


def export_statistics_xlsx(session: Session, *, actor: User, quarter: Quarter, path: Path) -> QuarterlyReturn:
    """Writes the quarter's return as XLSX (whole or nothing, owner-only); audited, the file written
    before the audit event's transaction (`audit.publish_audited`)."""
    path = Path(path)
    if path.suffix.casefold() != ".xlsx":
        raise ValidationError(f"{path.name}: the statistics spreadsheet is written as an .xlsx file.")
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    ret = quarterly_return(session, actor=actor, quarter=quarter)

    def write(pending: PendingFile) -> None:
        book = openpyxl.Workbook(write_only=True)
        for title, rows in return_sheets(ret).items():
            sheet = book.create_sheet(title)
            sheet.freeze_panes = "A2"
            for index, row in enumerate(rows):
                cells = []
                for value in row:
                    cell = WriteOnlyCell(sheet, value=_cell(value))
                    if index == 0:
                        cell.font = Font(bold=True)
                    cells.append(cell)
                sheet.append(cells)
        book.save(pending.stream)

    audit.publish_audited(session, path, write, actor=actor, action="statistics.export", object_type="statistics",
                          details={"quarter": str(quarter), "format": "xlsx", "file": path.name})
    return ret
