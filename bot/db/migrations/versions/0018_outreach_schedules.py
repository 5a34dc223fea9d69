"""outreach sends at a time or on a cron (their runs, cancelling); indexes for segments and sends

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outreach_sends", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_run_at", bot.db.schema.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("waiting_run", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", bot.db.schema.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outreach_sends_cancelled_by_members"), "members", ["cancelled_by"], ["id"]
        )
    with op.batch_alter_table("thanks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_thanks_receiver_counted_created", ["receiver_id", "counted", "created_at"], unique=False
        )
        batch_op.create_index("ix_thanks_giver_counted_created", ["giver_id", "counted", "created_at"], unique=False)
    with op.batch_alter_table("feedback_people", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_people_role_member", ["role", "member_id", "item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_people", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_people_role_member")
    with op.batch_alter_table("thanks", schema=None) as batch_op:
        batch_op.drop_index("ix_thanks_giver_counted_created")
        batch_op.drop_index("ix_thanks_receiver_counted_created")
    with op.batch_alter_table("outreach_sends", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outreach_sends_cancelled_by_members"), type_="foreignkey")
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("waiting_run")
        batch_op.drop_column("last_run_at")
