"""After the meeting (issue 18): attendance, the running order with notes, and agreed actions

Revision ID: 0011_actions
Revises: 0006_person_links
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_actions"
down_revision = "0006_person_links"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("person_name", _TEXT(), nullable=False),
        sa.Column("role", _TEXT(), nullable=False),
        sa.Column("attendance", _TEXT(), nullable=False),
        sa.Column("information_sent", sa.Boolean(), nullable=True),
        sa.Column("confidentiality_agreed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_attendance_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_meeting_attendance_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendance")),
    )
    op.create_index(op.f("ix_meeting_attendance_meeting_id"), "meeting_attendance", ["meeting_id"], unique=False)

    op.create_table(
        "case_hearing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start_time", _TEXT(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("agreed_risk_level", _TEXT(), nullable=False),
        sa.Column("discussion_note", _TEXT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_case_hearing_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["case_id"], ["marac_case.id"], name=op.f("fk_case_hearing_case_id_marac_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_hearing")),
        sa.UniqueConstraint("meeting_id", "case_id", name=op.f("uq_case_hearing_meeting_id")),
    )
    op.create_index(op.f("ix_case_hearing_meeting_id"), "case_hearing", ["meeting_id"], unique=False)
    op.create_index(op.f("ix_case_hearing_case_id"), "case_hearing", ["case_id"], unique=False)

    op.create_table(
        "marac_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("owner", _TEXT(), nullable=False),
        sa.Column("text", _TEXT(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("protects", sa.JSON(), nullable=False),
        sa.Column("status", _TEXT(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("outcome", _TEXT(), nullable=False),
        sa.Column("status_reported_on", sa.Date(), nullable=True),
        sa.Column("status_reported_by_id", sa.Integer(), nullable=True),
        sa.Column("status_reported_by_name", _TEXT(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_marac_action_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["case_id"], ["marac_case.id"], name=op.f("fk_marac_action_case_id_marac_case")),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_marac_action_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["status_reported_by_id"], ["app_user.id"], name=op.f("fk_marac_action_status_reported_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marac_action")),
    )
    op.create_index(op.f("ix_marac_action_meeting_id"), "marac_action", ["meeting_id"], unique=False)
    op.create_index(op.f("ix_marac_action_case_id"), "marac_action", ["case_id"], unique=False)
    op.create_index(op.f("ix_marac_action_agency_id"), "marac_action", ["agency_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The new tables get the server's GRANTs and row-level security: everyone reads,
        # coordinators write, agency representatives and Idvas write their own agency's actions.
        from marac_prep.core.server_roles import apply_server_roles

        apply_server_roles(bind)


def downgrade() -> None:
    op.drop_table("marac_action")
    op.drop_table("case_hearing")
    op.drop_table("meeting_attendance")
