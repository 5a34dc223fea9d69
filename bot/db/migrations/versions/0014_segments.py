"""outreach to segments: opt-out and opt-in, saved segments, outreach sends and their recipients

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outreach_consent",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("changed_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("words", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_outreach_consent_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_outreach_consent")),
    )
    op.create_table(
        "outreach_consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("words", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_outreach_consent_events_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_consent_events")),
    )
    with op.batch_alter_table("outreach_consent_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outreach_consent_events_member_id"), ["member_id"], unique=False)

    op.create_table(
        "segments",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("expression", sa.Text(), nullable=False),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_segments_created_by_members")),
        sa.ForeignKeyConstraint(["updated_by"], ["members.id"], name=op.f("fk_segments_updated_by_members")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_segments")),
    )
    op.create_table(
        "outreach_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("run_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("cron", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("targeted", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["confirmed_by"], ["members.id"], name=op.f("fk_outreach_sends_confirmed_by_members")),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_outreach_sends_created_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_sends")),
    )
    with op.batch_alter_table("outreach_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outreach_sends_status"), ["status"], unique=False)

    op.create_table(
        "outreach_recipients",
        sa.Column("send_id", sa.Integer(), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outbox_key", sa.String(length=255), nullable=True),
        sa.Column("at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_outreach_recipients_member_id_members")),
        sa.ForeignKeyConstraint(
            ["send_id"], ["outreach_sends.id"], name=op.f("fk_outreach_recipients_send_id_outreach_sends")
        ),
        sa.PrimaryKeyConstraint("send_id", "run", "member_id", name=op.f("pk_outreach_recipients")),
    )


def downgrade() -> None:
    op.drop_table("outreach_recipients")
    with op.batch_alter_table("outreach_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_sends_status"))
    op.drop_table("outreach_sends")
    op.drop_table("segments")
    with op.batch_alter_table("outreach_consent_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_consent_events_member_id"))
    op.drop_table("outreach_consent_events")
    op.drop_table("outreach_consent")
