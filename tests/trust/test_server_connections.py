"""A desktop fleet on one PostgreSQL server: a small pool per app, connections checked before
use, and server-side timeouts that end in a plain sentence (issue 19)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from marac_prep.core.chronology import add_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.db import Database, open_database
from marac_prep.core.db import engine as engine_module
from marac_prep.core.errors import StorageError
from marac_prep.core.storage_errors import BUSY, LEFT_UNFINISHED, TOO_SLOW, plain_error
from tests.factories import Workspace


@pytest.fixture
def db(postgres_databases) -> Iterator[Database]:
    """A fresh PostgreSQL database only: everything here is about the server."""
    if postgres_databases is None:
        pytest.skip("MARAC_PREP_TEST_POSTGRES_URL is not set")
    url = postgres_databases.fresh()
    database = open_database(url)
    yield database
    database.close()
    postgres_databases.drop(url)


def _server_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_timeouts_are_said_as_sentences():
    class Driver(Exception):
        def __init__(self, message: str, sqlstate: str | None) -> None:
            super().__init__(message)
            self.sqlstate = sqlstate

    assert str(plain_error(Driver("canceling statement due to statement timeout", "57014"))) == TOO_SLOW
    # An administrator's cancel is not a timeout: not said as one.
    assert plain_error(Driver("canceling statement due to user request", "57014")) is None
    ended = "terminating connection due to idle-in-transaction timeout"
    assert str(plain_error(Driver(ended, "25P03"))) == LEFT_UNFINISHED
    assert str(plain_error(Driver(ended, None))) == LEFT_UNFINISHED  # the code may not survive the close
    assert str(plain_error(Driver("canceling statement due to lock timeout", "55P03"))) == BUSY


@pytest.mark.postgres
def test_each_connection_carries_the_servers_limits(db):
    with db.engine.connect() as conn:
        shown = {
            name: conn.execute(text(f"SHOW {name}")).scalar()
            for name in ("statement_timeout", "idle_in_transaction_session_timeout", "lock_timeout")
        }
    assert shown == {"statement_timeout": "1min", "idle_in_transaction_session_timeout": "1min", "lock_timeout": "15s"}


@pytest.mark.postgres
def test_the_app_keeps_a_small_pool_and_bursts_a_little(db, monkeypatch):
    monkeypatch.setattr(engine_module, "PG_POOL_TIMEOUT_S", 0.2)
    app = open_database(_server_url(db))
    try:
        held = [app.engine.connect() for _ in range(engine_module.PG_POOL_SIZE + engine_module.PG_MAX_OVERFLOW)]
        with pytest.raises(PoolTimeout):
            app.engine.connect()  # a sixth at once: something in the app is stuck
        for conn in held:
            conn.close()
        # The burst's extra connections are closed when given back: two stay open.
        assert app.engine.pool.checkedin() == engine_module.PG_POOL_SIZE
    finally:
        app.close()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced_unseen(db):
    with db.session() as session:
        ws = Workspace(session)
        case = ws.case()
        coordinator, police = ws.coordinator, ws.agency["POL"].id
    app = open_database(_server_url(db))
    try:
        with app.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as admin:  # the server restarted, or a firewall cut the line overnight
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with app.session() as session:
            entry = add_entry(session, actor=coordinator, case_id=case.id, agency_id=police,
                              date=PartialDate(date(2026, 3, 2)), event_type="incident",
                              summary="Saved after the line was cut.")
        assert entry.id is not None
    finally:
        app.close()


@pytest.mark.postgres
def test_a_runaway_statement_is_stopped_and_said_plainly(db, monkeypatch):
    monkeypatch.setattr(engine_module, "PG_STATEMENT_TIMEOUT_MS", 100)
    app = open_database(_server_url(db))
    try:
        with app.session() as session, pytest.raises(StorageError) as raised:
            session.execute(text("SELECT pg_sleep(5)"))
        assert str(raised.value) == TOO_SLOW
        with app.session() as session:  # the connection is usable again
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        app.close()


@pytest.mark.postgres
def test_a_transaction_left_open_is_ended_by_the_server_and_said_plainly(db, monkeypatch):
    monkeypatch.setattr(engine_module, "PG_IDLE_IN_TRANSACTION_MS", 200)
    app = open_database(_server_url(db))
    try:
        with app.session() as session:
            session.execute(text("SELECT 1"))  # the transaction begins, then the desk freezes
            time.sleep(1.0)  # the server's own clock ends it: there is no event to wait for
            with pytest.raises(StorageError) as raised:
                session.execute(text("SELECT 1"))
        assert str(raised.value) == LEFT_UNFINISHED
        with app.session() as session:  # a fresh connection takes over
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        app.close()
