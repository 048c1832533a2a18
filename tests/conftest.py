"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlmodel import Session

from marac_prep.core.db import Database, open_database
from tests.factories import Workspace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Hypothesis's default 200 ms deadline per example is a timed assertion: on a busy shared machine
# it failed healthy property tests (a mutation run's clean run stopped on it). Speed is the
# benchmarks' business.
settings.register_profile("marac", deadline=None)
settings.load_profile("marac")
PG_URL_VAR = "MARAC_PREP_TEST_POSTGRES_URL"
HAVE_QT = importlib.util.find_spec("PySide6") is not None and importlib.util.find_spec("pytestqt") is not None
_QT_FIXTURES = {"qtbot", "qapp", "qtmodeltester", "qtlog"}

_QT_IMPORT = re.compile(r"^\s*(from|import)\s+(PySide6|marac_prep\.ui)\b", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Where Qt is not installed (CI proves the core needs none), leave out the tests that import it."""
    if HAVE_QT:
        return None
    if collection_path.is_dir():
        conftest = collection_path / "conftest.py"
        return True if conftest.exists() and _QT_IMPORT.search(conftest.read_text(encoding="utf-8")) else None
    if collection_path.suffix == ".py" and _QT_IMPORT.search(collection_path.read_text(encoding="utf-8")):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAVE_QT:
        return
    skip = pytest.mark.skip(reason="Qt is not installed in this environment")
    for item in items:
        if _QT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _audited_writes_only() -> Iterator[None]:
    """With MARAC_PREP_CHECK_AUDITED_WRITES=1, every test fails a commit that changed what a gap
    analysis reads without an audit event (tests/audited_writes.py; decision 0099)."""
    if os.environ.get("MARAC_PREP_CHECK_AUDITED_WRITES") != "1":
        yield
        return
    from tests.audited_writes import audited_writes_only

    with audited_writes_only():
        yield


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_URL_VAR) or None


class _PostgresDatabases:
    """Creates one migrated template per test run, then a fresh copy of it for each test."""

    def __init__(self, admin_url: str) -> None:
        url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.base_url = url
        self.template = f"marac_tmpl_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        db = open_database(self.url_for(self.template))
        db.close()

    def url_for(self, name: str) -> str:
        head, _, _ = self.base_url.rpartition("/")
        return f"{head}/{name}"

    def fresh(self) -> str:
        name = f"marac_test_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self.url_for(name)

    def drop(self, name_url: str) -> None:
        name = name_url.rpartition("/")[2]
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[_PostgresDatabases | None]:
    admin = _pg_admin_url()
    if admin is None:
        yield None
        return
    manager = _PostgresDatabases(admin)
    yield manager
    manager.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path, postgres_databases) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file, and again a PostgreSQL database when
    MARAC_PREP_TEST_POSTGRES_URL is set (CI sets it; it fails if the server is unreachable)."""
    if request.param == "sqlite":
        database = open_database(tmp_path / "marac.sqlite")
        yield database
        database.close()
        return
    if postgres_databases is None:
        pytest.skip(f"{PG_URL_VAR} is not set")
    url = postgres_databases.fresh()
    database = open_database(url)
    yield database
    database.close()
    postgres_databases.drop(url)


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[Database]:
    """A fresh SQLite database only, for tests about the file itself."""
    database = open_database(tmp_path / "marac.sqlite")
    yield database
    database.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture
def ws(session: Session) -> Workspace:
    """Factories over a fresh database: agencies by short code, users, meetings and cases."""
    return Workspace(session)
