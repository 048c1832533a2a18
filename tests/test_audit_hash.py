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


def test_an_exported_row_is_every_column_in_order_and_guarded():
    from marac_prep.core.audit import CSV_COLUMNS, event_row

    event = _event(user_name="=cmd|'/c calc'!A0", details={"note": "Ş", "a": 1})
    event.id, event.prev_hash, event.hash = 12, "p" * 64, "h" * 64
    row = event_row(event)
    assert dict(zip(CSV_COLUMNS, row, strict=True)) == {
        "id": "12", "occurred_at": "2026-03-04T09:30:00+00:00", "user_id": "3",
        "user_name": "'=cmd|'/c calc'!A0", "agency_name": "Police", "action": "entry.update",
        "object_type": "chronology_entry", "object_id": "41", "case_id": "7",
        "details": '{"a": 1, "note": "Ş"}', "prev_hash": "p" * 64, "hash": "h" * 64,
    }
    naive = _event(occurred_at=datetime(2026, 3, 4, 9, 30))
    assert event_row(naive)[1] == "2026-03-04T09:30:00+00:00"


def test_record_names_the_actors_agency_and_chains(ws, session):
    from sqlmodel import select

    from marac_prep.core import audit
    from marac_prep.core.db import unit_of_work
    from marac_prep.core.models import AuditEvent as Event

    rep = ws.user("agency_rep", "HSG", name="Hari Singh")
    with unit_of_work(session):
        first = audit.record(session, actor=rep, action="test.one", object_type="thing", object_id=5, case_id=None)
        second = audit.record(session, actor=None, action="test.two")
    assert (first.user_id, first.user_name, first.agency_name) == (rep.id, "Hari Singh", "Housing")
    assert (second.user_id, second.user_name, second.agency_name, second.details) == (None, "", "", {})
    assert second.prev_hash == first.hash and second.hash == event_hash(first.hash, second)
    previous = session.exec(select(Event).where(Event.id < first.id).order_by(Event.id.desc())).first()
    assert first.prev_hash == (previous.hash if previous else "")
    assert ws.coordinator.agency_id is None
    with unit_of_work(session):
        mine = audit.record(session, actor=ws.coordinator, action="test.three")
    assert mine.agency_name == ""


def test_filters_take_whole_days_and_the_newest_first(ws, session):
    from datetime import date

    from marac_prep.core import audit
    from marac_prep.core.audit import AuditFilter, actions_in_trail, find_events, users_in_trail
    from marac_prep.core.db import unit_of_work

    rep = ws.user("agency_rep", "HSG", name="aled Rees")
    with unit_of_work(session):
        audit.record(session, actor=rep, action="test.one")
        audit.record(session, actor=rep, action="test.two")
    today = datetime.now(UTC).date()
    newest = find_events(session, actor=ws.coordinator, limit=2)
    assert [e.action for e in newest] == ["test.two", "test.one"]
    assert len(find_events(session, actor=ws.coordinator, where=AuditFilter(until=today))) >= 2
    assert find_events(session, actor=ws.coordinator, where=AuditFilter(until=today - timedelta(days=1))) == []
    assert len(find_events(session, actor=ws.coordinator, where=AuditFilter(since=today, action="test.one"))) == 1
    assert find_events(session, actor=ws.coordinator, where=AuditFilter(since=date(2000, 1, 1), until=date(2000, 1, 1))) == []
    assert {"test.one", "test.two"} <= set(actions_in_trail(session))
    assert actions_in_trail(session) == sorted(actions_in_trail(session))
    users = users_in_trail(session)
    assert (rep.id, "aled Rees") in users
    assert [name.casefold() for _, name in users] == sorted(name.casefold() for _, name in users)


