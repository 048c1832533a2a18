"""People across cases: blocking keys of person records (indexed) and coordinators' match decisions

Revision ID: 0006_person_links
Revises: 0007_trust_identity
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_person_links"
down_revision = "0007_trust_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_key")),
    )
    op.create_index("ix_person_key_key_person", "person_key", ["key", "person_id"])
    op.create_index(op.f("ix_person_key_person_id"), "person_key", ["person_id"])
    op.create_table(
        "person_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("other_person_id", sa.Integer(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["app_user.id"], name=op.f("fk_person_link_decided_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_link")),
        sa.UniqueConstraint("person_id", "other_person_id", name=op.f("uq_person_link_person_id")),
    )
    op.create_index(op.f("ix_person_link_person_id"), "person_link", ["person_id"])
    op.create_index(op.f("ix_person_link_other_person_id"), "person_link", ["other_person_id"])
    # Keys for the people already recorded, computed by the same code that keeps them up to date.
    from marac_prep.core.person_keys import rebuild_all

    bind = op.get_bind()
    rebuild_all(bind)
    if bind.dialect.name == "postgresql":
        # The per-role grants and row-level security (0007) cover the new tables too: whoever
        # writes a person refreshes its keys, so every role writes person_key.
        from marac_prep.core.server_roles import apply_server_roles

        apply_server_roles(bind)


def downgrade() -> None:
    op.drop_table("person_link")
    op.drop_table("person_key")
