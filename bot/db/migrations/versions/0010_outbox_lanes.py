"""Outbox lanes: each message's kind (reply, transactional, unsolicited) and its part number when split

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="reply", nullable=False))
        batch_op.add_column(sa.Column("part", sa.Integer(), server_default="1", nullable=False))
    # Messages waiting at the upgrade: the bot's own urgent ones were news owed to someone
    # (parked notices, an exit's thanks), its routine ones outreach.
    op.execute("UPDATE outbox SET kind = 'transactional' WHERE delivery = 'urgent'")
    op.execute("UPDATE outbox SET kind = 'unsolicited' WHERE delivery = 'routine'")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("part")
        batch_op.drop_column("kind")
