"""Structured feedback: items, the people behind them (reporters and +1s), their history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:04:24.193138
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=False),
        sa.Column("product", sa.String(length=128), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("duplicate_of", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_feedback_items_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"], ["feedback_items.id"], name=op.f("fk_feedback_items_duplicate_of_feedback_items")
        ),
        sa.ForeignKeyConstraint(["reporter_id"], ["members.id"], name=op.f("fk_feedback_items_reporter_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_items")),
    )
    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_items_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index("ix_feedback_items_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_items_version"), ["version"], unique=False)

    op.create_table(
        "feedback_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["members.id"], name=op.f("fk_feedback_history_actor_id_members")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["feedback_items.id"], name=op.f("fk_feedback_history_item_id_feedback_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_history")),
    )
    with op.batch_alter_table("feedback_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_history_item_id"), ["item_id"], unique=False)

    op.create_table(
        "feedback_people",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["feedback_items.id"], name=op.f("fk_feedback_people_item_id_feedback_items")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_feedback_people_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_people")),
        sa.UniqueConstraint("item_id", "member_id", name=op.f("uq_feedback_people_item_id")),
    )
    with op.batch_alter_table("feedback_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_people_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_people_member_id"))

    op.drop_table("feedback_people")
    with op.batch_alter_table("feedback_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_history_item_id"))

    op.drop_table("feedback_history")
    with op.batch_alter_table("feedback_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_items_version"))
        batch_op.drop_index("ix_feedback_items_status_created")
        batch_op.drop_index(batch_op.f("ix_feedback_items_reporter_id"))

    op.drop_table("feedback_items")
