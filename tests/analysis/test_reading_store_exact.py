"""The stored signals, compared whole (mutation testing, docs/quality.md): the stored JSON text, signals
read back from the store equal to those read from the text, many cases at once, a session holding its
caller's changes, `store=False`, `read_and_store`, and the log line when storing fails."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlmodel import select

from marac_prep.analysis.reading import attach_signals, read_and_store, read_entry, rules_version, store
from marac_prep.core.casefile import load_case_file, load_meeting_files
from marac_prep.core.db import open_database
from marac_prep.core.meetings import create_meeting
from marac_prep.core.models import ChronologyEntry, EntrySignals, Person
from marac_prep.core.signals import TextSignal
from tests.factories import Workspace


@pytest.fixture
def meeting(session):
    ws = Workspace(session)
    meeting = ws.meeting()
    case = ws.case(meeting)
    entries = [
        ws.entry(case, "IDVA", summary="Alys disclosed that Gethin put his hands round her neck."),
        ws.entry(case, "HLTH", summary="Seen by the GP for a chest infection."),
        ws.entry(case, "HSG", summary="Tenancy support visit.", detail="Referral made to Children's Social Care."),
    ]
    return ws, meeting, case, entries


def _stored(db) -> dict[int, tuple[int, str, str]]:
    with db.read_session() as s:
        return {r.entry_id: (r.entry_version, r.rules_version, r.signals) for r in s.exec(select(EntrySignals)).all()}


def test_signals_are_stored_as_compact_json_keeping_their_own_letters():
    signals = [
        TextSignal(5, "victim_blaming", "support_refused", "She didn’t want help", "detail", 3, 23),
        TextSignal(5, "event", "referral_made", "referred to Café Idva", "summary", 0, 21, "Café Idva", "IDVA"),
    ]
    assert store.encode(signals) == (
        '[["victim_blaming","support_refused","detail",3,23,"She didn’t want help",null,null],'
        '["event","referral_made","summary",0,21,"referred to Café Idva","Café Idva","IDVA"]]')
    assert store.encode([]) == ""
    assert store.decode(9, store.encode(signals)) == tuple(
        TextSignal(9, s.kind, s.code, s.words, s.field, s.start, s.end, s.target_agency, s.target_agency_code)
        for s in signals)
    assert store.decode(9, "") == ()


def test_signals_read_back_from_the_store_equal_those_read_from_the_text(db, session, meeting):
    _ws, m, _case, entries = meeting
    _meeting, files = load_meeting_files(session, m.id)
    attach_signals(session, files)
    [first] = files
    assert first.signals == {e.id: read_entry(e.id, e.summary, e.detail) for e in entries if e.id != entries[1].id}
    [referral] = first.signals[entries[2].id]
    assert (referral.field, referral.target_agency, referral.target_agency_code) == (
        "detail", "Children's Social Care", "CSC")
    with db.read_session() as s:
        _meeting, again = load_meeting_files(s, m.id)
        attach_signals(s, again)
    assert again[0].signals == first.signals


def test_stored_signals_are_found_for_many_cases_at_once(db, session, meeting):
    """More case ids than one IN (...) list holds: the case listed last is still found."""
    _ws, m, case, entries = meeting
    _meeting, files = load_meeting_files(session, m.id)
    attach_signals(session, files)
    found = store.stored_signals(session, [*range(-1200, 0), case.id])
    assert found == _stored(db) and set(found) == {e.id for e in entries}


@pytest.mark.parametrize("change", ["new", "dirty", "deleted"])
def test_a_session_holding_its_callers_changes_is_not_committed_by_the_reader(db, session, meeting, change):
    _ws, m, case, entries = meeting
    session.commit()
    _meeting, files = load_meeting_files(session, m.id)
    if change == "new":
        session.add(Person(case_id=case.id, role="child", name="Cai EVANS"))
    elif change == "dirty":
        entries[1].summary = "Seen by the GP again."
    else:
        session.delete(entries[1])
    attach_signals(session, files)
    assert files[0].signals and _stored(db) == {}
    session.rollback()


def test_store_false_reads_without_storing(db, session, meeting):
    _ws, m, _case, _entries = meeting
    session.commit()
    _meeting, files = load_meeting_files(session, m.id)
    attach_signals(session, files, store=False)
    assert files[0].signals and _stored(db) == {}


def test_a_case_file_without_entries_gets_empty_signals(session):
    ws = Workspace(session)
    case = ws.case(ws.meeting())
    case_file = load_case_file(session, case.id or 0, with_history=False)
    case_file.signals = None  # type: ignore[assignment]
    attach_signals(session, [case_file])
    assert case_file.signals == {}


def test_read_and_store_reads_and_keeps_every_saved_entry(db, session, meeting):
    _ws, _m, case, entries = meeting
    unsaved = ChronologyEntry(case_id=case.id, agency_id=entries[0].agency_id, summary="He choked her.")
    assert read_and_store(session, [*entries, unsaved]) == 3
    assert _stored(db) == {
        e.id: (1, rules_version(), store.encode(read_entry(e.id, e.summary, e.detail or ""))) for e in entries}


def test_a_failed_store_is_logged_in_words_and_the_analysis_goes_on(sqlite_db, caplog):
    with sqlite_db.session() as session:
        ws = Workspace(session)
        case = ws.case(ws.meeting())
        ws.entry(case, "POL", on=date(2026, 1, 3), summary="He threatened to kill her, a fictional call.")
        session.commit()
    other = open_database(sqlite_db.location)
    try:
        with sqlite_db.read_session() as session:
            case_file = load_case_file(session, case.id or 0, with_history=False)
            with other.session() as writer:  # another desk commits under the read snapshot
                create_meeting(writer, actor=ws.coordinator, meeting_date=date(2027, 3, 4), area="Westfield")
            with caplog.at_level(logging.INFO, logger=store.log.name):
                attach_signals(session, [case_file])
    finally:
        other.close()
    assert case_file.signals
    assert [r.getMessage() for r in caplog.records if r.name == store.log.name] == [
        "text signals not stored this time (StorageError); they are read again next time"]


def test_a_read_only_workspace_is_read_but_never_written(sqlite_db, caplog):
    with sqlite_db.session() as session:
        ws = Workspace(session)
        case = ws.case(ws.meeting())
        ws.entry(case, "POL", on=date(2026, 1, 3), summary="He threatened to kill her, a fictional call.")
        session.commit()
    read_only = open_database(sqlite_db.location, read_only=True)
    try:
        with read_only.session() as s, caplog.at_level(logging.INFO, logger=store.log.name):
            entries = s.exec(select(ChronologyEntry)).all()
            assert read_and_store(s, entries) == 1
            case_file = load_case_file(s, case.id or 0, with_history=False)
            attach_signals(s, [case_file])
            assert case_file.signals
    finally:
        read_only.close()
    assert _stored(sqlite_db) == {}
    assert not [r for r in caplog.records if r.name == store.log.name]  # not even tried


def test_an_entry_with_detail_and_nothing_to_flag_is_not_read_again(db, session, meeting, monkeypatch):
    """Its stored "nothing" answers the victim-blaming finder, which asks about "summary⏎detail"."""
    from marac_prep.analysis.gaps import analyse_case
    from marac_prep.analysis.reading import reader as reader_module

    ws, m, case, _entries = meeting
    quiet = ws.entry(case, "HLTH", summary="Seen by the GP.", detail="Chest infection; antibiotics given.")
    _meeting, files = load_meeting_files(session, m.id)
    attach_signals(session, files)
    assert quiet.id not in files[0].signals and quiet.id in _stored(db)
    reader_module.forget_texts()  # as in a new process
    real = reader_module.Reader.read

    def no_reading(self, text):
        assert text != reader_module.entry_text(quiet.summary, quiet.detail), "read again"
        return real(self, text)

    monkeypatch.setattr(reader_module.Reader, "read", no_reading)
    _meeting, files = load_meeting_files(session, m.id)
    attach_signals(session, files)
    analyse_case(files[0])
