"""Stored gap findings (decision 0099): read back only while their input key is the one computed
now, equal to a fresh analysis, and invalidated by every kind of change an analysis rests on
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, text

from marac_prep.analysis import stored
from marac_prep.analysis.gaps import analyse_case
from marac_prep.analysis.reading import attach_signals
from marac_prep.core.casefile import load_case_file, load_meeting_files
from marac_prep.core.chronology import edit_entry, withdraw_entry
from marac_prep.core.db import open_database
from marac_prep.core.db.schema import alembic_config
from marac_prep.core.people import case_matches, decide_match
from marac_prep.core.returns import set_return
from marac_prep.core.settings import set_setting
from marac_prep.demo import build_demo

TODAY = date.today()


def fresh(db, meeting_id):
    """What the analysis gives, computed from scratch."""
    with db.read_session() as session:
        _meeting, files = load_meeting_files(session, meeting_id)
        attach_signals(session, files)
    return {f.case.id: analyse_case(f) for f in files}


class Counting:
    """Counts the cases analysed (not read from the store)."""

    def __init__(self, monkeypatch):
        self.analysed: list[int] = []
        real = stored.analyse_now

        def counted(case_file, day):
            self.analysed.append(case_file.case.id)
            return real(case_file, day)

        monkeypatch.setattr(stored, "analyse_now", counted)

    def run(self, db, meeting_id):
        self.analysed.clear()
        with db.read_session() as session:
            return stored.meeting_findings(session, meeting_id)


def stored_rows(db):
    with db.read_session() as session:
        return session.execute(text("SELECT count(*) FROM case_findings")).scalar()


def one_case_meeting(database):
    """A meeting with one case holding one police entry, saved."""
    from tests.factories import Workspace

    with database.session() as session:
        ws = Workspace(session)
        meeting = ws.meeting()
        ws.entry(ws.case(meeting), "POL", summary="Police attended a fictional call.")
        session.commit()
    return meeting


@pytest.fixture
def agenda(ws, session):
    """A meeting with two cases: one with entries, text the reader quotes and silent agencies; one
    whose victim was referred before (a repeat)."""
    meeting = ws.meeting()
    first = ws.case(meeting, reference="MAR-S-0001", children=1)
    ws.entry(first, "POL", on=TODAY - timedelta(days=40), summary="Gethin put his hands round her neck.")
    ws.entry(first, "HLTH", on=TODAY - timedelta(days=30), event_type="referral_considered_not_made",
             summary="GP considered a Marac referral; did not make it.")
    referral = ws.entry(first, "IDVA", on=TODAY - timedelta(days=20), event_type="referral_made",
                        summary="Referred to housing.", referred_to_agency_id=ws.agency["HSG"].id)
    earlier = ws.case(None, reference="MAR-S-0000", referral_days_ago=120, victim="Bethan LLOYD",
                      victim_dob=date(1992, 2, 2), perpetrator="Rhodri PUGH")
    second = ws.case(meeting, reference="MAR-S-0002", victim="Bethan LLOYD", victim_dob=date(1992, 2, 2),
                     perpetrator="Rhodri PUGH")
    return meeting, first, second, earlier, referral


def test_a_second_read_is_the_stored_findings_equal_to_a_fresh_analysis(db, agenda, monkeypatch):
    meeting, first, second, _earlier, _referral = agenda
    counting = Counting(monkeypatch)
    computed = counting.run(db, meeting.id)
    assert counting.analysed == [first.id, second.id]
    assert stored_rows(db) == 2
    again = counting.run(db, meeting.id)
    assert counting.analysed == [], "nothing changed: read, not analysed"
    assert again == computed == fresh(db, meeting.id)
    assert list(again) == [first.id, second.id], "agenda order"
    found = again[first.id]
    assert any(f.from_text for f in found) and any(len(f.instances) > 1 or f.instances for f in found)
    assert any(f.kind == "repeat" for f in again[second.id])


def test_every_demo_case_round_trips_through_the_store_exactly(ws, session, db):
    build_demo(session, actor=ws.coordinator, cases=30, entries_per_case=12)
    meetings = session.execute(text("SELECT DISTINCT meeting_id FROM marac_case WHERE meeting_id IS NOT NULL")).all()
    on_agenda = session.execute(text("SELECT count(*) FROM marac_case WHERE meeting_id IS NOT NULL")).scalar()
    session.commit()  # the write lock goes: the analyses below store what they read
    total = 0
    for (meeting_id,) in meetings:
        expected = fresh(db, meeting_id)
        for found in expected.values():
            assert stored.decode(stored.encode(found)) == found
        with db.read_session() as s:
            assert stored.meeting_findings(s, meeting_id) == expected  # computed and stored
        with db.read_session() as s:
            assert stored.meeting_findings(s, meeting_id) == expected  # read back
        total += sum(len(f) for f in expected.values())
    assert total > 50
    assert stored_rows(db) == on_agenda


def test_one_case_reads_what_the_meeting_stored(db, agenda, monkeypatch):
    meeting, first, _second, _earlier, _referral = agenda
    counting = Counting(monkeypatch)
    counting.run(db, meeting.id)
    counting.analysed.clear()
    with db.read_session() as session:
        found = stored.case_findings(session, first.id)
    assert counting.analysed == []
    with db.read_session() as session:
        case_file = load_case_file(session, first.id)
        attach_signals(session, [case_file])
    assert found == analyse_case(case_file)


def _add_entry(ws, first, second, earlier, referral):
    ws.entry(first, "HSG", on=TODAY - timedelta(days=15), event_type="contact", summary="Housing met Alys.")


def _edit_entry(ws, first, second, earlier, referral):
    edit_entry(ws.session, actor=ws.coordinator, entry_id=referral.id, expected_version=referral.version,
               summary="Referred to probation.", referred_to_agency_id=ws.agency["PROB"].id)


def _withdraw_entry(ws, first, second, earlier, referral):
    withdraw_entry(ws.session, actor=ws.coordinator, entry_id=referral.id, expected_version=referral.version,
                   reason="Entered on the wrong case.")


def _return_status(ws, first, second, earlier, referral):
    set_return(ws.session, actor=ws.coordinator, case_id=first.id, agency_id=ws.agency["MH"].id,
               status="nothing_known")


def _match_rejected(ws, first, second, earlier, referral):
    [match] = [m for m in case_matches(ws.session, second.id) if m.other_case_id == earlier.id][:1]
    decide_match(ws.session, actor=ws.coordinator, person_id=match.person_id,
                 other_person_id=match.other_person_id, same=False)


def _match_confirmed(ws, first, second, earlier, referral):
    for match in case_matches(ws.session, second.id):
        decide_match(ws.session, actor=ws.coordinator, person_id=match.person_id,
                     other_person_id=match.other_person_id, same=True)


def _setting(ws, first, second, earlier, referral):
    set_setting(ws.session, actor=ws.coordinator, name="repeat_window_days", value=90)


def _another_case_makes_a_repeat(ws, first, second, earlier, referral):
    ws.case(None, reference="MAR-S-0003", referral_days_ago=200, victim="Alys PRITCHARD",
            victim_dob=date(1990, 4, 3))


@pytest.mark.parametrize("change", [
    _add_entry, _edit_entry, _withdraw_entry, _return_status, _match_rejected, _match_confirmed, _setting,
    _another_case_makes_a_repeat,
])
def test_each_kind_of_change_is_analysed_again(db, ws, agenda, monkeypatch, change):
    meeting, first, second, earlier, referral = agenda
    counting = Counting(monkeypatch)
    before = counting.run(db, meeting.id)
    change(ws, first, second, earlier, referral)
    ws.session.commit()  # the test's write session lets go of the write lock (a service may read after)
    after = counting.run(db, meeting.id)
    assert counting.analysed == [first.id, second.id], "any audited change invalidates every stored finding"
    assert after == fresh(db, meeting.id)
    assert after != before, "the change shows in the findings"
    assert counting.run(db, meeting.id) == after and counting.analysed == []


class _Tomorrow(date):
    @classmethod
    def today(cls):
        return TODAY + timedelta(days=1)


def test_tomorrow_the_findings_are_analysed_again_for_tomorrow(db, ws, session, monkeypatch):
    meeting = ws.meeting()
    case = ws.case(meeting, referral_days_ago=30)
    # A referral whose 14-day window closes tomorrow: lost only from tomorrow.
    ws.entry(case, "IDVA", on=TODAY - timedelta(days=14), event_type="referral_made", summary="Referred to housing.",
             referred_to_agency_id=ws.agency["HSG"].id)
    counting = Counting(monkeypatch)
    today = counting.run(db, meeting.id)[case.id]
    assert not any(f.kind == "referral_not_received" for f in today)
    monkeypatch.setattr(stored, "date", _Tomorrow)
    tomorrow = counting.run(db, meeting.id)[case.id]
    assert counting.analysed == [case.id]
    assert any(f.kind == "referral_not_received" for f in tomorrow)
    with db.read_session() as s:
        case_file = load_case_file(s, case.id)
        attach_signals(s, [case_file])
    assert tomorrow == stored.analyse_now(case_file, TODAY + timedelta(days=1))


@pytest.mark.parametrize("part", ["rules_version", "code_digest"])
def test_new_rules_or_code_mean_every_case_is_analysed_again(db, agenda, monkeypatch, part):
    meeting, first, second, _earlier, _referral = agenda
    counting = Counting(monkeypatch)
    counting.run(db, meeting.id)
    monkeypatch.setattr(stored, part, lambda: "something else")
    counting.run(db, meeting.id)
    assert counting.analysed == [first.id, second.id]


def test_the_code_digest_covers_the_rules_loaders_and_data_files():
    from pathlib import Path

    import marac_prep
    from marac_prep.resources import resources_dir

    stored.code_digest.cache_clear()
    read: list[Path] = []
    real = Path.read_bytes
    try:
        Path.read_bytes = lambda self: read.append(self) or real(self)  # type: ignore[method-assign]
        stored.code_digest()
    finally:
        Path.read_bytes = real  # type: ignore[method-assign]
    package = Path(marac_prep.__file__).resolve().parent
    names = {p.relative_to(package).as_posix() for p in read if p.is_relative_to(package)}
    assert {"analysis/gaps.py", "analysis/repeats.py", "analysis/reading/reader.py", "core/casefile.py",
            "core/people.py", "core/matching.py", "core/returns.py", "core/vocabulary.py"} <= names
    assert resources_dir() / "event_types.json" in read and resources_dir() / "reading" / "lexicon.json" in read


def test_a_busy_database_leaves_the_findings_unstored_not_the_analysis_failed(sqlite_db, monkeypatch):
    meeting = one_case_meeting(sqlite_db)
    expected = fresh(sqlite_db, meeting.id)
    monkeypatch.setattr(stored, "_STORE_WAIT_MS", 50)
    other = open_database(sqlite_db.location)
    try:
        with other.session() as writer:
            writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: another desk holds the write lock
            with sqlite_db.read_session() as session:
                assert stored.meeting_findings(session, meeting.id) == expected
            writer.rollback()
    finally:
        other.close()
    assert stored_rows(sqlite_db) == 0


def test_a_read_only_database_analyses_without_storing(sqlite_db):
    meeting = one_case_meeting(sqlite_db)
    expected = fresh(sqlite_db, meeting.id)
    path = sqlite_db.location
    sqlite_db.close()
    reader = open_database(path, read_only=True)
    try:
        with reader.read_session() as session:
            assert stored.meeting_findings(session, meeting.id) == expected
        assert stored_rows(reader) == 0
    finally:
        reader.close()


def test_a_store_that_fails_is_only_a_miss(db, agenda, monkeypatch):
    meeting, _first, _second, _earlier, _referral = agenda

    def refused(*args, **kwargs):
        raise ValueError("not JSON")

    expected = fresh(db, meeting.id)
    real = stored.encode
    monkeypatch.setattr(stored, "encode", refused)
    with pytest.raises(ValueError), db.read_session() as session:  # a bug in encoding is not hidden…
        stored.meeting_findings(session, meeting.id)
    monkeypatch.setattr(stored, "encode", real)
    # …but a row that cannot be read back is analysed again.
    with db.session() as session:
        session.execute(text("INSERT INTO case_findings (case_id, input_key, findings, stored_at) "
                             "SELECT id, :key, '[[\"no such kind\"]]', CURRENT_TIMESTAMP FROM marac_case WHERE meeting_id = :m"),
                        {"key": "x", "m": meeting.id})
        session.commit()
    with db.read_session() as session:
        key = stored.input_key(session).digest
    with db.session() as session:
        session.execute(text("UPDATE case_findings SET input_key = :key"), {"key": key})
        session.commit()
    with db.read_session() as session:
        assert stored.meeting_findings(session, meeting.id) == expected


def test_a_session_that_loaded_objects_first_analyses_but_does_not_store(db, agenda):
    meeting, first, _second, _earlier, _referral = agenda
    with db.read_session() as session:
        kept = load_case_file(session, first.id)  # objects older than the key could be in its identity map
        found = stored.meeting_findings(session, meeting.id)
        assert kept.case.id == first.id
    assert found == fresh(db, meeting.id)
    assert stored_rows(db) == 0


def test_the_migration_adds_and_removes_the_table(db):
    with db.engine.begin() as conn:
        assert "case_findings" in inspect(conn).get_table_names()
        command.downgrade(alembic_config(conn), "0014_trust3")
        assert "case_findings" not in inspect(conn).get_table_names()
        command.upgrade(alembic_config(conn), "head")
        assert "case_findings" in inspect(conn).get_table_names()


def test_every_change_the_analysis_reads_is_audited(db, ws, session, agenda):
    """What the key relies on: each service above, the demo builder and an import commit their
    changes with an audit event (run the whole suite with MARAC_PREP_CHECK_AUDITED_WRITES=1 to
    check every other path the tests take)."""
    from tests.audited_writes import audited_writes_only

    _meeting, first, second, earlier, referral = agenda
    session.commit()
    with audited_writes_only() as seen:
        for change in (_add_entry, _return_status, _match_rejected, _setting, _another_case_makes_a_repeat,
                       _edit_entry):
            change(ws, first, second, earlier, referral)
        build_demo(session, actor=ws.coordinator, cases=3, entries_per_case=4)
        session.commit()
    assert {"chronology_entry", "agency_return", "person_link", "app_setting", "marac_case", "person"} <= set(seen)


def test_the_audit_check_catches_a_change_without_an_audit_event(db, agenda):
    from tests.audited_writes import UnauditedWrite, audited_writes_only

    _meeting, first, _second, _earlier, _referral = agenda
    with audited_writes_only(), db.session() as session:
        session.execute(text("UPDATE marac_case SET referral_date = referral_date WHERE id = :id"), {"id": first.id})
        with pytest.raises(UnauditedWrite, match="marac_case"):
            session.commit()


def test_the_gaps_command_reads_the_stored_findings_the_second_time(db, agenda, monkeypatch):
    import io
    import json

    from marac_prep.cli import build_parser
    from marac_prep.commands.context import CommandContext

    meeting, first, second, _earlier, _referral = agenda
    counting = Counting(monkeypatch)

    def gaps() -> dict:
        out = io.StringIO()
        args = build_parser().parse_args(["gaps", "--meeting", str(meeting.id), "--json"])
        assert args.handler(CommandContext(out=out, _database=db), args) == 0
        return json.loads(out.getvalue())

    computed = gaps()
    assert counting.analysed == [first.id, second.id]
    counting.analysed.clear()
    assert gaps() == computed and counting.analysed == []
    assert [c["reference"] for c in computed["cases"]] == ["MAR-S-0001", "MAR-S-0002"]


def test_a_reviewed_finding_is_refused_by_the_store_with_its_reason():
    class Reviewed:
        review = object()

    with pytest.raises(ValueError, match=r"^a reviewed finding is not stored: reviews are attached when read$"):
        stored.encode([Reviewed()])  # type: ignore[list-item]


def test_a_stale_row_is_replaced_by_the_new_findings_under_the_new_key(db, ws, agenda, monkeypatch):
    """A miss stores over the case's old row (one row per case), under the key read now."""
    meeting, first, second, _earlier, referral = agenda
    counting = Counting(monkeypatch)
    counting.run(db, meeting.id)
    with db.session() as session:
        edit_entry(session, actor=ws.coordinator, entry_id=referral.id, expected_version=1,
                   summary="Referred to housing, and to the Idva service.")
        session.commit()
    counting.run(db, meeting.id)
    with db.read_session() as session:
        key = stored.input_key(session).digest
        rows = session.execute(text("SELECT case_id, input_key FROM case_findings ORDER BY case_id")).all()
    assert [tuple(r) for r in rows] == [(first.id, key), (second.id, key)]
    counting.run(db, meeting.id)
    assert counting.analysed == []  # read back


