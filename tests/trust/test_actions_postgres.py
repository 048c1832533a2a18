"""On a shared PostgreSQL server, an agency representative's login updates only its own agency's
Marac actions, even through raw SQL (issue 18 with issue 13's row-level security)."""

from __future__ import annotations

from datetime import date

import pytest

from marac_prep.core.actions import add_action, report_status
from marac_prep.core.db import open_database
from marac_prep.core.identity import Proof, authenticate
from marac_prep.core.users import find_user
from tests.trust.test_identity_postgres import _changed, server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres


def test_agency_rep_login_updates_only_its_own_agencys_actions(server):  # noqa: F811
    admin = open_database(server.admin_url)
    try:
        with admin.session() as session:
            coordinator = find_user(session, "Cora Ordinator")
            police = add_action(session, actor=coordinator, case_id=server.ids["case"],
                                agency_id=server.ids["police"], text="Flag the address.")
            housing = add_action(session, actor=coordinator, case_id=server.ids["case"],
                                 agency_id=server.ids["housing"], text="Fit a door lock.")
            ids = (police.id, housing.id)
    finally:
        admin.close()
    db = server.open_as("agency_rep")
    try:
        assert _changed(db, "UPDATE marac_action SET status = 'done' WHERE id = :id", id=ids[0]) == 0
        with db.session() as session:
            rep = authenticate(session, name=None, proof=Proof.of_this_process())
            done = report_status(session, actor=rep, action_id=ids[1], expected_version=1, status="done",
                                 done_on=date.today(), outcome="Lock fitted (fictional).")
            assert done.status == "done"
    finally:
        db.close()
