"""Indexes for finding an earlier referral of the same victim (repeat check) without a full scan

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The repeat check asks for victims by lower(name) OR date of birth; with both indexed,
    # SQLite and PostgreSQL answer it from the indexes instead of reading every person.
    op.create_index("ix_person_lower_name", "person", [sa.text("lower(name)")])
    op.create_index("ix_person_date_of_birth", "person", ["date_of_birth"])


def downgrade() -> None:
    op.drop_index("ix_person_date_of_birth", table_name="person")
    op.drop_index("ix_person_lower_name", table_name="person")
