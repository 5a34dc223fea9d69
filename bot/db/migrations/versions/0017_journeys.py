"""journeys: moderators' switches, each member's runs, each step written once

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_switches",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by"], ["members.id"], name=op.f("fk_journey_switches_changed_by_members")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_journey_switches")),
    )
    op.create_table(
        "journey_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("active_key", sa.String(length=100), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("entered_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("next_step", sa.Integer(), nullable=False),
        sa.Column("next_due_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("ended_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_journey_runs_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_runs")),
        sa.UniqueConstraint("active_key", name=op.f("uq_journey_runs_active_key")),
    )
    op.create_index(op.f("ix_journey_runs_journey"), "journey_runs", ["journey"], unique=False)
    op.create_index(op.f("ix_journey_runs_member_id"), "journey_runs", ["member_id"], unique=False)
    op.create_index(op.f("ix_journey_runs_next_due_at"), "journey_runs", ["next_due_at"], unique=False)
    op.create_table(
        "journey_steps",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("outbox_key", sa.String(length=255), nullable=True),
        sa.Column("at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["journey_runs.id"], name=op.f("fk_journey_steps_run_id_journey_runs")),
        sa.PrimaryKeyConstraint("run_id", "step", name=op.f("pk_journey_steps")),
    )


def downgrade() -> None:
    op.drop_table("journey_steps")
    op.drop_index(op.f("ix_journey_runs_next_due_at"), table_name="journey_runs")
    op.drop_index(op.f("ix_journey_runs_member_id"), table_name="journey_runs")
    op.drop_index(op.f("ix_journey_runs_journey"), table_name="journey_runs")
    op.drop_table("journey_runs")
    op.drop_table("journey_switches")
