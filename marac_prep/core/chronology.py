"""The combined chronology: adding, editing and withdrawing agencies' dated entries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import unit_of_work
from marac_prep.core.entry_rules import check_date, check_entry
from marac_prep.core.errors import ConflictError, NotFound, ValidationError
from marac_prep.core.models import Agency, AgencyReturn, ChronologyEntry, ChronologyEntryVersion, User
from marac_prep.core.permissions import require
from marac_prep.core.versioning import load_current
from marac_prep.core.vocabulary import (
    FACT_OR_OPINION,
    RISK_LEVELS,
    SUBJECTS,
    check_choice,
    event_type_id,
    risk_indicator_id,
)

_BECOMES_RETURNED = ("not_requested", "requested", "chased", "nothing_known")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

# Fields a caller may set through add_entry / edit_entry.
EDITABLE_FIELDS = frozenset(
    {
        "agency_id",
        "date",
        "event_time",
        "sequence",
        "source_ref",
        "recorded_by",
        "subjects",
        "event_type",
        "summary",
        "detail",
        "fact_or_opinion",
        "risk_indicators",
        "risk_level",
        "referred_to_agency_id",
        "shareable",
        "withheld_reason",
    }
)


def _clean(session: Session, fields: dict[str, Any], *, agency_found: int | None = None) -> dict[str, Any]:
    """Validates entry fields and turns them into column values; raises `ValidationError`.
    `agency_found`: an agency id already found to exist in this transaction."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in EDITABLE_FIELDS:
            raise ValidationError(f'"{key}" is not a chronology entry field.')
        if key == "date":
            if not isinstance(value, PartialDate):
                raise ValidationError("An entry needs a date.")
            check_date(value, today=date.today())
            out.update(event_date=value.value, date_precision=value.precision, date_approximate=value.approximate)
        elif key == "event_time":
            value = (value or "").strip() or None
            if value is not None and not _TIME.match(value):
                raise ValidationError(f'"{value}" is not a time; write it as HH:MM, e.g. 21:40.')
            out[key] = value
        elif key == "event_type":
            out[key] = event_type_id(value)
        elif key in ("summary", "detail", "source_ref", "recorded_by", "withheld_reason"):
            out[key] = (value or "").strip()
        elif key == "subjects":
            out[key] = sorted({check_choice(s, SUBJECTS, "subject") for s in value or []})
        elif key == "risk_indicators":
            out[key] = list(dict.fromkeys(risk_indicator_id(r) for r in value or []))
        elif key == "fact_or_opinion":
            out[key] = check_choice(value or "fact", FACT_OR_OPINION, "'fact or opinion'")
        elif key == "risk_level":
            out[key] = check_choice(value, RISK_LEVELS, "risk level") if value else None
        elif key in ("agency_id", "referred_to_agency_id"):
            if value is not None and value != agency_found and session.get(Agency, value) is None:
                raise ValidationError("The agency named in the entry does not exist.")
            out[key] = value
        elif key == "sequence":
            out[key] = int(value or 0)
        elif key == "shareable":
            out[key] = bool(value)
    return out


def _check_whole(entry: ChronologyEntry) -> None:
    check_entry(
        event_type=entry.event_type, summary=entry.summary, shareable=entry.shareable,
        withheld_reason=entry.withheld_reason, has_referred_agency=entry.referred_to_agency_id is not None,
    )


