"""A save made on the GUI thread waits for another desk's write a short, bounded time (issue 17)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from marac_prep.core import db as db_module
from marac_prep.core.db import engine, keying
from marac_prep.core.errors import StorageError
from marac_prep.core.storage_errors import BUSY


def _busy_timeout(session) -> int:
    return int(session.execute(text("PRAGMA busy_timeout")).scalar())


def test_an_interactive_session_waits_less_and_the_next_session_waits_as_before(tmp_path):
    db = db_module.open_database(str(tmp_path / "wait.sqlite"))
    try:
        with db.interactive_session() as session:
            assert _busy_timeout(session) == keying.INTERACTIVE_WAIT_MS < keying.BUSY_TIMEOUT_MS
        # The pooled connection does not keep the short wait for an ordinary (background) write.
        with db.session() as session:
            assert _busy_timeout(session) == keying.BUSY_TIMEOUT_MS
    finally:
        db.close()


def test_an_interactive_save_behind_another_writer_says_the_database_is_busy(tmp_path, monkeypatch):
    target = str(tmp_path / "busy.sqlite")
    db = db_module.open_database(target)
    monkeypatch.setattr(engine, "INTERACTIVE_WAIT_MS", 100)
    holder = sqlite3.connect(target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another desk (an import) is writing
    try:
        with pytest.raises(StorageError) as raised, db.interactive_session() as session:
            session.execute(text("SELECT 1"))
        assert str(raised.value) == BUSY
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        db.close()
