"""Conversation reminders and timeouts, as due work that runs in real or travelled time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.context import Context, Services
from bot.conversations import Active, Conversation
from bot.delivery import QuietHours
from bot.uow import Database, UnitOfWork

_LOGGER = logging.getLogger(__name__)
BEFORE_QUIET = timedelta(minutes=1)  # a reminder that cannot wait for the morning goes this long before the night


class ConversationTimer:
    """Reminds members of an unfinished conversation, then closes it when it times out.

    The bot starts these messages, so they keep the quiet hours (the bot's time zone, as private
    messages do): a reminder due at night goes when the quiet hours end if the conversation is still
    open then, else just before they began if the member had answered by then, else not at all; the
    closing notice waits for the morning (the conversation itself closes on time).
    """

    name = "conversation-timeouts"

    def __init__(self, database: Database, services: Services) -> None:
        self._database = database
        self._engine = database.engine
        self._services = services
        self._quiet = QuietHours.parse(services.settings.delivery.quiet_hours)
        self._zone = services.zone

    async def next_due(self) -> datetime | None:
        store = self._services.conversations
        if not store.specs:
            return None
        times = [self.notice_at(active)[0] for active in await store.all_open(self._engine)]
        return min(times, default=None)

    async def run_due(self) -> None:
        now = self._services.clock.now()
        for active in await self._services.conversations.all_open(self._engine):
            due_at, is_reminder = self.notice_at(active)
            if due_at <= now:
                await self._notice(active, is_reminder)

    def notice_at(self, active: Active) -> tuple[datetime, bool]:
        """When this conversation's next notice goes, outside quiet hours, and whether it is the reminder."""
        store = self._services.conversations
        due, is_reminder = store.notice_due_at(active)
        if self._quiet is None:
            return due, is_reminder
        if is_reminder:
            moved = self._reminder_at(active, due)
            if moved is not None:
                return moved, True
            due = active.expires_at  # no moment for it outside the night: only the closing notice
        return self._quiet.release(due, self._zone) or due, False

    def _reminder_at(self, active: Active, due: datetime) -> datetime | None:
        assert self._quiet is not None
        released = self._quiet.release(due, self._zone)
        if released is None or released < active.expires_at:
            return released or due
        began = self._quiet.began(due, self._zone)
        last_answer = active.expires_at - self._services.conversations.specs[active.name].timeout
        if began is not None and began - BEFORE_QUIET > last_answer:
            return began - BEFORE_QUIET
        return None

    async def _notice(self, active: Active, is_reminder: bool) -> None:
        store = self._services.conversations
        spec = store.specs[active.name]
        async with UnitOfWork(self._database, self._services.clock) as uow:
            member = await self._services.directory.member_by_id(uow.conn, active.member_id)
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
