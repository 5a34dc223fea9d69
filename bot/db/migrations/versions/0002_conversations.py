"""Conversations: a member's open multi-step conversation with the bot.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:17:57.133481
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("started_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("expires_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("reminded_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_conversations_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_expires_at"))

    op.drop_table("conversations")
