"""Schema inspection and migrations: which revision a database is at, and bringing it to head."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from marac_prep.core.errors import StorageError

if TYPE_CHECKING:
    from marac_prep.core.db.engine import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*=\s*(['\"])(\w+)\2", re.MULTILINE)


def alembic_config(connection: Any) -> Any:
    # Alembic is imported only when a schema must change: it costs a noticeable part of start-up.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def known_revisions() -> tuple[frozenset[str], str]:
    """Every migration's revision id and the head, read from the migration files themselves.

    A test checks this agrees with Alembic's own reading of the same folder.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for kind, _quote, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) != 1:
        raise StorageError("This installation of Marac Prep is damaged (its migrations have no single head).")
    return frozenset(revisions), heads.pop()


def check_revision(revision: str | None, location: str) -> None:
    known, _ = known_revisions()
    if revision is not None and revision not in known:
        raise StorageError(
            f"{location} was written by a newer version of Marac Prep; "
            "install the newer version to open it. The file was left unchanged."
        )


def migrate(db: Database, revision: str | None) -> None:
    """Brings the schema to head and seeds reference data, in one transaction."""
    _, head = known_revisions()
    if revision == head:
        return  # the usual case: nothing more is imported (start-up waits for it)
    from marac_prep.core.reference import seed_reference_data
    if db.read_only:
        raise StorageError(
            f"{db.location} is read-only and needs upgrading; open it once with write access."
        )
    try:
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two agencies' apps starting together must not both build the schema.
                conn.execute(text("SELECT pg_advisory_xact_lock(7243001)"))
                # A migration may rebuild an index over a million entries: no statement limit.
                conn.execute(text("SET LOCAL statement_timeout = 0"))
                current = None
                if inspect(conn).has_table("alembic_version"):
                    current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if current == head:
                    return
            from alembic import command

            command.upgrade(alembic_config(conn), "head")
            with Session(bind=conn) as session:
                seed_reference_data(session)
                session.flush()
    except SQLAlchemyError as exc:
        db.close()
        raise StorageError(f"{db.location} could not be prepared for use: {exc.__class__.__name__}.") from None
