"""Signals read from entries' text are kept: read once per entry version and rules version, stored,
and attached to case files for analysis (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marac_prep.analysis.reading import attach_signals, store
from marac_prep.core.casefile import load_meeting_files
from marac_prep.core.chronology import edit_entry, withdraw_entry
from marac_prep.core.models import EntrySignals
from tests.factories import Workspace


@pytest.fixture
def meeting(session):
    ws = Workspace(session)
    meeting = ws.meeting()
    case = ws.case(meeting)
    entries = [
        ws.entry(case, "IDVA", summary="Alys disclosed that Gethin put his hands round her neck."),
        ws.entry(case, "HLTH", summary="Seen by the GP for a chest infection."),
        ws.entry(case, "HSG", summary="She declined the support offered.", detail="Discussed referring to Marac "
                 "but agreed to monitor."),
    ]
    return ws, meeting, case, entries


def read(session, meeting_id):
    _meeting, files = load_meeting_files(session, meeting_id)
    attach_signals(session, files)
    return files


def codes(case_file):
    return {(entry_id, s.code) for entry_id, found in case_file.signals.items() for s in found}


def test_signals_are_read_stored_and_attached(db, session, meeting):
    _ws, m, _case, (neck, chest, declined) = meeting
    [case_file] = read(session, m.id)
    assert codes(case_file) == {
        (neck.id, "strangulation"), (declined.id, "support_refused"), (declined.id, "referral_considered_not_made"),
    }
    [strangled] = case_file.signals[neck.id]
    assert strangled.words == "put his hands round her neck" and strangled.field == "summary"
    with db.read_session() as s:
        rows = {r.entry_id: r for r in s.exec(select(EntrySignals)).all()}
    assert set(rows) == {neck.id, chest.id, declined.id}, "an entry that says nothing is stored as read too"
    assert rows[chest.id].signals == ""


def test_stored_signals_are_not_read_again(db, session, meeting, monkeypatch):
    _ws, m, _case, _entries = meeting
    read(session, m.id)

    def no_reading(*args, **kwargs):
        raise AssertionError("the text was read again")

    monkeypatch.setattr(store, "read_entry", no_reading)
    with db.read_session() as s:
        [case_file] = read(s, m.id)
    assert len(case_file.signals) == 2


def test_an_edited_entry_is_read_again_and_its_old_signals_go(db, session, meeting, monkeypatch):
    ws, m, _case, (neck, _chest, _declined) = meeting
    read(session, m.id)
    edit_entry(session, actor=ws.coordinator, entry_id=neck.id, expected_version=1,
               summary="Alys attended the appointment with her Idva.")
    seen = []
    monkeypatch.setattr(store, "read_entry", lambda i, s, d: seen.append(i) or ())
    [case_file] = read(session, m.id)
    assert seen == [neck.id]
    assert neck.id not in case_file.signals


def test_changed_patterns_mean_every_entry_is_read_again(db, session, meeting, monkeypatch):
    _ws, m, _case, entries = meeting
    read(session, m.id)
    monkeypatch.setattr(store, "rules_version", lambda: "changed-rules")
    seen = []
    real = store.read_entry
    monkeypatch.setattr(store, "read_entry", lambda i, s, d: seen.append(i) or real(i, s, d))
    [case_file] = read(session, m.id)
    assert sorted(seen) == sorted(e.id for e in entries)
    assert len(case_file.signals) == 2
    with db.read_session() as s:
        assert {r.rules_version for r in s.exec(select(EntrySignals)).all()} == {"changed-rules"}


def test_a_withdrawn_entry_gives_no_signals(db, session, meeting):
    ws, m, _case, (neck, _chest, _declined) = meeting
    withdraw_entry(session, actor=ws.coordinator, entry_id=neck.id, expected_version=1, reason="Entered twice.")
    [case_file] = read(session, m.id)
    assert neck.id not in case_file.signals


def test_the_callers_transaction_is_left_alone(db, session, meeting):
    _ws, m, _case, _entries = meeting
    with db.read_session() as s:
        read(s, m.id)
        assert not s.new and not s.dirty
    with db.read_session() as s:
        assert len(s.exec(select(EntrySignals)).all()) == 3


def test_the_gaps_command_reads_and_keeps_the_meetings_text(db, session, meeting):
    import io

    from marac_prep.cli import build_parser
    from marac_prep.commands.context import CommandContext

    _ws, m, _case, entries = meeting
    session.commit()
    args = build_parser().parse_args(["gaps", "--meeting", str(m.id), "--json"])
    assert args.handler(CommandContext(out=io.StringIO(), _database=db), args) == 0
    with db.read_session() as s:
        assert {r.entry_id for r in s.exec(select(EntrySignals)).all()} == {e.id for e in entries}


def test_analysis_of_stored_entries_never_reads_their_text_again(db, session, meeting, monkeypatch):
    from marac_prep.analysis.gaps import analyse_case
    from marac_prep.analysis.reading import reader as reader_module

    _ws, m, _case, entries = meeting
    read(session, m.id)
    reader_module.forget_texts()  # as in a new process
    texts = {reader_module.entry_text(e.summary, e.detail) for e in entries} | {e.summary for e in entries}
    real = reader_module.Reader.read

    def no_reading(self, text):
        assert text not in texts, f"an entry's text was read again: {text!r}"
        return real(self, text)

    monkeypatch.setattr(reader_module.Reader, "read", no_reading)
    [case_file] = read(session, m.id)
    findings = analyse_case(case_file)
    assert any(f.kind == "victim_blaming_language" and "declined the support" in f.message for f in findings)
