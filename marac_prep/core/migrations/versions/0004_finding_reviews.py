"""Finding reviews: a coordinator's note on a gap finding, kept by the finding's stable key

Revision ID: 0004_finding_reviews
Revises: 0008_import_guard
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_finding_reviews"
down_revision = "0008_import_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("finding_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entry_ids", sa.JSON(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["marac_case.id"], name=op.f("fk_finding_review_case_id_marac_case")),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["app_user.id"], name=op.f("fk_finding_review_reviewed_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_review")),
        sa.UniqueConstraint("case_id", "finding_key", name=op.f("uq_finding_review_case_id")),
    )
    with op.batch_alter_table("finding_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_review_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finding_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_review_case_id"))
    op.drop_table("finding_review")
