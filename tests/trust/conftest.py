"""Fixtures for the trust tests: a second real connection to the same database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from marac_prep.core.db import Database, open_database


@pytest.fixture(autouse=True)
def _private_log_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run here log into a temporary folder, not the real user log folder."""
    monkeypatch.setenv("MARAC_PREP_LOG_DIR", str(tmp_path_factory.mktemp("logs")))


@pytest.fixture
def second_database(db: Database) -> Iterator[Callable[[], Database]]:
    """Opens the same database again as a separate engine (its own connections), like a second
    copy of the app on another desk."""
    opened: list[Database] = []

    def _open() -> Database:
        other = open_database(db.location)
        opened.append(other)
        return other

    yield _open
    for other in opened:
        other.close()
