"""Settings a Marac changes in the app: values that override resources/settings.json

Revision ID: 0003_settings
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003_settings"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_setting",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["changed_by_id"], ["app_user.id"], name="fk_app_setting_changed_by_id_app_user"),
        sa.PrimaryKeyConstraint("name", name="pk_app_setting"),
    )


def downgrade() -> None:
    op.drop_table("app_setting")
