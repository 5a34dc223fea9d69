"""partial indexes: the messages that mention someone, and those that quote someone, by time (the KOC pool)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

MENTIONING = "CAST(mentions AS TEXT) != '[]'"
QUOTING = "quote_member_id IS NOT NULL"


def upgrade() -> None:
    # Only the few messages that mention or quote someone: the pool's discussion reads those, not every
    # message of the window (their JSON is not in any covering index).
    op.create_index(
        "ix_messages_mentioning_received",
        "messages",
        ["received_at"],
        unique=False,
        sqlite_where=sa.text(MENTIONING),
        postgresql_where=sa.text(MENTIONING),
    )
    op.create_index(
        "ix_messages_quoting_received",
        "messages",
        ["received_at"],
        unique=False,
        sqlite_where=sa.text(QUOTING),
        postgresql_where=sa.text(QUOTING),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_quoting_received", table_name="messages")
    op.drop_index("ix_messages_mentioning_received", table_name="messages")
