"""On a shared PostgreSQL server the coordinator's case notes are the coordinators' alone: other
logins can neither read nor write them, even through raw SQL (issue 17 with issue 13's roles)."""

from __future__ import annotations

import pytest

from marac_prep.core.case_notes import add_case_note
from marac_prep.core.db import open_database
from marac_prep.core.users import find_user
from tests.trust.test_identity_postgres import _refused, server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres


def test_only_coordinator_logins_read_or_write_case_notes(server):  # noqa: F811
    admin = open_database(server.admin_url)
    try:
        with admin.session() as session:
            coordinator = find_user(session, "Cora Ordinator")
            add_case_note(session, actor=coordinator, case_id=server.ids["case"], text="Fictional working note.")
    finally:
        admin.close()
    coordinator_db = server.open_as("coordinator")
    try:
        with coordinator_db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM case_note").scalar() == 1
    finally:
        coordinator_db.close()
    for role in ("idva", "agency_rep", "viewer"):
        db = server.open_as(role)
        try:
            assert "permission denied" in _refused(db, "SELECT text FROM case_note"), role
            assert "permission denied" in _refused(
                db, "INSERT INTO case_note (case_id, text, author_name, created_at, updated_at, version) "
                    "VALUES (:c, 'x', 'x', now(), now(), 1)", c=server.ids["case"]), role
        finally:
            db.close()
