"""Each audit event seals the state of the rows it changed, so `audit verify` names a case, entry,
return or user edited behind the app's back (issue 13, section 6). Before, verify said "OK"."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import select

from marac_prep.cli import main
from marac_prep.core.actions import add_action
from marac_prep.core.attendance import plan_hearing, record_attendance
from marac_prep.core.audit import verify_chain, verify_row_states
from marac_prep.core.case_notes import add_case_note
from marac_prep.core.chronology import add_entry, edit_entry, withdraw_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import open_database
from marac_prep.core.models import User
from marac_prep.core.returns import set_return
from marac_prep.core.row_states import TRACKED
from marac_prep.core.users import ensure_profile
from marac_prep.demo import build_demo
from tests.factories import Workspace


def _busy_workspace(db) -> dict[str, int]:
    """Cases, entries (created, edited, withdrawn), returns and users, all through the services."""
    with db.session() as s:
        ws = Workspace(s)
        rep = ws.user("agency_rep", "HSG")
        case = ws.case(ws.meeting(), children=1)
        entry = add_entry(s, actor=rep, case_id=case.id, agency_id=ws.agency["HSG"].id,
                          date=PartialDate(date(2026, 1, 12)), event_type="incident", summary="Fictional visit.")
        edit_entry(s, actor=rep, entry_id=entry.id, expected_version=1, summary="Fictional visit, corrected.")
        other = ws.entry(case, "POL")
        withdraw_entry(s, actor=ws.coordinator, entry_id=other.id, expected_version=1, reason="Entered twice.")
        ret = set_return(s, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["PROB"].id, status="requested")
        action = add_action(s, actor=rep, case_id=case.id, agency_id=ws.agency["HSG"].id,
                            text="Fit a fictional door lock within 7 days.", owner="Hana Tenancy")
        present = record_attendance(s, actor=ws.coordinator, meeting_id=case.meeting_id, person_name="Fictional Chair",
                                    role="chair")
        hearing = plan_hearing(s, actor=ws.coordinator, meeting_id=case.meeting_id, case_id=case.id,
                               discussion_note="Fictional note.")
        note = add_case_note(s, actor=ws.coordinator, case_id=case.id, text="Fictional note for the chair.")
        return {"case": case.id, "entry": entry.id, "return": ret.id, "rep": rep.id, "action": action.id,
                "attendance": present.id, "hearing": hearing.id, "note": note.id}


def _cora(session) -> User:
    return session.exec(select(User).where(User.name == "Cora Ordinator")).one()


def _verify(target: str, capsys) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["--database", target, "audit", "verify"])
    return status, capsys.readouterr().out


def test_work_done_through_the_app_matches_the_trail(db):
    _busy_workspace(db)
    with db.session() as s:
        build_demo(s, actor=ensure_profile(s, name="Cora Ordinator"), cases=2, entries_per_case=6, seed=3)
    with db.read_session() as s:
        assert verify_chain(s).ok
        assert verify_row_states(s) == []


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE chronology_entry SET summary = 'Rewritten later' WHERE id = {entry}", "entry {entry} was changed"),
        ("UPDATE app_user SET role = 'coordinator' WHERE id = {rep}", "user {rep} was changed"),
        ("UPDATE marac_case SET dash_score = 3 WHERE id = {case}", "case {case} was changed"),
        ("DELETE FROM agency_return WHERE id = {return}", "return {return} was deleted"),
        ("UPDATE marac_action SET status = 'done', outcome = 'Said done later' WHERE id = {action}",
         "action {action} was changed"),
        ("DELETE FROM meeting_attendance WHERE id = {attendance}", "attendance {attendance} was deleted"),
        ("UPDATE case_hearing SET discussion_note = 'Rewritten' WHERE id = {hearing}",
         "hearing {hearing} was changed"),
        ("UPDATE case_note SET text = 'Rewritten' WHERE id = {note}", "case note {note} was changed"),
        (
            "INSERT INTO chronology_entry (case_id, agency_id, event_date, date_precision, date_approximate, sequence,"
            " source_ref, recorded_by, subjects, event_type, summary, detail, fact_or_opinion, risk_indicators,"
            " shareable, withheld_reason, withdrawn_reason, created_at, updated_at, version) SELECT case_id,"
            " agency_id, event_date, date_precision, date_approximate, sequence, source_ref, recorded_by, subjects,"
            " event_type, 'Slipped in', detail, fact_or_opinion, risk_indicators, shareable, withheld_reason,"
            " withdrawn_reason, created_at, updated_at, version FROM chronology_entry WHERE id = {entry}",
            "was added outside the app",
        ),
    ],
)
def test_an_edit_behind_the_apps_back_is_named(tmp_path, capsys, statement, named):
    target = str(tmp_path / "m.sqlite")
    db = open_database(target)
    ids = _busy_workspace(db)
    db.close()
    status, out = _verify(target, capsys)
    assert status == 0, out
    conn = sqlite3.connect(target)  # the sqlite3 tool: triggers and all left in place
    conn.execute(statement.format(**ids))
    conn.commit()
    conn.close()
    # The app's next change must not seal the foreign edit as its own.
    db = open_database(target)
    with db.session() as s:
        set_return(s, actor=_cora(s), case_id=ids["case"], agency_id=1, status="requested")
    db.close()
    status, out = _verify(target, capsys)
    assert status == 1 and "does not match the trail" in out
    assert named.format(**ids) in out


def test_an_edit_by_the_servers_administrator_is_named_on_postgres(db, capsys):
    if db.is_sqlite:
        pytest.skip("PostgreSQL's own notes are per transaction")
    ids = _busy_workspace(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE chronology_entry SET summary = 'Rewritten' WHERE id = :id"), {"id": ids["entry"]})
    with db.session() as s:  # a later change through the app
        set_return(s, actor=_cora(s), case_id=ids["case"], agency_id=1, status="requested")
    with db.read_session() as s:
        problems = [p.sentence for p in verify_row_states(s)]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"entry {ids['entry']} was changed outside the app")


def test_rewriting_the_sealed_state_to_match_is_caught_by_the_chain(tmp_path, capsys):
    from marac_prep.core.row_states import row_digest

    target = str(tmp_path / "m.sqlite")
    db = open_database(target)
    ids = _busy_workspace(db)
    db.close()
    conn = sqlite3.connect(target)
    conn.execute("UPDATE chronology_entry SET summary = 'Rewritten later' WHERE id = ?", (ids["entry"],))
    conn.execute("DROP TRIGGER audit_row_state_no_update")
    conn.commit()
    db = open_database(target)
    with db.read_session() as s:
        row = s.execute(text(f"SELECT * FROM chronology_entry WHERE id = {ids['entry']}")).one()
    db.close()
    conn.execute(
        "UPDATE audit_row_state SET digest = ? WHERE tbl = 'chronology_entry' AND row_id = ? AND event_id = "
        "(SELECT max(event_id) FROM audit_row_state WHERE tbl = 'chronology_entry' AND row_id = ?)",
        (row_digest(row), ids["entry"], ids["entry"]),
    )
    conn.commit()
    conn.close()
    status, out = _verify(target, capsys)
    assert status == 1 and "row states sealed with event" in out and "were altered" in out


def test_a_change_of_more_than_a_page_of_rows_is_sealed_whole(db):
    """A save's few rows are digested before the chain's lock is taken, an import's many a page at
    a time under it (issue 19): both must seal every changed row once."""
    with db.session() as s:
        actor = ensure_profile(s, name="Cora Ordinator")
        s.commit()
        build_demo(s, actor=actor, cases=3, entries_per_case=250, seed=4)  # one transaction, one event
        event_id = s.execute(text("SELECT max(id) FROM audit_event WHERE action = 'demo.generate'")).scalar()
        # Every tracked row the demo wrote (the profile was written, and sealed, before it).
        changed = sum(s.execute(text(f"SELECT count(*) FROM {name}")).scalar() for name in TRACKED if name != "app_user")
        sealed = s.execute(text("SELECT count(*), count(DISTINCT tbl || ':' || row_id) FROM audit_row_state "
                                "WHERE event_id = :e"), {"e": event_id}).one()
        assert changed > 500  # more than one page (row_states._CHUNK)
        assert tuple(sealed) == (changed, changed)
        assert verify_chain(s).ok
        assert verify_row_states(s) == []


def test_tracked_names_sort_alike_in_any_locale():
    """The states hash is fed in (table, row id) order: Python sorts bytewise, PostgreSQL by its
    collation, which may ignore "_"; the tracked names must sort the same either way."""
    from marac_prep.core.row_states import TRACKED

    assert sorted(TRACKED) == sorted(TRACKED, key=lambda name: name.replace("_", ""))


def test_a_run_of_ids_and_scattered_ids_are_digested_alike(db):
    """Rows are read back for sealing as one id range when the ids run without a gap (an
    import's), else by their ids: either way each row's digest is `row_digest` over the row as
    plain SQL reads it, and an id with no row is left out."""
    from marac_prep.core.row_states import _digests, all_rows, row_digest

    _busy_workspace(db)
    with db.session() as s:
        expected = {int(row.id): row_digest(row) for row in all_rows(s.connection(), "chronology_entry")}
        ids = sorted(expected)
        assert ids[:2] == [ids[0], ids[0] + 1]  # two entries made one after the other
        run = ids[:2]
        scattered = [ids[0], ids[-1] + 50]  # a gap, and an id with no row
        assert _digests(s, "chronology_entry", run) == {i: expected[i] for i in run}
        assert _digests(s, "chronology_entry", scattered) == {ids[0]: expected[ids[0]]}
        assert _digests(s, "chronology_entry", [*run, *run]) == {i: expected[i] for i in run}
