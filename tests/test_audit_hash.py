"""The audit hash covers every part of an event, so changing any of them breaks the chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marac_prep.core.audit import event_hash
from marac_prep.core.models import AuditEvent


def _event(**changes) -> AuditEvent:
    values = dict(
        occurred_at=datetime(2026, 3, 4, 9, 30, tzinfo=UTC), user_id=3, user_name="Cora Ordinator",
        agency_name="Police", action="entry.update", object_type="chronology_entry", object_id=41, case_id=7,
        details={"fields": ["summary"], "version": 2},
    )
    values.update(changes)
    return AuditEvent(**values)


@pytest.mark.parametrize(
    "change",
    [
        {"occurred_at": datetime(2026, 3, 4, 9, 30, tzinfo=UTC) + timedelta(microseconds=1)},
        {"user_id": 4},
        {"user_name": "Someone else"},
        {"agency_name": "Housing"},
        {"action": "entry.withdraw"},
        {"object_type": "case"},
        {"object_id": 42},
        {"case_id": 8},
        {"details": {"fields": ["detail"], "version": 2}},
        {"details": {"fields": ["summary"], "version": 3}},
        {"details": {}},
    ],
    ids=lambda change: next(iter(change)) + ("=" + str(next(iter(change.values()))) if "details" in change else ""),
)
def test_changing_any_part_of_an_event_changes_its_hash(change):
    assert event_hash("abc", _event(**change)) != event_hash("abc", _event())


def test_the_hash_covers_the_previous_hash_and_is_stable():
    assert event_hash("abc", _event()) != event_hash("abd", _event())
    assert event_hash("abc", _event()) == event_hash("abc", _event())
    # The same moment written without a zone (SQLite returns naive UTC) hashes the same.
    naive = _event(occurred_at=datetime(2026, 3, 4, 9, 30))
    assert event_hash("abc", naive) == event_hash("abc", _event())