def _mark_returned(session: Session, case_id: int, agency_id: int) -> None:
    """An agency that has put entries in has returned information for the case.

    Most saves find the return already answered and write nothing: it is read first (one query).
    Otherwise one conditional UPDATE (status and version changed by the database itself), so a
    return another desk changes at the same moment is neither overwritten nor loses a version.
    """
    found = session.execute(
        select(AgencyReturn.status).where(AgencyReturn.case_id == case_id, AgencyReturn.agency_id == agency_id)
    ).first()
    mark = (
        update(AgencyReturn)
        .where(
            col(AgencyReturn.case_id) == case_id,
            col(AgencyReturn.agency_id) == agency_id,
            col(AgencyReturn.status).in_(_BECOMES_RETURNED),
        )
        .values(
            status="returned",
            returned_on=func.coalesce(col(AgencyReturn.returned_on), date.today()),
            version=col(AgencyReturn.version) + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if found is not None:
        if found[0] in _BECOMES_RETURNED:
            session.execute(mark)  # nothing when another desk answered it meanwhile: left as answered
        return  # already returned, declined …: left as the agency answered
    try:
        with session.begin_nested():
            session.add(AgencyReturn(case_id=case_id, agency_id=agency_id, status="returned",
                                     returned_on=date.today(), version=1))
    except IntegrityError:
        session.execute(mark)  # another desk created it meanwhile


_CASE_AND_AGENCY = text(
    "SELECT (SELECT id FROM marac_case WHERE id = :case), (SELECT id FROM agency WHERE id = :agency)"
)


def add_entry(session: Session, *, actor: User, case_id: int, agency_id: int, **fields: Any) -> ChronologyEntry:
    """Adds an agency's entry to a case's chronology.

    Fields: date (PartialDate), event_type, summary, and optionally event_time, sequence,
    source_ref, recorded_by, subjects, detail, fact_or_opinion, risk_indicators, risk_level,
    referred_to_agency_id, shareable, withheld_reason.
    """
    with unit_of_work(session):
        require(actor, "edit_entry", agency_id=agency_id)
        # The case and the agency looked up in one query (the services' checks, one round trip).
        case_found, agency_found = session.execute(_CASE_AND_AGENCY, {"case": case_id, "agency": agency_id}).one()
        if case_found is None:
            raise NotFound(f"There is no case number {case_id}.")
        if "date" not in fields:
            raise ValidationError("An entry needs a date.")
        if "event_type" not in fields:
            raise ValidationError("An entry needs an event type.")
        values = _clean(session, {"agency_id": agency_id, **fields}, agency_found=agency_found)
        now = datetime.now(UTC)
        entry = ChronologyEntry(
            case_id=case_id,
            created_by_id=actor.id,
            updated_by_id=actor.id,
            created_at=now,
            updated_at=now,
            **values,
        )
        _check_whole(entry)
        session.add(entry)
        session.flush()
        _mark_returned(session, case_id, agency_id)
        audit.record(
            session,
            actor=actor,
            action="entry.create",
            object_type="chronology_entry",
            object_id=entry.id,
            case_id=case_id,
            details={"agency_id": agency_id, "event_type": entry.event_type},
        )
    return entry


def _missing(entry_id: int) -> str:
    return f"There is no chronology entry number {entry_id}."


def get_entry(session: Session, entry_id: int) -> ChronologyEntry:
    entry = session.get(ChronologyEntry, entry_id)
    if entry is None:
        raise NotFound(_missing(entry_id))
    return entry


def _keep_version(session: Session, entry: ChronologyEntry, actor: User) -> None:
    session.add(
        ChronologyEntryVersion(
            entry_id=entry.id or 0,
            version=entry.version,
            snapshot=entry.model_dump(mode="json"),
            replaced_at=datetime.now(UTC),
            replaced_by_id=actor.id,
        )
    )


def _conditional_update(session: Session, entry_id: int, expected_version: int, values: dict[str, Any]) -> None:
    """Writes only if the stored version is still the one the user read (two connections safe)."""
    result = session.execute(
        update(ChronologyEntry)
        .where(col(ChronologyEntry.id) == entry_id, col(ChronologyEntry.version) == expected_version)
        .values(**values, version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            "Someone else changed this entry since you opened it; your changes were not saved. "
            "Reload the entry to see their version."
        )


def _now_stored(entry: ChronologyEntry, values: dict[str, Any]) -> None:
    """Sets what a conditional update stored on the entry, as loaded values (not to be written again)."""
    for key, value in values.items():
        set_committed_value(entry, key, value)


def edit_entry(
    session: Session, *, actor: User, entry_id: int, expected_version: int, **fields: Any
) -> ChronologyEntry:
    """Changes an entry, keeping the earlier version; refused if the entry changed meanwhile."""
    with unit_of_work(session):
        entry = load_current(session, ChronologyEntry, entry_id, missing=_missing(entry_id))
        require(actor, "edit_entry", agency_id=entry.agency_id)
        if "agency_id" in fields and fields["agency_id"] != entry.agency_id:
            require(actor, "edit_entry", agency_id=fields["agency_id"])
        if entry.version != expected_version:
            raise ConflictError(
                "Someone else changed this entry since you opened it; your changes were not saved. "
                "Reload the entry to see their version."
            )
        if entry.withdrawn_at is not None:
            raise ValidationError("This entry was withdrawn and can no longer be changed.")
        values = _clean(session, fields)
        changed = sorted(k for k, v in values.items() if getattr(entry, k) != v)
        _keep_version(session, entry, actor)
        candidate = ChronologyEntry.model_validate({**entry.model_dump(), **values})
        _check_whole(candidate)
        values.update(updated_by_id=actor.id, updated_at=datetime.now(UTC))
        _conditional_update(session, entry_id, expected_version, values)
        case_id = entry.case_id
        # The entry now says what is stored, without reading it again: the row was read under its
        # lock (`load_current`) and nothing but the update above changed it (no trigger sets a value).
        _now_stored(entry, {**values, "version": expected_version + 1})
        audit.record(
            session,
            actor=actor,
            action="entry.update",
            object_type="chronology_entry",
            object_id=entry_id,
            case_id=case_id,
            details={"fields": changed},
        )
    return entry


def withdraw_entry(
    session: Session, *, actor: User, entry_id: int, expected_version: int, reason: str
) -> ChronologyEntry:
    """Withdraws an entry: it stays in the database with its reason but leaves the chronology."""
    with unit_of_work(session):
        entry = load_current(session, ChronologyEntry, entry_id, missing=_missing(entry_id))
        require(actor, "edit_entry", agency_id=entry.agency_id)
        if not reason.strip():
            raise ValidationError("Say why the entry is withdrawn.")
        if entry.withdrawn_at is not None:
            raise ValidationError("This entry was already withdrawn.")
        _keep_version(session, entry, actor)
        withdrawn = {"withdrawn_at": datetime.now(UTC), "withdrawn_by_id": actor.id, "withdrawn_reason": reason.strip()}
        _conditional_update(session, entry_id, expected_version, withdrawn)
        case_id = entry.case_id
        _now_stored(entry, {**withdrawn, "version": expected_version + 1})  # as in edit_entry
        audit.record(
            session,
            actor=actor,
            action="entry.withdraw",
            object_type="chronology_entry",
            object_id=entry_id,
            case_id=case_id,
        )
    return entry


def entry_history(session: Session, entry_id: int) -> list[ChronologyEntryVersion]:
    return list(
        session.exec(
            select(ChronologyEntryVersion)
            .where(ChronologyEntryVersion.entry_id == entry_id)
            .order_by(col(ChronologyEntryVersion.version))
        ).all()
    )


_CHRONOLOGICAL = (
    col(ChronologyEntry.event_date),
    col(ChronologyEntry.sequence),
    col(ChronologyEntry.event_time),
    col(ChronologyEntry.id),
)


def entries_for_case(session: Session, case_id: int, *, include_withdrawn: bool = False) -> list[ChronologyEntry]:
    """A case's entries across agencies, by date, then sequence, then time, then entry order."""
    query = select(ChronologyEntry).where(ChronologyEntry.case_id == case_id)
    if not include_withdrawn:
        query = query.where(col(ChronologyEntry.withdrawn_at).is_(None))
    return list(session.exec(query.order_by(*_CHRONOLOGICAL)).all())
