"""Keeps each person's blocking keys (`PersonKey`) in step with the person record, on every write."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import delete, event, insert, text
from sqlalchemy.orm import Session, UOWTransaction

from marac_prep.core.matching import stored_keys
from marac_prep.core.models import Person, PersonKey


def keys_for(name: str, aliases: Any, date_of_birth: date | str | None) -> set[str]:
    """A person's keys (`matching.stored_keys`), from a record or a raw row."""
    if isinstance(aliases, str):  # a JSON column read as text (SQLite, raw SQL)
        aliases = json.loads(aliases or "[]")
    if isinstance(date_of_birth, str):
        date_of_birth = date.fromisoformat(date_of_birth[:10])
    return stored_keys([name, *(aliases or [])], date_of_birth)


def key_rows(person_id: int, name: str, aliases: Any, date_of_birth: date | str | None) -> list[dict[str, Any]]:
    return [{"person_id": person_id, "key": k} for k in sorted(keys_for(name, aliases, date_of_birth))]


def rebuild_all(connection: Any) -> None:
    """Recomputes every person's keys (a migration's step when the key scheme changes)."""
    table: Any = PersonKey.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    people = connection.execute(text("SELECT id, name, aliases, date_of_birth FROM person")).all()
    connection.execute(delete(table))
    rows = [row for p in people for row in key_rows(p.id, p.name, p.aliases, p.date_of_birth)]
    for start in range(0, len(rows), 5000):
        connection.execute(insert(table), rows[start : start + 5000])


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Rewrites the keys of every person added, changed or removed in this flush.

    A session event rather than a call in each service, so every path that writes people (the
    case dialog, the Marac-list import, the demo generator) keeps the keys right.
    """
    changed = [p for p in (*session.new, *session.dirty) if isinstance(p, Person) and p.id is not None]
    removed = [p.id for p in session.deleted if isinstance(p, Person) and p.id is not None]
    if not changed and not removed:
        return
    table: Any = PersonKey.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    connection = session.connection()
    ids = [p.id for p in changed] + removed
    connection.execute(delete(table).where(table.c.person_id.in_(ids)))
    rows = [row for p in changed for row in key_rows(p.id or 0, p.name, p.aliases, p.date_of_birth)]
    if rows:
        connection.execute(insert(table), rows)


event.listen(Session, "after_flush", _after_flush)
