"""Two desks on one database (issue 19): what one saves appears in the other without a reload and
without moving the other's selection; an open entry says who changed it; a lost connection is
said plainly, nothing typed is lost, and the window catches up by itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import UTC, date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import text
from sqlmodel import select

from marac_prep.core.chronology import edit_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import Database, open_database
from marac_prep.core.models import AuditEvent
from marac_prep.ui.entry_dialog import EntryDialog
from marac_prep.ui.live import LOST_SERVER
from tests.factories import Workspace
from tests.ui.helpers import make_window, open_case

WAIT_MS = 30_000  # generous: the machine is shared; this is not a speed test


@pytest.fixture
def two_desks(ws: Workspace, db: Database, tmp_path):
    """A meeting with two cases; the coordinator's database and a housing representative's
    second engine on the same database (another copy of the app)."""
    meeting = ws.meeting()
    case = ws.case(meeting, reference="M-2026-0101")
    ws.case(meeting, reference="M-2026-0102", victim="Bronwen TESTER")
    entries = [ws.entry(case, "POL", on=date(2026, 1, day), summary=f"Fictional police call {day}.") for day in (3, 9, 20)]
    rep = ws.user("agency_rep", "HSG", name="Rhian Evans")
    ws.session.commit()
    other = open_database(db.location)
    yield ws, case, entries, rep, other
    other.close()


def _settings(tmp_path: Path, name: str) -> QSettings:
    return QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)


def _type_entry(dialog: EntryDialog, summary: str) -> None:
    dialog.date.edit.setText("14/01/2026")
    dialog.summary.setPlainText(summary)


def test_an_entry_saved_on_one_desk_appears_on_the_other_without_moving_its_selection(
    qtbot, two_desks, db, temporary_settings, tmp_path
):
    ws, case, entries, rep, other = two_desks
    mine = make_window(qtbot, db, ws.coordinator, temporary_settings)
    theirs = make_window(qtbot, other, rep, _settings(tmp_path, "theirs"))
    open_case(qtbot, mine, case.id)
    open_case(qtbot, theirs, case.id)
    mine.case_view.chronology.select_entry(entries[1].id)
    assert mine.case_view.chronology.current_entry_id() == entries[1].id
    tree = mine.case_view.findings.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() > 1 and "…" not in mine.case_view.tabs.tabText(2),
                    timeout=WAIT_MS)
    tree.setCurrentItem(tree.topLevelItem(1))
    chosen_finding = tree.currentItem().text(2)
    analysed: list[object] = []
    mine.case_view.analysed.connect(analysed.append)

    dialog = EntryDialog(other, rep, case_id=case.id, parent=theirs)
    _type_entry(dialog, "Housing officer visited; fictional tenancy concern.")
    assert dialog.save(), dialog.error.text()
    added = dialog.entry.id

    chronology = mine.case_view.chronology
    qtbot.waitUntil(lambda: chronology.model.row_of_entry(added) >= 0, timeout=WAIT_MS)
    assert chronology.current_entry_id() == entries[1].id  # the user's place is kept
    # The returns tab follows too: the entry answered Housing's return.
    housing = ws.agency["HSG"].id
    qtbot.waitUntil(
        lambda: any(line.agency_id == housing and not line.outstanding for line in mine.case_view.returns.model.lines),
        timeout=WAIT_MS,
    )
    # The findings are worked out again from the stored case; the chosen finding stays chosen.
    qtbot.waitUntil(lambda: bool(analysed), timeout=WAIT_MS)
    assert tree.currentItem() is not None and tree.currentItem().text(2) == chosen_finding

    # The coordinator's own save reaches the other desk; neither desk is told of its own changes.
    with db.session() as session:
        own = ws.entry(case, "POL", on=date(2026, 1, 25), summary="Fictional follow-up call.")
        session.commit()
    own_id = own.id
    qtbot.waitUntil(lambda: theirs.case_view.chronology.model.row_of_entry(own_id) >= 0, timeout=WAIT_MS)
    theirs_seen = [c for batch in theirs.live.received for c in batch]
    mine_seen = [c for batch in mine.live.received for c in batch]
    assert all(c.user_id != rep.id for c in theirs_seen)
    assert all(c.user_id != ws.coordinator.id for c in mine_seen)
    assert [c.object_id for c in mine_seen if c.kind == "chronology_entry"] == [added]


def test_the_coordinator_sees_a_return_arrive_on_the_meeting(qtbot, two_desks, db, temporary_settings):
    ws, case, _entries, rep, other = two_desks
    mine = make_window(qtbot, db, ws.coordinator, temporary_settings)
    view = mine.meeting_view
    # The case list is read off the GUI thread (ui/case_list_loader.py): wait for its rows.
    qtbot.waitUntil(lambda: any(line.case_id != case.id for line in view.model.lines), timeout=WAIT_MS)
    second = next(line.case_id for line in view.model.lines if line.case_id != case.id)
    view.select_case(second)

    with other.session() as session:
        from marac_prep.core.chronology import add_entry

        add_entry(session, actor=rep, case_id=case.id, agency_id=rep.agency_id, date=PartialDate(date(2026, 1, 14)),
                  event_type="incident", summary="Fictional housing visit.")

    housing = ws.agency["HSG"].name
    expected = f"{housing} returned information for case M-2026-0101"
    qtbot.waitUntil(lambda: expected in mine.statusBar().currentMessage(), timeout=WAIT_MS)
    assert case.id in view.model.highlighted
    assert view.current_case_id() == second  # the coordinator's chosen case stays chosen


def test_the_actions_window_shows_actions_added_and_changed_on_another_desk_keeping_its_selection(
    qtbot, two_desks, db, temporary_settings
):
    from marac_prep.core.actions import add_action, update_action
    from marac_prep.core.models import MaracAction
    from marac_prep.ui.operations.actions import show_actions

    ws, case, _entries, rep, other = two_desks
    first, second = (
        add_action(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency[code].id, text=text)
        for code, text in (("POL", "Flag the address."), ("HSG", "Fit a door chain."))
    )
    ws.session.commit()
    mine = make_window(qtbot, db, ws.coordinator, temporary_settings)
    view = show_actions(mine, every_open=True)
    second_row = next(n for n, line in enumerate(view.model.lines) if line.id == second.id)
    view.table.setCurrentIndex(view.model.index(second_row, 0))
    resets: list[str] = []
    view.model.modelReset.connect(lambda: resets.append("reset"))

    # Another desk rewords the first action: shown in place, the chosen action stays chosen.
    with other.session() as session:
        stored = session.get(MaracAction, first.id)
        update_action(session, actor=ws.coordinator, action_id=first.id, expected_version=stored.version,
                      text="Flag the address for an urgent response.")
    qtbot.waitUntil(lambda: any(line.text == "Flag the address for an urgent response." for line in view.model.lines),
                    timeout=WAIT_MS)
    assert resets == []  # in place: no reset of the table
    assert view.selected() is not None and view.selected().id == second.id

    # The housing representative agrees a new action on their desk: it appears, the selection stays.
    with other.session() as session:
        added = add_action(session, actor=rep, case_id=case.id, agency_id=rep.agency_id,
                           text="Offer a fictional tenancy review.")
    qtbot.waitUntil(lambda: any(line.id == added.id for line in view.model.lines), timeout=WAIT_MS)
    assert view.selected() is not None and view.selected().id == second.id
    assert "3 actions" in view.summary.text()


def test_an_open_entry_says_who_changed_it_and_save_still_checks(qtbot, two_desks, db, temporary_settings, messages):
    ws, case, entries, _rep, other = two_desks
    mine = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, mine, case.id)
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id, entry_id=entries[0].id, parent=mine)
    dialog.show()
    dialog.summary.setPlainText("My own unsaved fictional wording.")

    police = Workspace.user(ws, "agency_rep", "POL", name="Dylan Hughes")
    ws.session.commit()
    with other.session() as session:
        edit_entry(session, actor=police, entry_id=entries[0].id, expected_version=1,
                   summary="Their fictional correction.")
    with db.read_session() as session:
        when = session.exec(select(AuditEvent.occurred_at).where(AuditEvent.action == "entry.update")).one()
    qtbot.waitUntil(dialog.changed_bar.isVisible, timeout=WAIT_MS)
    stamp = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone()
    assert dialog.changed_text.text() == f"Changed by Dylan Hughes at {stamp:%H:%M} – reload?"
    assert dialog.summary.toPlainText() == "My own unsaved fictional wording."  # nothing typed is lost

    messages.answer = False  # "Keep editing"
    assert not dialog.save()  # the version check at Save stays
    assert messages.questions[-1][0] == "Changed by someone else"
    dialog.reload_button.click()
    assert dialog.summary.toPlainText() == "Their fictional correction."
    assert not dialog.changed_bar.isVisible()
    dialog.close()


def _terminate_backends(postgres_databases, database: str) -> int:
    with postgres_databases.admin.connect() as conn:
        return len(conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
            {"db": database},
        ).all())


@pytest.mark.postgres
def test_a_cut_connection_is_said_plainly_and_caught_up(qtbot, two_desks, db, temporary_settings, postgres_databases):
    if db.is_sqlite:
        pytest.skip("a server connection")
    ws, case, _entries, rep, other = two_desks
    mine = make_window(qtbot, db, ws.coordinator, temporary_settings)
    open_case(qtbot, mine, case.id)
    states: list[bool] = []
    mine.live.updates.connection_changed.connect(states.append)
    mine.live.updates.follower.max_backoff = 1.0
    dialog = EntryDialog(db, ws.coordinator, case_id=case.id, parent=mine)
    dialog.show()
    _type_entry(dialog, "Typed while the server was away.")

    assert _terminate_backends(postgres_databases, db.location.rpartition("/")[2]) >= 1
    qtbot.waitUntil(lambda: False in states, timeout=WAIT_MS)
    assert mine.live.lost_notice.text() == LOST_SERVER
    with other.session() as session:  # the other desk carries on (its pool reconnects)
        from marac_prep.core.chronology import add_entry

        added = add_entry(session, actor=rep, case_id=case.id, agency_id=rep.agency_id,
                          date=PartialDate(date(2026, 1, 15)), event_type="incident",
                          summary="Saved while the first desk was cut off.").id
    qtbot.waitUntil(lambda: mine.case_view.chronology.model.row_of_entry(added) >= 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: states[-1] is True and not mine.live.lost_notice.isVisible(), timeout=WAIT_MS)
    assert dialog.summary.toPlainText() == "Typed while the server was away."
    dialog.close()


# --- a real server killed and started again: a private throwaway cluster ------------------------------

_PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
_PRIVATE_PORT = 55432


def _private_cluster_available() -> str | None:
    if not _PG_BIN or not (_PG_BIN[-1] / "initdb").exists():
        return "initdb is not installed"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "needs root to run the cluster as the postgres user"
    return None


def _as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture
def private_server():
    """A PostgreSQL cluster of this test's own in /tmp/live-pg (port 55432): it may be killed."""
    reason = _private_cluster_available()
    if reason:
        pytest.skip(reason)
    base = Path("/tmp/live-pg")
    data = base / f"data-{uuid.uuid4().hex[:6]}"
    base.mkdir(exist_ok=True)
    shutil.chown(base, "postgres")
    bin_dir = _PG_BIN[-1]
    made = _as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    if made.returncode != 0:
        pytest.skip(f"initdb failed: {made.stderr.strip()[:200]}")
    options = f"-p {_PRIVATE_PORT} -k {base} -c listen_addresses=127.0.0.1"

    def start() -> None:
        started = _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"),
                               "-w", "start")
        assert started.returncode == 0, started.stderr

    def kill() -> None:
        _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")

    start()
    try:
        yield f"postgresql://postgres@127.0.0.1:{_PRIVATE_PORT}/postgres", start, kill
    finally:
        kill()
        shutil.rmtree(data, ignore_errors=True)


