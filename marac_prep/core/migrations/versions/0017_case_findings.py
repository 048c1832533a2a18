"""Stored gap findings: each case's findings kept with the key of every input they rest on (issue 12)

Revision ID: 0017_case_findings
Revises: 0014_trust3
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017_case_findings"
down_revision = "0014_trust3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Derived data, keyed by case: a row is current only when its input key is the one computed
    # now (analysis/stored.py; decision 0099). Never audited or edited.
    op.create_table(
        "case_findings",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("input_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("findings", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("stored_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["marac_case.id"], name=op.f("fk_case_findings_case_id_marac_case"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_findings")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Everyone reads; only coordinators write (server_roles: a stored finding is trusted output).
        from marac_prep.core.server_roles import apply_server_roles

        apply_server_roles(bind)


def downgrade() -> None:
    op.drop_table("case_findings")
