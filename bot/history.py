"""How far the recorded history reaches: the playground's clock may not start before it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import schema

# Every event, reply, scheduled run and audited action leaves a time in one of these columns.
_MARKS = (
    schema.messages.c.received_at,
    schema.members.c.created_at,
    schema.communities.c.created_at,
    schema.memberships.c.joined_at,
    schema.memberships.c.left_at,
    schema.outbox.c.created_at,
    schema.audit_log.c.at,
    schema.scheduled_runs.c.recorded_at,
)


async def last_recorded_at(engine: AsyncEngine) -> datetime | None:
    """The latest moment anything was recorded, or None for a database where nothing happened yet."""
    latest: datetime | None = None
    async with engine.connect() as conn:
        for column in _MARKS:
            found = (await conn.execute(select(func.max(column)))).scalar_one_or_none()
            if found is not None and (latest is None or found > latest):
                latest = found
    return latest
