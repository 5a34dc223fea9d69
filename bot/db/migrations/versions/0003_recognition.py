"""Recognition: thank-yous and their revocations, the points ledger, title events, honour rolls.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:30:00.843766
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "honour_rolls",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("posted_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.Integer(), nullable=True),
        sa.Column("honoured", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_honour_rolls_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["posted_by"], ["members.id"], name=op.f("fk_honour_rolls_posted_by_members")),
        sa.PrimaryKeyConstraint("month", "community_id", name=op.f("pk_honour_rolls")),
    )
    op.create_table(
        "recognition_actions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("undoes_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["members.id"], name=op.f("fk_recognition_actions_actor_id_members")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_recognition_actions_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["undoes_id"], ["recognition_actions.id"], name=op.f("fk_recognition_actions_undoes_id_recognition_actions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_actions")),
        sa.UniqueConstraint("undoes_id", name=op.f("uq_recognition_actions_undoes_id")),
    )
    with op.batch_alter_table("recognition_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recognition_actions_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "thanks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("why_not", sa.String(length=16), nullable=True),
        sa.Column("platform_msg_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], name=op.f("fk_thanks_community_id_communities")),
        sa.ForeignKeyConstraint(["giver_id"], ["members.id"], name=op.f("fk_thanks_giver_id_members")),
        sa.ForeignKeyConstraint(["receiver_id"], ["members.id"], name=op.f("fk_thanks_receiver_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thanks")),
    )
    with op.batch_alter_table("thanks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_thanks_community_month", ["community_id", "month", "counted", "receiver_id"], unique=False
        )
        batch_op.create_index("ix_thanks_giver_created", ["giver_id", "created_at"], unique=False)
        batch_op.create_index("ix_thanks_month", ["month", "counted", "receiver_id"], unique=False)
        batch_op.create_index("ix_thanks_receiver_month", ["receiver_id", "month", "counted"], unique=False)

    op.create_table(
        "points_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["recognition_actions.id"], name=op.f("fk_points_ledger_action_id_recognition_actions")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_points_ledger_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["granted_by"], ["members.id"], name=op.f("fk_points_ledger_granted_by_members")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_points_ledger_member_id_members")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["points_ledger.id"], name=op.f("fk_points_ledger_reverses_id_points_ledger")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_ledger")),
        sa.UniqueConstraint("key", name=op.f("uq_points_ledger_key")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_points_ledger_reverses_id")),
    )
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_points_ledger_action_id"), ["action_id"], unique=False)
        batch_op.create_index(
            "ix_points_ledger_community_month", ["community_id", "month", "member_id", "amount"], unique=False
        )
        batch_op.create_index("ix_points_ledger_member_month", ["member_id", "month", "amount"], unique=False)

    op.create_table(
        "thanks_revocations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("thanks_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["recognition_actions.id"], name=op.f("fk_thanks_revocations_action_id_recognition_actions")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["thanks_revocations.id"],
            name=op.f("fk_thanks_revocations_reverses_id_thanks_revocations"),
        ),
        sa.ForeignKeyConstraint(["thanks_id"], ["thanks.id"], name=op.f("fk_thanks_revocations_thanks_id_thanks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thanks_revocations")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_thanks_revocations_reverses_id")),
    )
    with op.batch_alter_table("thanks_revocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thanks_revocations_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_thanks_revocations_thanks_id"), ["thanks_id"], unique=False)

    op.create_table(
        "title_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("created_at", bot.db.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["recognition_actions.id"], name=op.f("fk_title_events_action_id_recognition_actions")
        ),
        sa.ForeignKeyConstraint(["granted_by"], ["members.id"], name=op.f("fk_title_events_granted_by_members")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_title_events_member_id_members")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["title_events.id"], name=op.f("fk_title_events_reverses_id_title_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_title_events")),
        sa.UniqueConstraint("key", name=op.f("uq_title_events_key")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_title_events_reverses_id")),
    )
    with op.batch_alter_table("title_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_title_events_action_id"), ["action_id"], unique=False)
        batch_op.create_index("ix_title_events_member_title", ["member_id", "title"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("title_events", schema=None) as batch_op:
        batch_op.drop_index("ix_title_events_member_title")
        batch_op.drop_index(batch_op.f("ix_title_events_action_id"))

    op.drop_table("title_events")
    with op.batch_alter_table("thanks_revocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thanks_revocations_thanks_id"))
        batch_op.drop_index(batch_op.f("ix_thanks_revocations_action_id"))

    op.drop_table("thanks_revocations")
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_points_ledger_member_month")
        batch_op.drop_index("ix_points_ledger_community_month")
        batch_op.drop_index(batch_op.f("ix_points_ledger_action_id"))

    op.drop_table("points_ledger")
    with op.batch_alter_table("thanks", schema=None) as batch_op:
        batch_op.drop_index("ix_thanks_receiver_month")
        batch_op.drop_index("ix_thanks_month")
        batch_op.drop_index("ix_thanks_giver_created")
        batch_op.drop_index("ix_thanks_community_month")

    op.drop_table("thanks")
    with op.batch_alter_table("recognition_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recognition_actions_actor_id"))

    op.drop_table("recognition_actions")
    op.drop_table("honour_rolls")
