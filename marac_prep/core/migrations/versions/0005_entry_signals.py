"""What each chronology entry's text says, read once per entry version (issue 12)

Revision ID: 0005_entry_signals
Revises: 0009_case_front_sheet
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_entry_signals"
down_revision = "0009_case_front_sheet"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Derived data, keyed by entry: a row is current when its entry version and rules version match.
    op.create_table(
        "entry_signals",
        sa.Column("entry_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_version", sa.Integer(), nullable=False),
        sa.Column("rules_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("signals", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["chronology_entry.id"], name=op.f("fk_entry_signals_entry_id_chronology_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_entry_signals")),
    )


def downgrade() -> None:
    op.drop_table("entry_signals")
