"""Authenticated identity and a sealed audit trail (issue 13)

Profiles get their proof (an operating-system account, a passphrase hash or a PostgreSQL
login); a SQLite database remembers the account that created it; the audit table refuses an
insert over an existing event (INSERT OR REPLACE); on PostgreSQL the group roles, GRANTs and
row-level security policies of `marac_prep.core.server_roles` are applied.

Revision ID: 0007_trust_identity
Revises: 0005_entry_signals
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_trust_identity"
down_revision = "0005_entry_signals"
branch_labels = None
depends_on = None


def _os_account() -> str:
    from marac_prep.core.identity import current_os_account

    return current_os_account()


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("os_account", sa.String(), nullable=True))
        batch.add_column(sa.Column("passphrase_hash", sa.String(), nullable=True))
        batch.add_column(sa.Column("db_login", sa.String(), nullable=True))
    op.create_index("ix_app_user_db_login", "app_user", ["db_login"], unique=True)
    creator = op.create_table(
        "database_creator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("os_account", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_database_creator")),
    )
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("states_hash", sa.String(), nullable=False, server_default=""))
    op.create_table(
        "audit_row_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("tbl", sa.String(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_row_state")),
    )
    op.create_index("ix_audit_row_state_event_id", "audit_row_state", ["event_id"])
    op.create_index("ix_audit_row_state_row", "audit_row_state", ["tbl", "row_id", "event_id"])
    op.create_table(
        "audit_touched",
        sa.Column("tbl", sa.String(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("tbl", "row_id", "txid", name=op.f("pk_audit_touched")),
    )
    # An encrypted database keys its chain from here on (decision 0034): remember where, so a
    # chain rewritten without the key cannot pass as an old unkeyed one.
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("keyed_from", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    if bind.get_execution_options().get("marac_audit_key"):
        last = bind.execute(sa.text("SELECT max(id) FROM audit_event")).scalar() or 0
        op.bulk_insert(chain, [{"id": 1, "keyed_from": int(last) + 1}])
    _seal_existing_rows(bind)
    _touch_triggers(bind.dialect.name)
    if bind.dialect.name == "sqlite":
        # INSERT OR REPLACE deletes the old row without firing delete triggers (unless recursive
        # triggers are on): refuse any insert whose id is already taken.
        op.execute(
            "CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "
            "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_chain_no_{verb.lower()} BEFORE {verb} ON audit_chain "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )
            op.execute(
                f"CREATE TRIGGER database_creator_no_{verb.lower()} BEFORE {verb} ON database_creator "
                "BEGIN SELECT RAISE(ABORT, 'the database creator is fixed'); END"
            )
        users = bind.execute(sa.text("SELECT count(*) FROM app_user")).scalar()
        account = _os_account()
        if account:
            if not users:
                # A new database: the account creating it will be its first coordinator.
                op.bulk_insert(creator, [{"os_account": account, "created_at": datetime.now(UTC).replace(tzinfo=None)}])
            else:
                # An older database: the one who upgrades it keeps their own coordinator profile.
                bind.execute(
                    sa.text(
                        "UPDATE app_user SET os_account = :account WHERE role = 'coordinator' "
                        "AND lower(name) = lower(:account)"
                    ),
                    {"account": account},
                )
    else:
        from marac_prep.core.server_roles import apply_server_roles

        apply_server_roles(bind)


# The tables this version tracks; later versions add theirs (0014_trust3), so this list is fixed
# here rather than read from `row_states.TRACKED`, which names tables created after this one.
TRACKED_HERE = ("marac_case", "chronology_entry", "agency_return", "app_user")


def _seal_existing_rows(bind: sa.engine.Connection) -> None:
    """Rows already there are sealed as they are now (event 0): later edits outside the app show."""
    from marac_prep.core.row_states import all_rows, row_digest

    state = sa.table(
        "audit_row_state", sa.column("event_id"), sa.column("tbl"), sa.column("row_id"), sa.column("digest")
    )
    for table_name in TRACKED_HERE:
        batch = []
        for row in all_rows(bind, table_name):
            batch.append({"event_id": 0, "tbl": table_name, "row_id": int(row.id), "digest": row_digest(row)})
            if len(batch) >= 5000:
                bind.execute(sa.insert(state), batch)
                batch = []
        if batch:
            bind.execute(sa.insert(state), batch)


def _touch_triggers(dialect: str) -> None:
    """Every change to a tracked row leaves a note for the transaction's audit event; the sealed
    states are append-only like the trail."""
    if dialect == "sqlite":
        for table_name in TRACKED_HERE:
            for verb, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                op.execute(
                    f"CREATE TRIGGER {table_name}_touch_{verb.lower()} AFTER {verb} ON {table_name} BEGIN "
                    f"INSERT OR IGNORE INTO audit_touched (tbl, row_id, txid) VALUES ('{table_name}', {ref}.id, 0); END"
                )
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_row_state_no_{verb.lower()} BEFORE {verb} ON audit_row_state "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )
        op.execute(
            "CREATE TRIGGER audit_row_state_no_replace BEFORE INSERT ON audit_row_state "
            "WHEN EXISTS (SELECT 1 FROM audit_row_state WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION marac_touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = public, pg_temp AS $$ BEGIN "
        "INSERT INTO audit_touched (tbl, row_id, txid) VALUES (TG_TABLE_NAME, "
        "CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, txid_current()) ON CONFLICT DO NOTHING; "
        "RETURN NULL; END $$"
    )
    for table_name in TRACKED_HERE:
        op.execute(
            f"CREATE TRIGGER marac_touch AFTER INSERT OR UPDATE OR DELETE ON {table_name} "
            "FOR EACH ROW EXECUTE FUNCTION marac_touch()"
        )
    op.execute(
        "CREATE TRIGGER audit_row_state_append_only BEFORE UPDATE OR DELETE ON audit_row_state "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_row_state_no_truncate BEFORE TRUNCATE ON audit_row_state "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_replace")
    op.drop_table("database_creator")
    op.drop_table("audit_chain")
    op.drop_table("audit_touched")
    op.drop_table("audit_row_state")
    op.drop_index("ix_app_user_db_login", table_name="app_user")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("db_login")
        batch.drop_column("passphrase_hash")
        batch.drop_column("os_account")
