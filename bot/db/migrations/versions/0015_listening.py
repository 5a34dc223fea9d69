"""Listening: complaint notes, flagged messages (complaints and questions), labels from moderators' actions.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listening_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("opened_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("last_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("acted_by", sa.Integer(), nullable=True),
        sa.Column("acted_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("ack_due_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["acted_by"], ["members.id"], name=op.f("fk_listening_notes_acted_by_members")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_listening_notes_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_notes")),
    )
    with op.batch_alter_table("listening_notes", schema=None) as batch_op:
        batch_op.create_index("ix_listening_notes_status", ["status", "ack_due_at"], unique=False)

    op.create_table(
        "listening_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("platform_msg_id", sa.String(length=128), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("flagged_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("answered_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_how", sa.String(length=8), nullable=True),
        sa.Column("due_at", bot.db.schema.UTCDateTime(), nullable=True),
        sa.Column("nudges", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["members.id"], name=op.f("fk_listening_flags_answered_by_members")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_listening_flags_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_listening_flags_member_id_members")),
        sa.ForeignKeyConstraint(
            ["note_id"], ["listening_notes.id"], name=op.f("fk_listening_flags_note_id_listening_notes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_flags")),
    )
    with op.batch_alter_table("listening_flags", schema=None) as batch_op:
        batch_op.create_index("ix_listening_flags_community_at", ["community_id", "flagged_at"], unique=False)
        batch_op.create_index("ix_listening_flags_open", ["kind", "answered_at", "due_at"], unique=False)

    op.create_table(
        "listening_labels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["decided_by"], ["members.id"], name=op.f("fk_listening_labels_decided_by_members")),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["listening_flags.id"], name=op.f("fk_listening_labels_flag_id_listening_flags")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_labels")),
    )


def downgrade() -> None:
    op.drop_table("listening_labels")
    with op.batch_alter_table("listening_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_listening_flags_open")
        batch_op.drop_index("ix_listening_flags_community_at")
    op.drop_table("listening_flags")
    with op.batch_alter_table("listening_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_listening_notes_status")
    op.drop_table("listening_notes")
