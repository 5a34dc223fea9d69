"""feedback people by role and item, with the member: the KOC pool's reporters of moved items from the index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The old index is a prefix of the new one: whatever used it (the board's "+1s at least") can use this.
    op.create_index(
        "ix_feedback_people_role_item_member", "feedback_people", ["role", "item_id", "member_id"], unique=False
    )
    op.drop_index("ix_feedback_people_role_item", table_name="feedback_people")


def downgrade() -> None:
    op.create_index("ix_feedback_people_role_item", "feedback_people", ["role", "item_id"], unique=False)
    op.drop_index("ix_feedback_people_role_item_member", table_name="feedback_people")
