"""The unit of work: one transaction that commits whole or leaves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from marac_prep.core.errors import StorageError
from marac_prep.core.storage_errors import BUSY


def is_read_only(session: Session) -> bool:
    """True when the session's database was opened read-only (so nothing may be written)."""
    return bool(session.get_bind().get_execution_options().get("marac_read_only", False))


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One transaction: committed if the block finishes, rolled back (leaving nothing) if it raises."""
    try:
        if is_read_only(session):
            raise StorageError("This database is open read-only; nothing was saved.")
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if "locked" in str(exc) or "busy" in str(exc):
            raise StorageError(BUSY) from None
        if "readonly" in str(exc).replace(" ", "") or "read-only" in str(exc):
            raise StorageError("This database is open read-only; nothing was saved.") from None
        raise
    except BaseException:
        session.rollback()
        raise
