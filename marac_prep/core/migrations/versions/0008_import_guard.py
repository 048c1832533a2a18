"""A version on each person, so two desks editing the same person cannot overwrite each other

Revision ID: 0008_import_guard
Revises: 0003_settings
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_import_guard"
down_revision = "0003_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Concurrent imports of one file are serialised by a lock (see docs/decisions/0040), so no
    # index is needed for them; a person's details get the same version check as a case's.
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("version")
