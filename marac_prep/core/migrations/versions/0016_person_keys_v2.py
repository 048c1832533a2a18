"""Person keys, second scheme: dates of birth with two neighbouring digits swapped (1989 / 1998)
block together, and hyphenated first names are sounded whole (issue 15)

Revision ID: 0016_person_keys_v2
Revises: 0011_actions
"""

from alembic import op

revision = "0016_person_keys_v2"
down_revision = "0011_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Keys are derived data: recomputed by the code that keeps them up to date on every write.
    from marac_prep.core.person_keys import rebuild_all

    rebuild_all(op.get_bind())


def downgrade() -> None:
    # The older scheme's keys are a subset of these: lookups still find everything they did.
    pass
