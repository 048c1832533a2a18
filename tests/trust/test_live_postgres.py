"""On a shared server, row-level security hides others' audit events from most logins; live
updates still reach everyone, with ids and author only (issue 19)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marac_prep.core.changes import ChangeFollower
from marac_prep.core.chronology import add_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.models import User
from tests.trust.test_identity_postgres import server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres


def test_a_viewer_follows_a_coordinators_change_without_reading_the_trail(server):  # noqa: F811
    viewer_db = server.open_as("viewer")
    coordinator_db = server.open_as("coordinator")
    try:
        follower = ChangeFollower(viewer_db)
        with coordinator_db.session() as session:
            coordinator = session.exec(
                text("SELECT id FROM app_user WHERE db_login = :login"), params={"login": server.logins["coordinator"]}
            ).scalar()
            actor = session.get(User, coordinator)
            entry = add_entry(
                session, actor=actor, case_id=server.ids["case"], agency_id=server.ids["police"],
                date=PartialDate(date(2026, 2, 1)), event_type="incident", summary="A fictional call.",
            )
        changes = follower.catch_up()
        assert [(c.kind, c.object_id, c.who) for c in changes] == [("chronology_entry", entry.id, "coordinator person")]
        with viewer_db.engine.connect() as conn:
            # The trail itself stays closed to the viewer: only its own events are readable …
            assert conn.execute(text("SELECT count(*) FROM audit_event WHERE action = 'entry.create'")).scalar() == 0
            # … and the function gives no details, even when asked for columns it does not have.
            with pytest.raises(DBAPIError):
                conn.execute(text("SELECT details FROM marac_changes_after(0, 10)"))
    finally:
        viewer_db.close()
        coordinator_db.close()
