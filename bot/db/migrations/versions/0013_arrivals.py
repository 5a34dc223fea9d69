"""members' arrival (the join that made them newcomers); the member a room post is meant for

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db.schema

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Members known so far only by reported joins arrived at their earliest one (a rejoin has moved a
# room's joined_at since, so this is a guess on the late side); anyone first seen otherwise was there.
_BACKFILL = """
UPDATE members SET arrived_at = (
    SELECT min(m.joined_at) FROM memberships m WHERE m.member_id = members.id
)
WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.member_id = members.id)
  AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.member_id = members.id AND NOT m.join_seen)
"""


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrived_at", bot.db.schema.UTCDateTime(), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addressee", sa.String(length=128), nullable=True))

    op.execute(_BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("addressee")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("arrived_at")
