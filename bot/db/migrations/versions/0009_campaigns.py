"""campaigns, clue drops and ignition awards; pictures in the outbox; messages indexed by the message they quote; joins seen

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 18:22:54.276113
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("launch_on", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("starts_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("ends_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("talking_points", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["closed_by"], ["members.id"], name=op.f("fk_campaigns_closed_by_members")),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_campaigns_created_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_status"), ["status"], unique=False)

    op.create_table(
        "campaign_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=True),
        sa.Column("awarded_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_awards_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_campaign_awards_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_awards")),
        sa.UniqueConstraint("campaign_id", "period", "rule", "member_id", name=op.f("uq_campaign_awards_campaign_id")),
    )
    with op.batch_alter_table("campaign_awards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_awards_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "campaign_clues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("run_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("heads_up_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("heads_up_sent", sa.Integer(), nullable=False),
        sa.Column("posted_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_clues_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_campaign_clues_created_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_clues")),
    )
    with op.batch_alter_table("campaign_clues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_clues_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "campaign_rooms",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_rooms_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_campaign_rooms_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "community_id", name=op.f("pk_campaign_rooms")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("join_seen", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_quote_msg_id"), ["quote_msg_id"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("image_data", sa.LargeBinary(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("image_data")
        batch_op.drop_column("image_name")

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("join_seen")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_quote_msg_id"))

    op.drop_table("campaign_rooms")
    with op.batch_alter_table("campaign_clues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_clues_campaign_id"))

    op.drop_table("campaign_clues")
    with op.batch_alter_table("campaign_awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_awards_campaign_id"))

    op.drop_table("campaign_awards")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_status"))

    op.drop_table("campaigns")
