"""Authenticated identity and a sealed audit trail (issue 13)

Profiles get their proof (an operating-system account, a passphrase hash or a PostgreSQL
login); a SQLite database remembers the account that created it; the audit table refuses an
insert over an existing event (INSERT OR REPLACE); on PostgreSQL the group roles, GRANTs and
row-level security policies of `marac_prep.core.server_roles` are applied.

Revision ID: 0007_trust_identity
Revises: 0002
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_trust_identity"
down_revision = "0002"
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_replace")
    op.drop_table("database_creator")
    op.drop_index("ix_app_user_db_login", table_name="app_user")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("db_login")
        batch.drop_column("passphrase_hash")
        batch.drop_column("os_account")