def test_a_store_on_sqlite_waits_briefly_and_puts_the_wait_back(sqlite_db):
    """The store is a cache: it waits at most `_STORE_WAIT_MS` for another writer, then the
    connection's own wait is as it was."""
    from sqlalchemy import event

    meeting = one_case_meeting(sqlite_db)
    seen: list[str] = []
    with sqlite_db.read_session() as session:
        before = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        engine = session.get_bind()

        def note(_conn, _cursor, statement, *_args):
            if "busy_timeout" in statement:
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            stored.meeting_findings(session, meeting.id)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        after = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert seen[-3:] == ["PRAGMA busy_timeout", f"PRAGMA busy_timeout = {stored._STORE_WAIT_MS}",
                    f"PRAGMA busy_timeout = {before}"]
    assert after == before and stored_rows(sqlite_db) == 1


def test_a_refused_store_says_why_in_the_log(db, agenda, monkeypatch, caplog):
    import logging

    from sqlalchemy.exc import OperationalError

    meeting = agenda[0]
    caplog.set_level(logging.INFO, logger=stored.log.name)
    original = stored._store

    def refused(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    def failing_store(session, key, fresh_found):
        monkeypatch.setattr(session, "execute", refused)  # the store's writes are refused
        return original(session, key, fresh_found)

    monkeypatch.setattr(stored, "_store", failing_store)
    with db.read_session() as session:
        stored.meeting_findings(session, meeting.id)
    assert "gap findings not stored this time (OperationalError); they are computed again next time" in [
        r.getMessage() for r in caplog.records]
    assert stored_rows(db) == 0


def test_a_session_holding_its_callers_new_object_is_not_committed_by_the_store(db, agenda):
    """Never commit someone else's work: a session with an object added but not saved analyses,
    stores nothing, and leaves the object unsaved."""
    from marac_prep.core.models import Agency

    meeting = agenda[0]
    with db.session() as session:
        session.add(Agency(name="Fictional Unsaved Agency", short_code="FUA", category="optional"))
        found = stored.meeting_findings(session, meeting.id)
        session.rollback()
    assert found == fresh(db, meeting.id)
    assert stored_rows(db) == 0
    with db.read_session() as session:
        assert session.execute(text("SELECT count(*) FROM agency WHERE short_code = 'FUA'")).scalar() == 0


def test_a_refused_commit_is_a_miss_that_says_why(db, agenda, monkeypatch, caplog):
    import logging

    from sqlalchemy.exc import OperationalError

    meeting = agenda[0]
    expected = fresh(db, meeting.id)
    caplog.set_level(logging.INFO, logger=stored.log.name)
    original = stored._store

    def refusing_commit(session, key, fresh_found):
        def commit():
            raise OperationalError("COMMIT", {}, Exception("database is locked"))

        monkeypatch.setattr(session, "commit", commit)
        return original(session, key, fresh_found)

    monkeypatch.setattr(stored, "_store", refusing_commit)
    with db.read_session() as session:
        assert stored.meeting_findings(session, meeting.id) == expected
    assert "gap findings not stored this time (OperationalError); they are computed again next time" in [
        r.getMessage() for r in caplog.records]
    assert stored_rows(db) == 0


def test_putting_the_wait_back_may_fail_without_failing_the_store(sqlite_db, monkeypatch):
    """The connection's own wait is put back on a best-effort basis: a refusal there loses nothing."""
    from sqlalchemy.engine import Connection
    from sqlalchemy.exc import OperationalError

    meeting = one_case_meeting(sqlite_db)
    expected = fresh(sqlite_db, meeting.id)
    real = Connection.exec_driver_sql

    shortened: list[bool] = []

    def refusing_restore(self, statement, *args, **kwargs):
        if statement == f"PRAGMA busy_timeout = {stored._STORE_WAIT_MS}":
            shortened.append(True)
        elif shortened and statement.startswith("PRAGMA busy_timeout = "):
            raise OperationalError(statement, {}, Exception("disk I/O error"))  # putting it back
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "exec_driver_sql", refusing_restore)
    with sqlite_db.read_session() as session:
        assert stored.meeting_findings(session, meeting.id) == expected
    monkeypatch.setattr(Connection, "exec_driver_sql", real)
    assert shortened and stored_rows(sqlite_db) == 1
