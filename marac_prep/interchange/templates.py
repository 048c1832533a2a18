"""Research request templates: one XLSX per expected agency, with drop-downs, that imports back as it is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import addresses_of, cases_for_meeting, people_of
from marac_prep.core.dates import display_day
from marac_prep.core.db import unit_of_work
from marac_prep.core.files import atomic_write
from marac_prep.core.formulas import guard_formula
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Agency, Case, Meeting, Person, User
from marac_prep.core.permissions import require
from marac_prep.core.returns import expected_agency_ids
from marac_prep.core.settings import current
from marac_prep.core.vocabulary import (
    FACT_OR_OPINION,
    RISK_LEVELS,
    SUBJECTS,
    dash_questions,
    event_types,
)
from marac_prep.interchange.columns import RETURN_COLUMNS

TEMPLATE_ROWS = 500
HEADER_ROW = 4  # title, agency, blank line, then the header
# The template names its agency above the header, so the agency column is left out.
TEMPLATE_COLUMNS = tuple(c for c in RETURN_COLUMNS if c != "agency")
_WIDTHS = {"summary": 60, "detail": 60, "risk_indicators": 34, "event_type": 26, "case_reference": 18}


def _instructions(agency: Agency, meeting: Meeting, marking: str) -> list[str]:
    return [
        f"{marking}",
        f"Research request from the Marac on {display_day(meeting.meeting_date)} to {agency.name}",
        "",
        "Please search your records for each case on the Cases sheet and return what you know.",
        "Fill in the Return sheet, one row per significant event (not every contact):",
        "• case_reference, date, event_type and summary are needed on every row.",
        "• Dates are day first: 12/01/2026, 12 Jan 2026; Jan 2026 or 2026 when only the month or year "
        "is known; put ? in front of a date that is approximate (?03/2025).",
        "• time is HH:MM (24-hour), when it matters.",
        "• event_type and risk_indicators have drop-down lists; put several risk indicators in one cell "
        "separated by ; (semicolons).",
        "• subjects: victim; perpetrator; child – who the event is about.",
        "• referred_to: the agency a referral was made to (needed for 'Referral made').",
        "• risk_level (standard / medium / high) for a risk assessment you made.",
        "• fact_or_opinion: 'opinion' for professional opinion, otherwise fact.",
        "• shareable: 'no' for information that must not be shared, with the reason in withheld_reason.",
        "• If you hold nothing on a case, add one row with that case_reference and event_type "
        "'Nothing known' – this tells the Marac you checked, which is not the same as no reply.",
        "Write what was offered and what happened rather than 'did not engage'; name the perpetrator's "
        "behaviour rather than 'argument' or 'volatile relationship'.",
        "Do not add columns above the header or change the header names. Formulas are not read.",
        "Never include a victim's address or phone number in a return.",
        "",
        f"This document is {marking}: use it only to reduce risk to the people named, and do not pass it "
        "on without the sharing agency's consent.",
    ]


def _case_rows(session: Session, cases: list[Case]) -> list[list[Any]]:
    """The minimum an agency needs to search its records; never a confidential address or a phone."""
    rows: list[list[Any]] = []
    for case in cases:
        assert case.id is not None
        people = people_of(session, case.id)
        addresses = {a.person_id: a for a in addresses_of(session, case.id) if not a.confidential}

        def names(role: str, people: list[Person] = people) -> str:
            return "; ".join(
                " ".join(filter(None, [p.name, display_day(p.date_of_birth)])) for p in people if p.role == role
            )

        victim = next((p for p in people if p.role == "victim"), None)
        victim_address = addresses.get(victim.id) if victim else None
        rows.append([
            case.reference, display_day(case.referral_date),
            victim.name if victim else "", display_day(victim.date_of_birth) if victim else "",
            "; ".join(victim.aliases) if victim else "", victim_address.text if victim_address else "",
            names("perpetrator"), names("child"),
        ])
    return rows


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "agency"


def _template_name(meeting: Meeting, agency: Agency, taken: set[str]) -> str:
    """The agency's file name, unique in this run: two codes that read alike once made safe for a
    file name ("A&E", "A-E") get their agency id added, so no file is written over another."""
    stem = f"research-request-{meeting.meeting_date:%Y-%m-%d}-{_safe_name(agency.short_code)}"
    if stem.casefold() in taken:
        stem = f"{stem}-{agency.id}"
    taken.add(stem.casefold())
    return f"{stem}.xlsx"


def write_template(
    path: Path,
    *,
    agency: Agency,
    meeting: Meeting,
    case_rows: list[list[Any]],
    agencies: list[Agency],
    marking: str,
) -> None:
    """One agency's research request workbook: Return (imported), Cases, Instructions, Lists."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    ret = book.active
    assert ret is not None
    ret.title = "Return"
    ret.append([guard_formula(
        f"{marking} – research return for the Marac on {display_day(meeting.meeting_date)} (see Instructions)"
    )])
    ret.append(["Agency", guard_formula(agency.name)])
    ret.append([])
    ret.append(list(TEMPLATE_COLUMNS))
    ret["A1"].font = Font(bold=True)
    ret["A2"].font = ret["B2"].font = Font(bold=True)
    for index, name in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = ret.cell(row=HEADER_ROW, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        ret.column_dimensions[cell.column_letter].width = _WIDTHS.get(name, 16)
    ret.freeze_panes = ret.cell(row=HEADER_ROW + 1, column=1)

    lists = book.create_sheet("Lists")
    columns: dict[str, list[str]] = {
        "event_type": [e.label for e in event_types()],
        "risk_indicators": [q.label for q in dash_questions()],
        "case_reference": [str(r[0]) for r in case_rows],
        "referred_to": [a.name for a in agencies],
        "risk_level": list(RISK_LEVELS),
        "fact_or_opinion": list(FACT_OR_OPINION),
        "shareable": ["yes", "no"],
        "subjects": list(SUBJECTS),
    }
    first, last = HEADER_ROW + 1, HEADER_ROW + TEMPLATE_ROWS
    for number, (name, values) in enumerate(columns.items(), start=1):
        lists.cell(row=1, column=number, value=name)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=number, value=guard_formula(value))
        letter = lists.cell(row=1, column=number).column_letter
        # Several risk indicators or subjects go in one cell, so those lists only suggest.
        strict = name not in ("risk_indicators", "subjects")
        validation = DataValidation(
            type="list", formula1=f"=Lists!${letter}$2:${letter}${len(values) + 1}", allow_blank=True,
            showErrorMessage=True, errorStyle="stop" if strict else "information",
            error="Choose from the list." if strict else "Several values go in one cell, separated by ;",
        )
        ret.add_data_validation(validation)
        target = ret.cell(row=first, column=TEMPLATE_COLUMNS.index(name) + 1).column_letter
        validation.add(f"{target}{first}:{target}{last}")
    lists.sheet_state = "hidden"

    cases = book.create_sheet("Cases")
    cases.append(["case_reference", "referral_date", "victim_name", "victim_dob", "victim_aliases",
                  "victim_address", "perpetrators", "children"])
    for cell in cases[1]:
        cell.font = Font(bold=True)
    for values in case_rows:
        cases.append([guard_formula(str(v)) for v in values])
    for letter, width in zip("ABCDEFGH", (18, 14, 26, 14, 20, 36, 36, 44), strict=True):
        cases.column_dimensions[letter].width = width

    guide = book.create_sheet("Instructions")
    for line in _instructions(agency, meeting, marking):
        guide.append([line])
    guide.column_dimensions["A"].width = 120
    for cell in guide["A"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide["A1"].font = guide["A2"].font = Font(bold=True)
    book.active = 0
    with atomic_write(path) as pending:
        book.save(pending.stream)


def write_templates(session: Session, *, actor: User, meeting_id: int, folder: Path) -> list[Path]:
    """Writes one research request per agency expected on at least one of the meeting's cases."""
    folder = Path(folder)
    with unit_of_work(session):
        require(actor, "export")
        meeting = get_meeting(session, meeting_id)
        cases = cases_for_meeting(session, meeting_id)
        agencies = list(session.exec(select(Agency).where(col(Agency.active)).order_by(col(Agency.id))).all())
        wanted: dict[int, list[Case]] = {}
        for case in cases:
            assert case.id is not None
            has_children = any(p.role == "child" for p in people_of(session, case.id))
            for agency_id in expected_agency_ids(agencies, has_children=has_children):
                wanted.setdefault(agency_id, []).append(case)
        marking = current(session).default_marking
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        taken: set[str] = set()
        for agency in agencies:
            if agency.id not in wanted:
                continue
            path = folder / _template_name(meeting, agency, taken)
            write_template(path, agency=agency, meeting=meeting, case_rows=_case_rows(session, wanted[agency.id]),
                           agencies=agencies, marking=marking)
            written.append(path)
        audit.record(
            session, actor=actor, action="export", object_type="meeting", object_id=meeting.id,
            details={"what": "research_request_templates", "files": len(written), "cases": len(cases)},
        )
    return written
