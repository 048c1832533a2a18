"""A coordinator's notes on a case: free text kept beside the case, audited, never in a pack unless asked."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from marac_prep.core import audit
from marac_prep.core.cases import get_case
from marac_prep.core.db import unit_of_work
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import CaseNote, User
from marac_prep.core.permissions import require
from marac_prep.core.versioning import load_current, save_versioned

NOTE_LIMIT = 4000
NOTE_CONFLICT = "Someone else changed this note meanwhile; reload the case's notes and try again."


def _clean(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationError("Write the note first.")
    if len(value) > NOTE_LIMIT:
        raise ValidationError(f"The note is {len(value):,} characters; keep it under {NOTE_LIMIT:,}.")
    return value


def add_case_note(session: Session, *, actor: User, case_id: int, text: str) -> CaseNote:
    """Adds a note to a case (coordinators only); audited with ids, never the note's words."""
    value = _clean(text)
    with unit_of_work(session):
        require(actor, "case_notes")
        get_case(session, case_id)
        now = datetime.now(UTC)
        note = CaseNote(case_id=case_id, text=value, author_id=actor.id, author_name=actor.name,
                        created_at=now, updated_at=now)
        session.add(note)
        session.flush()
        audit.record(session, actor=actor, action="case_note.create", object_type="case_note",
                     object_id=note.id, case_id=case_id)
    return note


def update_case_note(session: Session, *, actor: User, note_id: int, expected_version: int, text: str) -> CaseNote:
    """Changes a note's text; refused with `ConflictError` if someone changed it since it was read."""
    value = _clean(text)
    with unit_of_work(session):
        require(actor, "case_notes")
        note = load_current(session, CaseNote, note_id, missing=f"There is no case note number {note_id}.")
        if note.text != value:
            note.text = value
            note.updated_at = datetime.now(UTC)
        save_versioned(session, note, expected_version=expected_version, conflict=NOTE_CONFLICT)
        audit.record(session, actor=actor, action="case_note.update", object_type="case_note",
                     object_id=note.id, case_id=note.case_id)
    return note


def remove_case_note(session: Session, *, actor: User, note_id: int) -> None:
    """Deletes a note (the audit trail keeps that it existed and who removed it)."""
    with unit_of_work(session):
        require(actor, "case_notes")
        note = load_current(session, CaseNote, note_id, missing=f"There is no case note number {note_id}.")
        case_id = note.case_id
        session.delete(note)
        audit.record(session, actor=actor, action="case_note.remove", object_type="case_note",
                     object_id=note_id, case_id=case_id)


def case_notes(session: Session, *, actor: User, case_id: int) -> list[CaseNote]:
    """The case's notes, oldest first; only a coordinator may read them."""
    require(actor, "case_notes")
    return list(session.exec(
        select(CaseNote).where(CaseNote.case_id == case_id).order_by(col(CaseNote.created_at), col(CaseNote.id))
    ).all())
