"""Live updates in the core (issue 19): every change is announced and followed from the audit
trail, on SQLite and PostgreSQL; own changes are left out; a lost connection catches up."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest
from sqlalchemy import text

from marac_prep.core.audit import record, record_case_opened
from marac_prep.core.changes import LISTENER_NAME, Change, ChangeFollower, changes_after, payload
from marac_prep.core.chronology import add_entry, edit_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import Database, open_database, unit_of_work
from marac_prep.core.models import AuditEvent
from marac_prep.core.returns import set_return
from tests.factories import Workspace

SECRET_SUMMARY = "Carys Fictional-Surname moved to 14 Example Row"


@pytest.fixture
def desks(db: Database, ws: Workspace):
    """One meeting and case; the desk of a police representative on a second engine."""
    meeting = ws.meeting()
    case = ws.case(meeting, victim="Carys FICTIONAL-SURNAME")
    police = ws.user("agency_rep", "POL", name="Rhian Evans")
    ws.session.commit()
    other = open_database(db.location)
    yield ws, meeting, case, police, other
    other.close()


def _add(database: Database, actor, case, summary: str = SECRET_SUMMARY) -> int:
    with database.session() as session:
        entry = add_entry(
            session, actor=actor, case_id=case.id, agency_id=actor.agency_id,
            date=PartialDate(date(2026, 3, 2)), event_type="incident", summary=summary,
        )
    return entry.id or 0


def _rolled_back_event(database: Database, actor, case) -> None:
    """A change whose transaction fails after its audit event was written."""
    with database.session() as session, pytest.raises(RuntimeError), unit_of_work(session):
        record(session, actor=actor, action="entry.update", object_type="chronology_entry",
               object_id=1, case_id=case.id)
        raise RuntimeError("the save fails half-way")


def test_a_change_on_another_desk_is_followed_with_its_ids_and_author(db, desks):
    _ws, meeting, case, police, other = desks
    follower = ChangeFollower(db)
    entry_id = _add(other, police, case)
    changes = follower.catch_up()
    entry_changes = [c for c in changes if c.kind == "chronology_entry"]
    assert [(c.action, c.object_id, c.case_id, c.meeting_id, c.user_id, c.who) for c in entry_changes] == [
        ("entry.create", entry_id, case.id, meeting.id, police.id, "Rhian Evans")
    ]
    assert follower.catch_up() == []  # read once: the follower moved past it


def test_own_changes_quiet_actions_and_rollbacks_are_not_followed(db, desks):
    _ws, _meeting, case, police, other = desks
    follower = ChangeFollower(db)
    _add(db, police, case)  # written through the follower's own engine: already on this screen
    with db.session() as session:
        record_case_opened(session, actor=police, case_id=case.id or 0)  # a look, not a change
    _rolled_back_event(other, police, case)
    assert follower.catch_up() == []
    # The id a rolled-back event would have had is not taken for "ours" (SQLite reuses it).
    entry_id = _add(other, police, case)
    assert [c.object_id for c in follower.catch_up()] == [entry_id]


def test_follower_thread_wakes_on_another_desks_change_and_stops(db, desks):
    _ws, _meeting, case, police, other = desks
    follower = ChangeFollower(db, poll_seconds=0.1)
    seen: list[Change] = []
    arrived = threading.Event()
    stop = threading.Event()

    def on_changes(changes: list[Change]) -> None:
        seen.extend(changes)
        arrived.set()

    thread = threading.Thread(target=follower.run, args=(stop, on_changes, lambda _up: None), daemon=True)
    thread.start()
    try:
        entry_id = _add(other, police, case)
        assert arrived.wait(30), "the change never reached the follower"
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert [c.object_id for c in seen] == [entry_id]


def test_a_return_and_an_edit_are_followed_in_order(db, desks):
    ws, _meeting, case, police, other = desks
    entry_id = _add(other, police, case)
    follower = ChangeFollower(db)
    with other.session() as session:
        edit_entry(session, actor=police, entry_id=entry_id, expected_version=1, summary="Edited fictional text.")
    with other.session() as session:
        set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
                   status="nothing_known")
    assert [(c.action, c.kind) for c in follower.catch_up()] == [
        ("entry.update", "chronology_entry"), ("return.set", "agency_return"),
    ]


def test_the_payload_names_ids_only():
    event = AuditEvent(id=41, user_id=7, user_name="Rhian Evans", agency_name="Northmoor Police",
                       action="entry.create", object_type="chronology_entry", object_id=12, case_id=3,
                       details={"summary": SECRET_SUMMARY})
    sent = json.loads(payload(event, 5))
    assert sent == {"event": 41, "kind": "chronology_entry", "id": 12, "case": 3, "meeting": 5, "user": 7}


@pytest.mark.postgres
def test_postgres_notifies_on_commit_only_and_never_sends_personal_data(db, desks):
    if db.is_sqlite:
        pytest.skip("NOTIFY is PostgreSQL's")
    import psycopg

    from marac_prep.core.changes import CHANNEL, _listen_url

    _ws, meeting, case, police, other = desks
    with psycopg.connect(_listen_url(db.engine), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        _rolled_back_event(other, police, case)
        assert list(listener.notifies(timeout=0.5)) == []  # dropped with the transaction
        entry_id = _add(other, police, case)
        notes = list(listener.notifies(timeout=5, stop_after=1))
    assert len(notes) == 1 and notes[0].channel == CHANNEL
    sent = json.loads(notes[0].payload)
    with db.read_session() as session:  # the event's id is taken under the chain's lock, in the same round trip
        event_id = session.execute(text(
            "SELECT id FROM audit_event WHERE action = 'entry.create' AND object_id = :id"), {"id": entry_id}).scalar()
    assert sent == {
        "event": event_id, "kind": "chronology_entry", "id": entry_id, "case": case.id, "meeting": meeting.id,
        "user": police.id,
    }
    for word in ("Carys", "Fictional", "Rhian", "Evans", "Example", "Police"):
        assert word.casefold() not in notes[0].payload.casefold()


@pytest.mark.postgres
def test_a_terminated_listener_says_so_reconnects_and_catches_up(db, desks, postgres_databases):
    if db.is_sqlite:
        pytest.skip("the listening connection is PostgreSQL's")
    _ws, _meeting, case, police, other = desks
    follower = ChangeFollower(db, poll_seconds=0.2, max_backoff=0.5)
    seen: list[int] = []
    states: list[bool] = []
    stop = threading.Event()
    got = threading.Condition()

    def on_changes(changes: list[Change]) -> None:
        with got:
            seen.extend(c.object_id or 0 for c in changes)
            got.notify_all()

    def on_connection(up: bool) -> None:
        with got:
            states.append(up)
            got.notify_all()

    def wait_for(predicate) -> bool:
        with got:
            return got.wait_for(predicate, timeout=30)

    thread = threading.Thread(target=follower.run, args=(stop, on_changes, on_connection), daemon=True)
    thread.start()
    database = db.location.rpartition("/")[2]
    try:
        assert wait_for(lambda: _listener_count(postgres_databases, database) == 1)
        # Every backend of the app's database is cut off: the listener and the pooled ones.
        with postgres_databases.admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                         {"db": database})
        first = _add(other, police, case)  # written while the follower is (maybe) still away
        assert wait_for(lambda: False in states and True in states), states
        second = _add(other, police, case)
        assert wait_for(lambda: second in seen), seen
    finally:
        stop.set()
        thread.join(30)
    assert states[:2] == [False, True]
    assert sorted(seen) == [first, second]  # the one written while away was caught up, once


def _listener_count(postgres_databases, database: str) -> int:
    with postgres_databases.admin.connect() as conn:
        return int(conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND application_name = :name"),
            {"db": database, "name": LISTENER_NAME},
        ).scalar() or 0)


def test_changes_after_reads_in_batches(db, desks):
    _ws, _meeting, case, police, other = desks
    with db.read_session() as session:
        start = changes_after(session, 0, limit=10_000)[-1].event_id
    ids = [_add(other, police, case, summary=f"Fictional entry {n}.") for n in range(3)]
    with db.read_session() as session:
        first = changes_after(session, start, limit=2)
        rest = changes_after(session, first[-1].event_id, limit=2)
    assert [c.object_id for c in first + rest] == ids
