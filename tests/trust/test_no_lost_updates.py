"""No lost updates: two real connections edit the same entry; the second save is refused."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from marac_prep.core.audit import verify_chain
from marac_prep.core.cases import update_case
from marac_prep.core.chronology import edit_entry, entry_history, get_entry, withdraw_entry
from marac_prep.core.errors import ConflictError
from marac_prep.core.models import AuditEvent, Case, User


def test_second_save_of_the_same_version_is_refused(ws, db, second_database):
    case = ws.case()
    entry = ws.entry(case, "HSG", summary="Tenancy visit; victim disclosed threats.")
    other = second_database()
    # Both people open the entry, each through its own connection, and both see version 1.
    with db.read_session() as reading_a:
        seen_a = get_entry(reading_a, entry.id)
    with other.read_session() as reading_b:
        seen_b = get_entry(reading_b, entry.id)
    assert seen_a.version == seen_b.version == 1
    with db.session() as desk_a:
        edit_entry(desk_a, actor=desk_a.get(User, ws.coordinator.id), entry_id=entry.id,
                   expected_version=seen_a.version, summary="Tenancy visit; victim disclosed threats to kill.")
    with other.session() as desk_b, pytest.raises(ConflictError, match="not saved"):
        edit_entry(desk_b, actor=desk_b.get(User, ws.coordinator.id), entry_id=entry.id,
                   expected_version=seen_b.version, summary="Tenancy visit.")
    with db.read_session() as s:
        stored = get_entry(s, entry.id)
        assert stored.summary == "Tenancy visit; victim disclosed threats to kill."
        assert stored.version == 2
        assert [v.version for v in entry_history(s, entry.id)] == [1]
        updates = s.exec(select(AuditEvent).where(AuditEvent.action == "entry.update")).all()
        assert len(updates) == 1  # the refused save left no audit event
        assert verify_chain(s).ok


def test_stale_read_inside_the_transaction_is_caught_by_the_conditional_update(ws, db, second_database):
    """Desk B's check passes (it read version 1 a moment ago) but desk A commits in between:
    the `UPDATE … WHERE version = 1` then matches no row and B's save is refused."""
    case = ws.case()
    entry = ws.entry(case, "POL")
    other = second_database()
    with other.session() as desk_b:
        actor_b = desk_b.get(User, ws.coordinator.id)
        stale = get_entry(desk_b, entry.id)
        desk_b.commit()  # B's read is over; B keeps the object it read (version 1)
        with db.session() as desk_a:
            actor_a = desk_a.get(User, ws.coordinator.id)
            withdraw_entry(desk_a, actor=actor_a, entry_id=entry.id, expected_version=1, reason="Duplicate.")
        assert stale.version == 1
        with pytest.raises(ConflictError):
            edit_entry(desk_b, actor=actor_b, entry_id=entry.id, expected_version=stale.version, summary="Changed.")
    with db.read_session() as s:
        stored = get_entry(s, entry.id)
        assert stored.withdrawn_at is not None and stored.summary == "Police attended after a neighbour's call."


def test_concurrent_saves_from_two_threads_exactly_one_wins(ws, db, second_database):
    case = ws.case()
    entry = ws.entry(case, "POL")
    databases = [db, second_database()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(index: int) -> None:
        with databases[index].read_session() as reading:
            actor = reading.get(User, ws.coordinator.id)
        with databases[index].session() as s:
            barrier.wait(timeout=30)
            try:
                edit_entry(s, actor=actor, entry_id=entry.id, expected_version=1, summary=f"Version from desk {index}.")
                outcomes.append("saved")
            except ConflictError:
                outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "saved"]
    with db.read_session() as s:
        assert get_entry(s, entry.id).version == 2
        assert verify_chain(s).ok


def test_case_edit_conflict_across_connections(ws, db, second_database):
    case = ws.case()
    other = second_database()
    with db.read_session() as reading_a:
        a_version = reading_a.get(Case, case.id).version
    with other.read_session() as reading_b:
        b_version = reading_b.get(Case, case.id).version
    with db.session() as desk_a:
        update_case(desk_a, actor=desk_a.get(User, ws.coordinator.id), case_id=case.id,
                    expected_version=a_version, criteria_notes="Threats to kill reported.")
    with other.session() as desk_b, pytest.raises(ConflictError):
        update_case(desk_b, actor=desk_b.get(User, ws.coordinator.id), case_id=case.id,
                    expected_version=b_version, criteria_notes="Overwritten?")
    with db.read_session() as s:
        assert s.get(Case, case.id).criteria_notes == "Threats to kill reported."
