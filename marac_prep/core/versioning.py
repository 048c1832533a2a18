"""Saving a versioned record so that two desks can never overwrite each other's change."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import delete, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from marac_prep.core.errors import ConflictError, NotFound

Row = TypeVar("Row", bound=SQLModel)


def load_current(session: Session, model: type[Row], row_id: Any, *, missing: str) -> Row:
    """The row as stored now, read inside the caller's transaction.

    The row is read again even when the session already holds it (a long-lived session may hold
    a copy another desk has since changed), and locked on PostgreSQL (`FOR UPDATE`) so a second
    desk's save waits for this one instead of reading the same version.
    """
    row = session.get(model, row_id, populate_existing=True, with_for_update=True)
    if row is None:
        raise NotFound(missing)
    return row


def save_versioned(session: Session, row: SQLModel, *, expected_version: int, conflict: str) -> None:
    """Writes the row's changed fields as one `UPDATE … WHERE id = :id AND version = :expected`.

    The version becomes `expected_version + 1`. When no row matched (another desk saved first,
    whatever this session read), nothing is written and `ConflictError(conflict)` is raised. A new
    row is inserted; a concurrent insert of the same unique key is a conflict too.
    """
    state = inspect(row)
    model = type(row)
    if state.transient or state.pending:
        session.add(row)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise ConflictError(conflict) from None
        return
    values: dict[str, Any] = {
        attr.key: attr.value for attr in state.attrs if attr.key != "version" and attr.history.has_changes()
    }
    values["version"] = expected_version + 1
    table: Any = model
    key = inspect(model).primary_key[0]  # `id`, or a setting's name
    # The object says what the database will hold, so the flush before the UPDATE (other objects'
    # changes) does not write the row a first time without the version check.
    for name, value in values.items():
        set_committed_value(row, name, value)
    result = session.execute(
        update(model)
        .where(key == state.identity[0], table.version == expected_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(row)  # it does not say what is stored after all
        raise ConflictError(conflict)


def delete_versioned(session: Session, row: SQLModel, *, expected_version: int, conflict: str) -> None:
    """Deletes the row with one `DELETE … WHERE key = :key AND version = :expected`; when another
    desk changed (or deleted) it first, nothing is deleted and `ConflictError(conflict)` is raised."""
    model = type(row)
    table: Any = model
    key = inspect(model).primary_key[0]
    result = session.execute(
        delete(model)
        .where(key == inspect(row).identity[0], table.version == expected_version)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(conflict)
    session.expunge(row)
