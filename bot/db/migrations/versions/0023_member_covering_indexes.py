"""a member's messages and feedback by time from the index alone: messages cover their room and route, items their time

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 21:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same name, two more columns: whatever read the old index reads its prefix.
    op.drop_index("ix_messages_member_received", table_name="messages")
    op.create_index(
        "ix_messages_member_received", "messages", ["member_id", "received_at", "community_id", "routed_to"]
    )
    op.create_index("ix_feedback_items_reporter_created", "feedback_items", ["reporter_id", "created_at"])
    op.drop_index("ix_feedback_items_reporter_id", table_name="feedback_items")


def downgrade() -> None:
    op.create_index("ix_feedback_items_reporter_id", "feedback_items", ["reporter_id"])
    op.drop_index("ix_feedback_items_reporter_created", table_name="feedback_items")
    op.drop_index("ix_messages_member_received", table_name="messages")
    op.create_index("ix_messages_member_received", "messages", ["member_id", "received_at"])