def test_exported_times_are_utc_whatever_the_machines_zone(monkeypatch):
    import time

    from marac_prep.core.audit import event_row

    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        summer = _event(occurred_at=datetime(2026, 7, 4, 9, 30))  # stored naive, meaning UTC
        assert event_row(summer)[1] == "2026-07-04T09:30:00+00:00"
        aware = _event(occurred_at=datetime(2026, 7, 4, 9, 30, tzinfo=UTC))
        assert event_row(aware)[1] == "2026-07-04T09:30:00+00:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_opening_a_case_and_exporting_the_trail_are_audited_as_the_actor(ws, session, tmp_path):
    from sqlmodel import select

    from marac_prep.core.audit import export_events, record_case_opened
    from marac_prep.core.models import AuditEvent as Event

    case = ws.case()
    record_case_opened(session, actor=ws.coordinator, case_id=case.id)
    opened = session.exec(select(Event).where(Event.action == "case.open")).one()
    assert (opened.user_id, opened.user_name, opened.object_type, opened.object_id, opened.case_id) == (
        ws.coordinator.id, ws.coordinator.name, "case", case.id, case.id
    )
    export_events(session, actor=ws.coordinator, path=tmp_path / "trail.csv")
    exported = session.exec(select(Event).where(Event.action == "audit.export")).one()
    assert (exported.user_id, exported.object_type, exported.case_id) == (ws.coordinator.id, "audit_event", None)


def test_day_filters_include_midnight_of_the_first_day_and_stop_before_the_next(ws, session):
    from datetime import date

    from marac_prep.core.audit import AuditFilter, find_events
    from marac_prep.core.db import unit_of_work

    with unit_of_work(session):
        session.add(AuditEvent(occurred_at=datetime(2020, 1, 2, 0, 0, tzinfo=UTC), action="test.midnight"))
    def actions(**where):
        return [e.action for e in find_events(session, actor=ws.coordinator, where=AuditFilter(**where))]

    assert actions(since=date(2020, 1, 2), until=date(2020, 1, 2)) == ["test.midnight"]
    assert actions(since=date(2019, 12, 31), until=date(2020, 1, 1)) == []


def test_a_case_filter_gives_only_that_cases_events(ws, session):
    from marac_prep.core.audit import AuditFilter, find_events

    one, two = ws.case(), ws.case()
    ws.entry(one, "POL")
    ws.entry(two, "POL")
    found = find_events(session, actor=ws.coordinator, where=AuditFilter(case_id=two.id))
    assert found and {e.case_id for e in found} == {two.id}


def test_the_hash_is_over_the_documented_canonical_text_so_old_trails_still_verify():
    # Found by mutation testing: renaming a key or changing the separators changed every hash
    # alike and no test noticed, yet every trail already written would then fail `audit verify`.
    # The canonical text: keys sorted, no spaces, non-ASCII escaped, times in UTC to the microsecond.
    import hashlib
    import hmac

    event = _event(user_name="Siân Ordinator", occurred_at=datetime(2026, 3, 4, 9, 30, 0, 5))
    canonical = (
        '{"action":"entry.update","agency_name":"Police","case_id":7,'
        '"details":{"fields":["summary"],"version":2},"object_id":41,"object_type":"chronology_entry",'
        '"occurred_at":"2026-03-04T09:30:00.000005+00:00","user_id":3,"user_name":"Si\\u00e2n Ordinator"}'
    )
    message = ("abc\n" + canonical).encode("utf-8")
    assert event_hash("abc", event) == hashlib.sha256(message).hexdigest()
    key = b"a fictional audit key of 32 byte"
    assert event_hash("abc", event, key=key) == "hmac:" + hmac.new(key, message, hashlib.sha256).hexdigest()
    event.states_hash = "s" * 8  # an event sealing row states covers them too, under "states"
    with_states = canonical.replace('"user_id"', '"states":"ssssssss","user_id"')
    assert event_hash("abc", event) == hashlib.sha256(("abc\n" + with_states).encode("utf-8")).hexdigest()


def test_the_log_line_names_the_action_and_ids_only(ws, session, caplog):
    import logging

    from marac_prep.core import audit
    from marac_prep.core.db import unit_of_work

    with caplog.at_level(logging.INFO, logger="marac_prep.core.audit"), unit_of_work(session):
        audit.record(session, actor=ws.coordinator, action="test.one", object_type="case", object_id=5, case_id=5)
        audit.record(session, actor=None, action="test.two")
    lines = [r.getMessage() for r in caplog.records if r.name == "marac_prep.core.audit"]
    assert lines == [f"audit test.one case=5 case=5 by user={ws.coordinator.id}", "audit test.two -=None case=None by user=None"]
