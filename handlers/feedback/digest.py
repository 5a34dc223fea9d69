"""Due work: the daily private digest of overdue feedback to the moderators, at the configured time."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.context import Context, Services
from bot.uow import UnitOfWork
from handlers.feedback.config import FeedbackSection
from handlers.feedback.views import send_overdue_digest

_LOGGER = logging.getLogger(__name__)


class OverdueDigest:
    """Once a day at `feedback.digest_time` (the bot's time zone); a day missed while down is sent at start,
    and the outbox's dedupe key keeps it to one a day across restarts."""

    name = "feedback-overdue-digest"

    def __init__(self, engine: AsyncEngine, services: Services) -> None:
        self._engine, self._services = engine, services
        self._done: date | None = None
        self._zone = ZoneInfo(services.settings.bot.timezone)

    @property
    def _section(self) -> FeedbackSection:
        return self._services.settings.feedback

    def _slot(self, day: date) -> datetime:
        hour, minute = (int(part) for part in self._section.digest_time.split(":"))
        return datetime.combine(day, time(hour, minute), self._zone).astimezone(UTC)

    def _today(self) -> date:
        return self._services.clock.now().astimezone(self._zone).date()

    async def next_due(self) -> datetime | None:
        if not self._section.digest_time:
            return None
        today = self._today()
        return self._slot(today if self._done != today else today + timedelta(days=1))

    async def run_due(self) -> None:
        today = self._today()
        if not self._section.digest_time or self._done == today or self._services.clock.now() < self._slot(today):
            return
        async with UnitOfWork(self._engine, self._services.clock) as uow:
            staff = await self._services.directory.staff(uow.conn)
            sent = await send_overdue_digest(Context(self._services, uow, None, staff[0], None)) if staff else 0
            await uow.commit()
        self._done = today
        _LOGGER.info("overdue feedback digest for %s: %d moderators", today, sent)


def factory(engine: AsyncEngine, services: Services) -> OverdueDigest:
    return OverdueDigest(engine, services)
