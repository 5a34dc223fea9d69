"""members by stage: the KOCs (a few hundred) found without reading every member

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 21:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_members_stage", "members", ["stage"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_members_stage", table_name="members")
