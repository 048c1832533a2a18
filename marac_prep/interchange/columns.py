"""The two spreadsheet formats: their columns, the names agencies give them, and finding the header."""

from __future__ import annotations

import re
from dataclasses import dataclass

from marac_prep.core.vocabulary import norm_key

RETURNS = "returns"
LIST = "list"

# Column order is the order templates and exports write.
RETURN_COLUMNS = (
    "case_reference", "agency", "date", "time", "event_type", "summary", "detail", "subjects",
    "risk_indicators", "referred_to", "risk_level", "source_ref", "recorded_by",
    "fact_or_opinion", "shareable", "withheld_reason",
)
RETURN_REQUIRED = ("case_reference", "agency", "date", "event_type", "summary")
LIST_COLUMNS = (
    "case_reference", "referral_date", "referring_agency", "victim_name", "victim_dob",
    "victim_gender", "perpetrator_name", "perpetrator_dob", "relationship", "children",
    "criteria", "dash_score", "address", "address_confidential",
    # Optional diversity columns, read against `resources/diversity.json` (decision 0081).
    "victim_ethnicity", "victim_disability", "victim_lgbt", "perpetrator_gender", "perpetrator_ethnicity",
    "perpetrator_disability", "perpetrator_lgbt",
)
LIST_REQUIRED = ("case_reference", "referral_date", "referring_agency", "victim_name")

# Other names agencies give the same columns (after `norm_key`).
_ALIASES: dict[str, str] = {
    "case_ref": "case_reference", "marac_reference": "case_reference", "marac_ref": "case_reference",
    "case_number": "case_reference", "case_no": "case_reference", "case": "case_reference",
    "case_id": "case_reference", "marac_case_reference": "case_reference",
    "agency_name": "agency", "organisation": "agency", "organization": "agency",
    "event_date": "date", "date_of_event": "date", "incident_date": "date",
    "event_time": "time",
    "type": "event_type", "event": "event_type", "type_of_event": "event_type",
    "description": "summary", "brief_summary": "summary", "event_summary": "summary",
    "details": "detail", "further_detail": "detail", "further_details": "detail",
    "subject": "subjects", "about": "subjects",
    "risks": "risk_indicators", "risk_indicator": "risk_indicators", "dash_indicators": "risk_indicators",
    "referred": "referred_to", "referral_to": "referred_to",
    "risk": "risk_level",
    "source_reference": "source_ref", "source": "source_ref", "record_ref": "source_ref",
    "record_reference": "source_ref", "source_record": "source_ref",
    "recorded": "recorded_by", "author": "recorded_by", "entered_by": "recorded_by",
    "fact_opinion": "fact_or_opinion",
    "shareable": "shareable", "can_share": "shareable", "may_share": "shareable", "share": "shareable",
    "reason_withheld": "withheld_reason",
    "referral_received": "referral_date", "date_of_referral": "referral_date",
    "referrer": "referring_agency", "referred_by": "referring_agency", "referring_agency_name": "referring_agency",
    "victim": "victim_name", "victim_date_of_birth": "victim_dob",
    "perpetrator": "perpetrator_name", "perpetrator_date_of_birth": "perpetrator_dob",
    "dash": "dash_score", "confidential_address": "address_confidential",
    "address_is_confidential": "address_confidential",
    "victim_sex": "victim_gender", "victim_ethnic_group": "victim_ethnicity",
    "victim_ethnicity_group": "victim_ethnicity",
    "victim_disabled": "victim_disability", "victim_lgbt_plus": "victim_lgbt", "victim_lgbtq": "victim_lgbt",
    "perpetrator_sex": "perpetrator_gender", "perpetrator_ethnic_group": "perpetrator_ethnicity",
    "perpetrator_ethnicity_group": "perpetrator_ethnicity", "perpetrator_disabled": "perpetrator_disability",
    "perpetrator_lgbt_plus": "perpetrator_lgbt", "perpetrator_lgbtq": "perpetrator_lgbt",
}
# The rejects file adds this column; importing a corrected rejects file ignores it.
REASON_COLUMN = "reason"
_KNOWN = set(RETURN_COLUMNS) | set(LIST_COLUMNS)
_HINT = re.compile(r"\(.*?\)|\[.*?\]|[*:#?]")


def column_key(header: str) -> str:
    """The canonical column a header cell names ("Event date (DD/MM/YYYY) *" -> "date"), else its key."""
    key = norm_key(_HINT.sub(" ", header.replace("\ufeff", "")))
    key = re.sub(r"[^\w]+", "_", key).strip("_")
    return _ALIASES.get(key, key)


@dataclass(frozen=True)
class Layout:
    """Where a file's header is and what each column means.

    Attributes:
        format: RETURNS or LIST.
        header_index: index of the header row among the sheet's non-blank rows.
        columns: canonical column name -> cell index (the first such column wins).
        extra: cell index -> header text of columns that are not part of the format.
        missing: required columns the header does not have.
    """

    format: str
    header_index: int
    columns: dict[str, int]
    extra: dict[int, str]
    missing: tuple[str, ...]


def detect(cells: list[str] | tuple[str, ...]) -> str | None:
    """RETURNS or LIST when the row is a header of that format, else None."""
    keys = {column_key(c) for c in cells if c.strip()}
    if "case_reference" not in keys:
        return None
    if keys & {"victim_name", "referral_date", "referring_agency"}:
        return LIST
    if keys & {"event_type", "date", "summary"}:
        return RETURNS
    return None


def is_header(cells: list[str]) -> bool:
    return detect(cells) is not None


def layout(header_index: int, cells: tuple[str, ...], *, agency_given: bool) -> Layout:
    fmt = detect(cells)
    assert fmt is not None
    columns: dict[str, int] = {}
    extra: dict[int, str] = {}
    for index, text in enumerate(cells):
        key = column_key(text)
        if not text.strip() or key == REASON_COLUMN:
            continue
        if key in _KNOWN and key not in columns:
            columns[key] = index
        else:
            extra[index] = text.strip()
    required = RETURN_REQUIRED if fmt == RETURNS else LIST_REQUIRED
    missing = tuple(
        c for c in required
        if c not in columns and not (c == "agency" and agency_given) and c != "summary"
    )
    return Layout(fmt, header_index, columns, extra, missing)


def preamble_agency(cells: tuple[str, ...]) -> str | None:
    """The agency a line above the header names ("Agency: Police" or "Agency" | "Police")."""
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return None
    first = filled[0]
    if ":" in first and column_key(first.split(":", 1)[0]) == "agency" and first.split(":", 1)[1].strip():
        return first.split(":", 1)[1].strip()
    if column_key(first) == "agency" and len(filled) > 1:
        return filled[1]
    return None
