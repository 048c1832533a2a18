"""On a shared PostgreSQL server each person is their own login, and the server itself refuses
what their role may not do, even through raw SQL (issue 13, section 1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marac_prep.cli import main
from marac_prep.core.audit import current_seal, record_case_opened, verify_chain
from marac_prep.core.chronology import add_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import Database, open_database
from marac_prep.core.errors import PermissionDenied
from marac_prep.core.identity import Proof, authenticate
from marac_prep.core.returns import set_return
from marac_prep.core.server_roles import GROUP_ROLES
from marac_prep.core.users import create_profile
from tests.factories import Workspace

pytestmark = pytest.mark.postgres


@dataclass
class Server:
    admin_url: str
    ids: dict[str, int]
    logins: dict[str, str]

    def url_as(self, login: str) -> str:
        scheme, _, rest = self.admin_url.partition("://")
        return f"{scheme}://{login}@{rest.split('@', 1)[-1]}"

    def open_as(self, role: str) -> Database:
        return open_database(self.url_as(self.logins[role]))


@pytest.fixture
def server(postgres_databases) -> Iterator[Server]:
    """A workspace with one login per role (unique names: roles are cluster-wide), dropped after."""
    if postgres_databases is None:
        pytest.skip("MARAC_PREP_TEST_POSTGRES_URL is not set")
    url = postgres_databases.fresh()
    suffix = uuid.uuid4().hex[:8]
    logins = {role: f"t_{role}_{suffix}" for role in GROUP_ROLES}
    admin = postgres_databases.admin  # connected to the maintenance database, not the one dropped
    db = open_database(url)
    try:
        with admin.connect() as conn:
            for role, login in logins.items():
                conn.execute(text(f"CREATE ROLE {login} LOGIN IN ROLE {GROUP_ROLES[role]}"))
        with db.session() as session:
            ws = Workspace(session)
            meeting = ws.meeting()
            case = ws.case(meeting)
            police, housing = ws.agency["POL"], ws.agency["HSG"]
            police_entry = add_entry(
                session, actor=ws.coordinator, case_id=case.id, agency_id=police.id,
                date=PartialDate(date(2026, 1, 12)), event_type="incident", summary="Police attended a fictional call.",
            )
            agencies = {"coordinator": None, "idva": ws.agency["IDVA"].id, "agency_rep": housing.id, "viewer": None}
            for role, login in logins.items():
                create_profile(session, actor=ws.coordinator, name=f"{role} person", role=role,
                               agency_id=agencies[role], db_login=login)
            ids = {"case": case.id, "police": police.id, "housing": housing.id, "police_entry": police_entry.id}
        yield Server(admin_url=url, ids=ids, logins=logins)
    finally:
        db.close()
        postgres_databases.drop(url)
        with admin.connect() as conn:
            for login in logins.values():
                conn.execute(text(f"DROP ROLE IF EXISTS {login}"))


def _refused(db: Database, statement: str, **params: object) -> str:
    with db.engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text(statement), params)
    return str(caught.value.orig)


def _changed(db: Database, statement: str, **params: object) -> int:
    with db.engine.begin() as conn:
        return conn.execute(text(statement), params).rowcount


def test_each_login_is_its_own_profile_and_cannot_choose_another(server):
    db = server.open_as("agency_rep")
    try:
        with db.session() as session:
            assert authenticate(session, name=None, proof=Proof.of_this_process()).name == "agency_rep person"
            with pytest.raises(PermissionDenied, match="your own login"):
                authenticate(session, name="Cora Ordinator", proof=Proof.of_this_process())
    finally:
        db.close()
    # The command line too: --user of another profile is refused, whatever it is called.
    url = server.url_as(server.logins["agency_rep"])
    assert main(["--database", url, "--user", "Cora Ordinator", "meeting", "create", "--date", "2030-01-07"]) == 1


def test_a_viewer_login_only_reads_even_through_raw_sql(server):
    db = server.open_as("viewer")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM chronology_entry")).scalar() == 1
        for statement in (
            "UPDATE chronology_entry SET summary = 'rewritten'",
            "DELETE FROM chronology_entry",
            "INSERT INTO meeting (meeting_date, area, status, version) VALUES ('2030-01-01', 'x', 'planned', 1)",
            "UPDATE app_user SET role = 'coordinator'",
        ):
            assert "permission denied" in _refused(db, statement), statement
        # It cannot check the whole trail (it sees only its own events), and is told so.
        assert main(["--database", server.url_as(server.logins["viewer"]), "audit", "verify"]) == 1
        # What a viewer may do is still audited: opening a case writes an event.
        with db.session() as session:
            viewer = authenticate(session, name=None, proof=Proof.of_this_process())
            record_case_opened(session, actor=viewer, case_id=server.ids["case"])
    finally:
        db.close()


def test_an_agency_rep_login_changes_only_its_own_agency(server):
    db = server.open_as("agency_rep")
    try:
        # Another agency's entry and return: invisible to UPDATE, refused on INSERT.
        assert _changed(db, "UPDATE chronology_entry SET summary = 'rewritten' WHERE id = :id",
                        id=server.ids["police_entry"]) == 0
        assert _changed(db, "UPDATE agency_return SET status = 'declined' WHERE agency_id = :a",
                        a=server.ids["police"]) == 0
        assert "row-level security" in _refused(
            db,
            "INSERT INTO agency_return (case_id, agency_id, status, chase_count, representative, note, version) "
            "VALUES (:c, :a, 'returned', 0, '', '', 1)",
            c=server.ids["case"], a=server.ids["police"],
        )
        assert "permission denied" in _refused(db, "DELETE FROM chronology_entry")
        assert "permission denied" in _refused(db, "UPDATE app_user SET agency_id = :a", a=server.ids["police"])
        # Its own agency works through the app, audit event and all.
        with db.session() as session:
            rep = authenticate(session, name=None, proof=Proof.of_this_process())
            entry = add_entry(session, actor=rep, case_id=server.ids["case"], agency_id=server.ids["housing"],
                              date=PartialDate(date(2026, 2, 1)), event_type="incident",
                              summary="Housing officer visited (fictional).")
            set_return(session, actor=rep, case_id=server.ids["case"], agency_id=server.ids["housing"],
                       status="returned")
        assert _changed(db, "UPDATE chronology_entry SET summary = 'tidied' WHERE id = :id", id=entry.id) == 1
    finally:
        db.close()
    admin = open_database(server.admin_url)
    try:
        with admin.read_session() as session:
            check = verify_chain(session)
            assert check.ok, check.reason
    finally:
        admin.close()


@pytest.mark.parametrize("role", list(GROUP_ROLES))
def test_nobody_changes_or_deletes_audit_events(server, role):
    db = server.open_as(role)
    try:
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            assert "permission denied" in _refused(db, statement), statement
        # Nor writes one in another person's name.
        assert "row-level security" in _refused(
            db,
            "INSERT INTO audit_event (occurred_at, user_id, user_name, agency_name, action, object_type, details, "
            "prev_hash, hash) VALUES (now(), :u, 'x', '', 'forged', '', '{}', '', '')",
            u=server.ids["police"] + 10_000,
        )
    finally:
        db.close()


def test_user_create_makes_the_login_or_prints_it_for_the_administrator(server, capsys, postgres_databases):
    coordinator_url = server.url_as(server.logins["coordinator"])
    login = f"t_new_{uuid.uuid4().hex[:8]}"
    # A coordinator's login may not create server logins: it is told to use --print-sql.
    args = ["user", "create", "--name", "Rhian Evans", "--role", "viewer", "--login", login]
    assert main(["--database", coordinator_url, *args]) == 1
    assert "--print-sql" in capsys.readouterr().err
    assert main(["--database", coordinator_url, *args, "--print-sql"]) == 0
    out = capsys.readouterr().out
    assert f"CREATE ROLE {login} LOGIN IN ROLE marac_viewer;" in out
    # The administrator's connection creates the login itself.
    other = f"t_new_{uuid.uuid4().hex[:8]}"
    try:
        assert main(["--database", server.admin_url, "--user", "Cora Ordinator", "user", "create",
                     "--name", "Sam Viewer", "--role", "viewer", "--login", other]) == 0
        db = open_database(server.url_as(other))
        try:
            with db.session() as session:
                assert authenticate(session, name=None, proof=Proof.of_this_process()).name == "Sam Viewer"
        finally:
            db.close()
    finally:
        # The role has no privileges of its own (only membership), so it drops cleanly.
        with postgres_databases.admin.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {other}"))


@pytest.mark.parametrize("role", ["viewer", "agency_rep"])
def test_a_login_row_level_security_limits_seals_the_whole_trail(server, role):
    # Found by mutation testing (session 6): the seal's head and count come from
    # `marac_audit_head()` / `marac_audit_count()`, which see every event; read from the table, a
    # login that sees only its own events would seal a shorter trail that no check could match.
    admin = open_database(server.admin_url)
    try:
        with admin.read_session() as session:
            whole = current_seal(session)
            visible = session.execute(text("SELECT count(*) FROM audit_event")).scalar()
    finally:
        admin.close()
    assert whole.events == visible and whole.events > 0
    db = server.open_as(role)
    try:
        with db.engine.connect() as conn:
            # The login itself sees fewer events than there are (none of them its own yet).
            assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() < whole.events
        with db.read_session() as session:
            assert current_seal(session) == whole
    finally:
        db.close()
