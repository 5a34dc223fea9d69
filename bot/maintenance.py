"""Housekeeping due work: the message log's retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from bot.clock import Clock
from bot.db import schema
from bot.db.schema import OutboxStatus
from bot.uow import Database

_LOGGER = logging.getLogger(__name__)
PRUNE_EVERY = timedelta(days=1)


class RetentionPruner:
    """Deletes logged messages (and delivered outbox rows) older than the retention, once a day."""

    name = "retention"

    def __init__(self, database: Database, clock: Clock, retention_days: int) -> None:
        self._database = database
        self._clock = clock
        self._retention = timedelta(days=retention_days) if retention_days else None
        self._last_run: datetime | None = None

    async def next_due(self) -> datetime | None:
        if self._retention is None:
            return None
        return self._clock.now() if self._last_run is None else self._last_run + PRUNE_EVERY

    async def run_due(self) -> None:
        if self._retention is None:
            return
        now = self._clock.now()
        self._last_run = now
        deleted = await self.prune(now - self._retention)
        if deleted:
            _LOGGER.info("retention: deleted %d messages older than %s", deleted, now - self._retention)

    async def prune(self, cutoff: datetime) -> int:
        messages, outbox = schema.messages, schema.outbox
        old = select(messages.c.id).where(messages.c.received_at < cutoff).scalar_subquery()
        async with self._database.write_transaction() as conn:
            done = (OutboxStatus.SENT.value, OutboxStatus.FAILED.value)
            await conn.execute(delete(outbox).where(outbox.c.status.in_(done), outbox.c.created_at < cutoff))
            await conn.execute(update(outbox).where(outbox.c.in_reply_to.in_(old)).values(in_reply_to=None))
            result = await conn.execute(delete(messages).where(messages.c.received_at < cutoff))
        return result.rowcount or 0
