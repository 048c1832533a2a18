"""Live updates (issue 19): a function every PostgreSQL login may use to follow others' changes

Revision ID: 0015_live
Revises: 0013_case_notes
"""

from alembic import op
from sqlalchemy import text

revision = "0015_live"
down_revision = "0013_case_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # SQLite reads the trail directly; on a server row-level security hides others' events.
        from marac_prep.core.changes import changes_function_sql

        bind.execute(text(changes_function_sql()))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(text("DROP FUNCTION IF EXISTS marac_changes_after(integer, integer)"))
