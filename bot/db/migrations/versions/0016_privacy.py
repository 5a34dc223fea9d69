"""members' privacy requests (exports, erasures), first-message notices, retention sweeps

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("due_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("done_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("pseudonym", sa.String(length=32), nullable=True),
        sa.Column("receipt", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_privacy_requests_member_id_members")),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["members.id"], name=op.f("fk_privacy_requests_requested_by_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    op.create_index(op.f("ix_privacy_requests_member_id"), "privacy_requests", ["member_id"], unique=False)
    op.create_index("ix_privacy_requests_status_due", "privacy_requests", ["status", "due_at"], unique=False)
    op.create_table(
        "privacy_notices",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("noticed_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_privacy_notices_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_privacy_notices")),
    )
    op.create_table(
        "privacy_sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ran_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_sweeps")),
    )
    op.create_index(op.f("ix_privacy_sweeps_ran_at"), "privacy_sweeps", ["ran_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_sweeps_ran_at"), table_name="privacy_sweeps")
    op.drop_table("privacy_sweeps")
    op.drop_table("privacy_notices")
    op.drop_index("ix_privacy_requests_status_due", table_name="privacy_requests")
    op.drop_index(op.f("ix_privacy_requests_member_id"), table_name="privacy_requests")
    op.drop_table("privacy_requests")
