"""Issue threads: threads, their rooms and people, their history, links to feedback items.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:04:59.521545
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("resolutions", sa.Integer(), nullable=False),
        sa.Column("resolution_text", sa.Text(), nullable=True),
        sa.Column("resolved_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("confirm_due_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["opened_by"], ["members.id"], name=op.f("fk_issue_threads_opened_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_threads")),
    )
    with op.batch_alter_table("issue_threads", schema=None) as batch_op:
        batch_op.create_index("ix_issue_threads_status_confirm", ["status", "confirm_due_at"], unique=False)

    op.create_table(
        "issue_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["members.id"], name=op.f("fk_issue_events_actor_id_members")),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["issue_threads.id"], name=op.f("fk_issue_events_thread_id_issue_threads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_events")),
    )
    with op.batch_alter_table("issue_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_events_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "issue_feedback_links",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["issue_threads.id"], name=op.f("fk_issue_feedback_links_thread_id_issue_threads")
        ),
        sa.PrimaryKeyConstraint("thread_id", "item_id", name=op.f("pk_issue_feedback_links")),
    )
    with op.batch_alter_table("issue_feedback_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_feedback_links_item_id"), ["item_id"], unique=False)

    op.create_table(
        "issue_people",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("added_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("asked_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.Column("answered_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_issue_people_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_issue_people_member_id_members")),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["issue_threads.id"], name=op.f("fk_issue_people_thread_id_issue_threads")
        ),
        sa.PrimaryKeyConstraint("thread_id", "member_id", name=op.f("pk_issue_people")),
    )
    op.create_table(
        "issue_rooms",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_issue_rooms_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["issue_threads.id"], name=op.f("fk_issue_rooms_thread_id_issue_threads")
        ),
        sa.PrimaryKeyConstraint("thread_id", "community_id", name=op.f("pk_issue_rooms")),
    )


def downgrade() -> None:
    op.drop_table("issue_rooms")
    op.drop_table("issue_people")
    with op.batch_alter_table("issue_feedback_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_feedback_links_item_id"))

    op.drop_table("issue_feedback_links")
    with op.batch_alter_table("issue_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_events_thread_id"))

    op.drop_table("issue_events")
    with op.batch_alter_table("issue_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_threads_status_confirm")

    op.drop_table("issue_threads")
