"""A check that every committed change to what a gap analysis reads carries an audit event in the
same transaction – what stored findings rely on (decision 0099): their key is the audit chain's
head, so a change that is not audited would leave stale findings in use.

`audited_writes_only()` watches every engine: each transaction that wrote a table the analysis
reads (`ANALYSIS_INPUTS`) must have inserted an `audit_event` row before it commits. Derived
tables (the text reader's signals, the matcher's keys, stored findings) and the audit's own notes
are not inputs. Set MARAC_PREP_CHECK_AUDITED_WRITES=1 to apply it to every test (tests/conftest.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ANALYSIS_INPUTS = frozenset({
    "agency", "meeting", "marac_case", "person", "address", "chronology_entry", "agency_return",
    "risk_assessment", "app_setting", "person_link", "marac_action",
})
_WRITE = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


class UnauditedWrite(AssertionError):
    pass


@contextmanager
def audited_writes_only() -> Iterator[list[str]]:
    """Fails (at the commit) a transaction that changed an analysis input without an audit event;
    yields the list of tables each audited transaction changed (for a test to look at)."""
    open_writes: dict[int, set[str]] = {}
    audited: set[int] = set()
    seen: list[str] = []

    def key(conn: Any) -> int:
        return id(conn.connection.dbapi_connection)

    def before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        for part in statement.split(";"):  # a query of several statements (audit.py on PostgreSQL)
            found = _WRITE.match(part)
            if found is None:
                continue
            table = found.group(1).lower()
            if table in ("audit_event", "alembic_version"):  # a migration: the schema revision is in the key
                audited.add(key(conn))
            elif table in ANALYSIS_INPUTS:
                open_writes.setdefault(key(conn), set()).add(table)

    def commit(conn: Any) -> None:
        wrote = open_writes.pop(key(conn), set())
        was_audited = key(conn) in audited
        audited.discard(key(conn))
        if wrote and not was_audited:
            raise UnauditedWrite(f"a transaction changed {sorted(wrote)} without an audit event")
        seen.extend(sorted(wrote))

    def rollback(conn: Any) -> None:
        open_writes.pop(key(conn), None)
        audited.discard(key(conn))

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "commit", commit)
    event.listen(Engine, "rollback", rollback)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "commit", commit)
        event.remove(Engine, "rollback", rollback)
