"""Exports write their file before the audit event's transaction (decision 0101).

While a file is being written no lock is held that another desk's save needs – not the audit
chain's lock on a server, nor SQLite's write lock – and a write that fails leaves no file and no
audit event saying it was made. Each writer is replaced by one that checks from inside the write.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from marac_prep.analysis.stats import Quarter
from marac_prep.core import actions as core_actions
from marac_prep.core import audit
from marac_prep.core.actions import add_action, export_tracking_form
from marac_prep.core.audit import AuditFilter, export_events, record_case_opened, verify_chain
from marac_prep.core.db import Database
from marac_prep.core.errors import StorageError
from marac_prep.core.models import AuditEvent
from marac_prep.interchange import export as chronology_export
from marac_prep.interchange import statistics as stats_export
from marac_prep.interchange.export import export_chronology
from marac_prep.interchange.statistics import export_statistics_xlsx
from tests.factories import Workspace

# How long the second desk waits for a lock before it is told the database is busy: far longer
# than the save takes when nothing holds the lock, far shorter than the suite's patience.
WAIT_MS = 1_500


def _exports(ws: Workspace, folder: Path) -> dict[str, tuple[str, str, Callable[[Session], object]]]:
    """Each export: (module attribute of its writer, its audit action, how to run it)."""
    meeting = ws.meeting(-3)
    case = ws.case(meeting)
    add_action(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
               owner="PC Dale", text="Visit within 48 hours.", due_date=date(2099, 6, 1))
    meeting_id, case_id = meeting.id, case.id
    quarter = Quarter.of(meeting.meeting_date)

    def actor(session: Session) -> Any:
        return session.get(type(ws.coordinator), ws.coordinator.id)

    return {
        "tracking form": ("write_xlsx_table", "actions.export", lambda s: export_tracking_form(
            s, actor=actor(s), path=folder / "tracking.xlsx", meeting_id=meeting_id)),
        "audit csv": ("_write_events", "audit.export", lambda s: export_events(
            s, actor=actor(s), path=folder / "trail.csv", where=AuditFilter(case_id=case_id))),
        "statistics": ("return_sheets", "statistics.export", lambda s: export_statistics_xlsx(
            s, actor=actor(s), quarter=quarter, path=folder / "statistics.xlsx")),
        "chronology": ("_write_rows", "export", lambda s: export_chronology(
            s, actor=actor(s), meeting_id=meeting_id, path=folder / "chronology.csv")),
    }


_MODULES = {"tracking form": core_actions, "audit csv": audit, "statistics": stats_export,
            "chronology": chronology_export}
_FILES = {"tracking form": "tracking.xlsx", "audit csv": "trail.csv", "statistics": "statistics.xlsx",
          "chronology": "chronology.csv"}


def _actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(col(AuditEvent.id))).all())


@pytest.mark.parametrize("which", list(_MODULES))
def test_another_desk_can_save_while_an_export_writes_its_file(which, db: Database, ws, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    attribute, action, run = _exports(ws, out)[which]
    module = _MODULES[which]
    original = getattr(module, attribute)
    case_id = ws.case(ws.meeting(5)).id
    coordinator_id = ws.coordinator.id
    ws.session.commit()
    saved_during_write: list[int] = []
    read_during_write: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        read_during_write.append(statement)

    def writer_that_lets_another_desk_save(*args: Any, **kwargs: Any) -> Any:
        # Another desk (its own connection) records an audit event while this file is being written:
        # it would wait for the chain's lock (SQLite: the write lock) if the export held it.
        with Session(db.engine.execution_options(marac_wait_ms=WAIT_MS), expire_on_commit=False) as other:
            record_case_opened(other, actor=other.get(type(ws.coordinator), coordinator_id), case_id=case_id)
            saved_during_write.append(_actions(other, "case.open")[-1].id or 0)
        # The writer works on what was read: nothing is read again (a transaction) while it writes.
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            return original(*args, **kwargs)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)

    monkeypatch.setattr(module, attribute, writer_that_lets_another_desk_save)
    with db.session() as session:
        run(session)
    assert (out / _FILES[which]).exists()
    with db.session() as session:
        exported = _actions(session, action)
        assert len(saved_during_write) == 1 and len(exported) == 1
        assert read_during_write == []
        # The export's event comes after the save made while its file was written.
        assert exported[0].id is not None and exported[0].id > saved_during_write[0]
        assert verify_chain(session).ok


@pytest.mark.parametrize("which", list(_MODULES))
def test_a_failed_write_leaves_no_file_and_no_audit_event(which, db: Database, ws, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    attribute, action, run = _exports(ws, out)[which]
    module = _MODULES[which]
    ws.session.commit()

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(module, attribute, full_disk)
    with db.session() as session, pytest.raises(StorageError, match="disk is full"):
        run(session)
    assert list(out.iterdir()) == []  # neither the file nor its temporary copy
    with db.session() as session:
        assert _actions(session, action) == []
        assert verify_chain(session).ok


def test_a_failed_commit_removes_the_published_file(db: Database, ws, tmp_path, monkeypatch):
    """The file is renamed into place inside the audit transaction: when the commit fails, the
    file goes again (no file without its event)."""
    out = tmp_path / "out"
    out.mkdir()
    _attribute, action, run = _exports(ws, out)["tracking form"]
    ws.session.commit()

    def failing_commit(self: Session) -> None:
        raise StorageError("The database is busy; nothing was saved.")

    monkeypatch.setattr(Session, "commit", failing_commit)
    with db.session() as session, pytest.raises(StorageError, match="busy"):
        run(session)
    monkeypatch.undo()
    assert list(out.iterdir()) == []
    with db.session() as session:
        assert _actions(session, action) == []