@pytest.mark.postgres
def test_a_killed_and_restarted_server_is_survived(qtbot, private_server, temporary_settings, tmp_path):
    url, start, kill = private_server
    database = open_database(url)
    other = open_database(url)
    try:
        with database.session() as session:
            ws = Workspace(session)
            case = ws.case(ws.meeting())
            rep = ws.user("agency_rep", "HSG", name="Rhian Evans")
            session.commit()
        mine = make_window(qtbot, database, ws.coordinator, temporary_settings)
        open_case(qtbot, mine, case.id)
        states: list[bool] = []
        mine.live.updates.connection_changed.connect(states.append)
        mine.live.updates.follower.max_backoff = 1.0
        dialog = EntryDialog(database, ws.coordinator, case_id=case.id, parent=mine)
        dialog.show()
        _type_entry(dialog, "Typed while the server was down.")

        kill()
        qtbot.waitUntil(lambda: mine.live.lost_notice.isVisible(), timeout=WAIT_MS)
        assert mine.statusBar().isVisible() and mine.live.lost_notice.text() == LOST_SERVER
        start()
        qtbot.waitUntil(lambda: states[-1:] == [True] and not mine.live.lost_notice.isVisible(), timeout=WAIT_MS)
        with other.session() as session:
            from marac_prep.core.chronology import add_entry

            added = add_entry(session, actor=rep, case_id=case.id, agency_id=rep.agency_id,
                              date=PartialDate(date(2026, 1, 15)), event_type="incident",
                              summary="Saved after the restart.").id
        qtbot.waitUntil(lambda: mine.case_view.chronology.model.row_of_entry(added) >= 0, timeout=WAIT_MS)
        assert dialog.summary.toPlainText() == "Typed while the server was down."
        dialog.close()
        mine.close()
    finally:
        other.close()
        database.close()


