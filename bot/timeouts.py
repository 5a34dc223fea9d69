"""Conversation reminders and timeouts, as due work that runs in real or travelled time."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.context import Context, Services
from bot.conversations import Active, Conversation
from bot.uow import UnitOfWork

_LOGGER = logging.getLogger(__name__)


class ConversationTimer:
    """Reminds members of an unfinished conversation, then closes it when it times out."""

    name = "conversation-timeouts"

    def __init__(self, engine: AsyncEngine, services: Services) -> None:
        self._engine = engine
        self._services = services

    async def next_due(self) -> datetime | None:
        store = self._services.conversations
        if not store.specs:
            return None
        times = [store.notice_due_at(active)[0] for active in await store.all_open(self._engine)]
        return min(times, default=None)

    async def run_due(self) -> None:
        store, now = self._services.conversations, self._services.clock.now()
        for active in await store.all_open(self._engine):
            due_at, is_reminder = store.notice_due_at(active)
            if due_at <= now:
                await self._notice(active, is_reminder)

    async def _notice(self, active: Active, is_reminder: bool) -> None:
        store = self._services.conversations
        spec = store.specs[active.name]
        async with UnitOfWork(self._engine, self._services.clock) as uow:
            member = await self._services.directory.find_member_by_id(uow.conn, active.member_id)
            ctx = Context(self._services, uow, None, member, None)
            ctx.conversation = Conversation(store, uow, spec, active)
            if is_reminder:
                await store.mark_reminded(uow, active.member_id)
                notice = spec.on_remind
            else:
                await store.delete(uow, active.member_id)
                notice = spec.on_timeout
            if notice is not None:
                await notice(ctx)
            await uow.commit()
        _LOGGER.info(
            "conversation %s of member %s: %s",
            active.name,
            active.member_id,
            "reminded" if is_reminder else "timed out",
        )
