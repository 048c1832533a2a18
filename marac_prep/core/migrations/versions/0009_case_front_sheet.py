"""The case front sheet's free text: the referrer's reason for referral, the victim's wishes / Idva's view

Revision ID: 0009_case_front_sheet
Revises: 0004_finding_reviews
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_case_front_sheet"
down_revision = "0004_finding_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("marac_case") as batch:
        batch.add_column(sa.Column("referral_reason", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("victim_wishes", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("marac_case") as batch:
        batch.drop_column("victim_wishes")
        batch.drop_column("referral_reason")