def test_a_command_run_in_a_terminal_shows_up_in_the_open_window(qtbot, sqlite_db, temporary_settings, tmp_path):
    """SQLite: another process committing to the file changes its data_version; the window follows."""
    import sys

    with sqlite_db.session() as session:
        ws = Workspace(session)
        ws.meeting()
        session.commit()
    window = make_window(qtbot, sqlite_db, ws.coordinator, temporary_settings)
    assert window.meetings_model.rowCount() == 1
    done = subprocess.run(
        [sys.executable, "-m", "marac_prep", "--database", sqlite_db.location, "--user", "Cora Ordinator",
         "meeting", "create", "--date", "2027-02-11", "--area", "Westfield"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "MARAC_PREP_LOG_DIR": str(tmp_path / "logs")},
    )
    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(lambda: any(m.area == "Westfield" for m in window.meetings_model.lines), timeout=WAIT_MS)


def test_the_case_list_updated_in_place_is_still_a_sound_model(qtmodeltester):
    from marac_prep.ui.meeting_view import CaseLine, CaseTableModel

    def line(case_id: int, answered: int) -> CaseLine:
        return CaseLine(case_id=case_id, reference=f"M-{case_id}", victim="Fictional VICTIM", referring_agency="Police",
                        dash_score=14, repeat=False, answered=answered, expected=8, status="open", risk_level="high")

    model = CaseTableModel()
    model.set_lines([line(1, 1), line(2, 1)])
    qtmodeltester.check(model)
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda top, bottom, _roles: changed.append((top.row(), bottom.row())))
    assert model.update_lines([line(1, 1), line(2, 3)])
    model.set_highlighted(frozenset({2}))
    qtmodeltester.check(model)
    assert changed and model.index(1, 5).data() == "3 of 8 agencies"
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert not model.update_lines([line(2, 3)])  # a case gone: the list must be laid out again
