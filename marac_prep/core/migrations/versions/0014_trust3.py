"""Sealed row states for the meeting's own records: actions, attendance, hearings and the
coordinator's case notes (issue 13)

An action marked done, an apology removed or a discussion note rewritten with the sqlite3 tool
was not noticed: these tables (0011_actions) had no row notes. Their changes are now noted like
cases and entries (0007_trust_identity), and the rows already there are sealed as event 0.

Revision ID: 0014_trust3
Revises: 0015_live
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_trust3"
down_revision = "0015_live"
branch_labels = None
depends_on = None

TABLES = ("marac_action", "meeting_attendance", "case_hearing", "case_note")


def upgrade() -> None:
    from marac_prep.core.row_states import all_rows, row_digest

    bind = op.get_bind()
    for table_name in TABLES:
        if bind.dialect.name == "sqlite":
            for verb, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                op.execute(
                    f"CREATE TRIGGER {table_name}_touch_{verb.lower()} AFTER {verb} ON {table_name} BEGIN "
                    f"INSERT OR IGNORE INTO audit_touched (tbl, row_id, txid) VALUES ('{table_name}', {ref}.id, 0); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER marac_touch AFTER INSERT OR UPDATE OR DELETE ON {table_name} "
                "FOR EACH ROW EXECUTE FUNCTION marac_touch()"
            )
    state = sa.table(
        "audit_row_state", sa.column("event_id"), sa.column("tbl"), sa.column("row_id"), sa.column("digest")
    )
    for table_name in TABLES:
        batch = [
            {"event_id": 0, "tbl": table_name, "row_id": int(row.id), "digest": row_digest(row)}
            for row in all_rows(bind, table_name)
        ]
        if batch:
            bind.execute(sa.insert(state), batch)


def downgrade() -> None:
    bind = op.get_bind()
    for table_name in TABLES:
        if bind.dialect.name == "sqlite":
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table_name}_touch_{verb}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS marac_touch ON {table_name}")
    bind.execute(sa.text("DELETE FROM audit_row_state WHERE event_id = 0 AND tbl IN ('marac_action', "
                         "'meeting_attendance', 'case_hearing', 'case_note')"))
