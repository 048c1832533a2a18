"""On a shared PostgreSQL server the audit trail is append-only by privilege as well as by trigger,
set up as the README's "Sharing one PostgreSQL server" section says."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from marac_prep.core.db import open_database
from marac_prep.core.users import ensure_profile

pytestmark = pytest.mark.postgres


def test_app_login_without_update_or_delete_on_the_audit_trail(postgres_databases):
    if postgres_databases is None:
        pytest.skip("MARAC_PREP_TEST_POSTGRES_URL is not set")
    url = postgres_databases.fresh()
    role = f"marac_app_{uuid.uuid4().hex[:8]}"
    owner = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
            conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
            conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM "{role}"'))
        scheme, _, rest = url.partition("://")
        host_part = rest.split("@", 1)[-1]
        app = open_database(f"{scheme}://{role}@{host_part}")
        try:
            with app.session() as session:
                ensure_profile(session, name="Cora Ordinator")  # writes an audit event: INSERT works
            for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
                with app.engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                    conn.execute(text(statement))
        finally:
            app.close()
    finally:
        with owner.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()
        postgres_databases.drop(url)
