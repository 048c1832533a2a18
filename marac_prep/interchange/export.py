"""Exporting the combined chronology to CSV or XLSX in the agency-return columns, guarded and redacted."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from marac_prep.core import audit
from marac_prep.core.cases import addresses_of, case_by_reference, cases_for_meeting, people_of
from marac_prep.core.chronology import entries_for_case
from marac_prep.core.dates import PartialDate
from marac_prep.core.errors import ValidationError
from marac_prep.core.files import PendingFile, atomic_write
from marac_prep.core.formulas import guard_formula, write_xlsx_table
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Case, User
from marac_prep.core.permissions import require
from marac_prep.core.redaction import Redactor
from marac_prep.core.reference import agencies_by_id
from marac_prep.core.returns import returns_for_case
from marac_prep.core.vocabulary import event_type_label, risk_indicator_label
from marac_prep.interchange.columns import RETURN_COLUMNS

FORMATS = (".csv", ".xlsx")


@dataclass(frozen=True)
class ExportResult:
    """A written export: where, how many rows, from how many cases."""

    path: Path
    rows: int
    cases: int


def chronology_rows(
    session: Session, cases: list[Case], *, shareable_only: bool = False
) -> list[list[str]]:
    """The combined chronology of `cases` as rows of `RETURN_COLUMNS`, plus one row per
    "nothing known" answer; free text redacted, never guarded (the writer guards)."""
    agencies = agencies_by_id(session)
    rows: list[list[str]] = []

    def name(agency_id: int | None) -> str:
        return agencies[agency_id].name if agency_id in agencies else ""

    for case in cases:
        assert case.id is not None
        scrub = Redactor.for_case(addresses_of(session, case.id), people_of(session, case.id))
        for e in entries_for_case(session, case.id):
            if shareable_only and not e.shareable:
                continue
            values = {
                "case_reference": case.reference, "agency": name(e.agency_id),
                "date": PartialDate(e.event_date, e.date_precision, e.date_approximate).iso(),
                "time": e.event_time or "", "event_type": event_type_label(e.event_type),
                "summary": scrub(e.summary), "detail": scrub(e.detail), "subjects": "; ".join(e.subjects),
                "risk_indicators": "; ".join(risk_indicator_label(r) for r in e.risk_indicators),
                "referred_to": name(e.referred_to_agency_id), "risk_level": e.risk_level or "",
                "source_ref": scrub(e.source_ref), "recorded_by": scrub(e.recorded_by),
                "fact_or_opinion": e.fact_or_opinion, "shareable": "yes" if e.shareable else "no",
                "withheld_reason": scrub(e.withheld_reason),
            }
            rows.append([values[c] for c in RETURN_COLUMNS])
        for ret in returns_for_case(session, case.id):
            if ret.record is not None and ret.status == "nothing_known":
                values = dict.fromkeys(RETURN_COLUMNS, "")
                values.update(
                    case_reference=case.reference, agency=ret.agency.name,
                    date=PartialDate(ret.record.returned_on).iso() if ret.record.returned_on else "",
                    event_type=event_type_label("nothing_known"), recorded_by=scrub(ret.record.representative),
                )
                rows.append([values[c] for c in RETURN_COLUMNS])
    return rows


def write_table(path: Path, header: list[str], rows: list[list[str]], *, sheet_title: str = "Chronology") -> None:
    """Writes CSV (UTF-8 with BOM, so Excel reads it right) or XLSX, atomically, every cell guarded."""
    suffix = path.suffix.casefold()
    if suffix not in FORMATS:
        raise ValidationError(f"{path.name}: export to a .csv or .xlsx file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as pending:
        _write_rows(pending, suffix, header, rows, sheet_title=sheet_title)


def _write_rows(pending: PendingFile, suffix: str, header: list[str], rows: list[list[str]], *,
                sheet_title: str = "Chronology") -> None:
    if suffix == ".csv":
        writer = csv.writer(pending.text())
        writer.writerow(header)
        writer.writerows([guard_formula(c) for c in row] for row in rows)
    else:
        write_xlsx_table(pending.stream, title=sheet_title, header=header, rows=rows)


def export_chronology(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    path: Path,
    case_reference: str | None = None,
    everything: bool = False,
) -> ExportResult:
    """Writes the meeting's (or one case's) combined chronology; the export is audited.

    Only shareable entries are written unless `everything` is asked for, which only a coordinator
    may do (entries an agency withheld – "Live police investigation" – then leave too, and the
    audit event says so).
    """
    path = Path(path)
    if path.suffix.casefold() not in FORMATS:
        raise ValidationError(f"{path.name}: export to a .csv or .xlsx file.")
    require(actor, "export")
    if everything:
        require(actor, "export_everything")
    meeting = get_meeting(session, meeting_id)
    cases = cases_for_meeting(session, meeting_id)
    if case_reference:
        case = case_by_reference(session, case_reference)
        if case.meeting_id != meeting.id:
            raise ValidationError(f'Case "{case.reference}" is not on this meeting\'s list.')
        cases = [case]
    rows = chronology_rows(session, cases, shareable_only=not everything)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file is written first, then audited and published in one step (no file, no audit event).
    audit.publish_audited(
        session, path, lambda pending: _write_rows(pending, path.suffix.casefold(), list(RETURN_COLUMNS), rows),
        actor=actor, action="export.everything" if everything else "export",
        object_type="meeting", object_id=meeting.id,
        case_id=cases[0].id if case_reference else None,
        details={"what": "chronology", "format": path.suffix.casefold().lstrip("."), "rows": len(rows),
                 "cases": len(cases), "shareable_only": not everything},
    )
    return ExportResult(path=path, rows=len(rows), cases=len(cases))
