"""covering indexes for the web console's pages, the monthly report and the KOC pool

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

MESSAGES_TALK = ["received_at", "community_id", "member_id", "routed_to", "quote_member_id"]


def upgrade() -> None:
    # Each replaced index is a prefix of its replacement: whatever used the old one can use the new.
    op.create_index("ix_messages_received_talk", "messages", MESSAGES_TALK, unique=False)
    op.drop_index("ix_messages_received_at", table_name="messages")
    op.create_index(
        "ix_thanks_month_cover",
        "thanks",
        ["month", "counted", "receiver_id", "community_id", "created_at"],
        unique=False,
    )
    op.drop_index("ix_thanks_month", table_name="thanks")
    op.create_index(
        "ix_thanks_created_cover", "thanks", ["created_at", "community_id", "counted", "receiver_id"], unique=False
    )
    op.drop_index("ix_thanks_created_community", table_name="thanks")
    op.create_index(
        "ix_thanks_receiver_cover", "thanks", ["receiver_id", "month", "counted", "created_at"], unique=False
    )
    op.drop_index("ix_thanks_receiver_month", table_name="thanks")
    op.create_index("ix_feedback_items_created", "feedback_items", ["created_at"], unique=False)
    op.create_index(
        "ix_feedback_history_status_created", "feedback_history", ["to_status", "created_at", "item_id"], unique=False
    )
    op.create_index("ix_feedback_people_role_item", "feedback_people", ["role", "item_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_people_role_item", table_name="feedback_people")
    op.drop_index("ix_feedback_history_status_created", table_name="feedback_history")
    op.drop_index("ix_feedback_items_created", table_name="feedback_items")
    op.create_index("ix_thanks_receiver_month", "thanks", ["receiver_id", "month", "counted"], unique=False)
    op.drop_index("ix_thanks_receiver_cover", table_name="thanks")
    op.create_index("ix_thanks_created_community", "thanks", ["created_at", "community_id", "counted"], unique=False)
    op.drop_index("ix_thanks_created_cover", table_name="thanks")
    op.create_index("ix_thanks_month", "thanks", ["month", "counted", "receiver_id"], unique=False)
    op.drop_index("ix_thanks_month_cover", table_name="thanks")
    op.create_index("ix_messages_received_at", "messages", ["received_at"], unique=False)
    op.drop_index("ix_messages_received_talk", table_name="messages")
