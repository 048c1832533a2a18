"""A coordinator's case notes (issue 17), and notes on a Dash assessment as a whole

Revision ID: 0013_case_notes
Revises: 0016_person_keys_v2
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_case_notes"
down_revision = "0016_person_keys_v2"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", _TEXT(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", _TEXT(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["marac_case.id"], name=op.f("fk_case_note_case_id_marac_case")),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"], name=op.f("fk_case_note_author_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    op.create_index(op.f("ix_case_note_case_id"), "case_note", ["case_id"], unique=False)
    # ADD COLUMN: SQLite alters the table in place (its triggers stay).
    op.add_column("risk_assessment", sa.Column("notes", _TEXT(), nullable=False, server_default=""))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # case_note: coordinators only, to read as well as to write (server_roles._COORDINATOR_ONLY).
        from marac_prep.core.server_roles import apply_server_roles

        apply_server_roles(bind)


def downgrade() -> None:
    with op.batch_alter_table("risk_assessment") as batch:
        batch.drop_column("notes")
    op.drop_table("case_note")
