"""Fix confirmation: some days after a notice, each reporter is asked privately whether the problem is gone."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from bot.context import Context, Services
from bot.conversations import ConversationSpec
from bot.db.schema import OutgoingKind
from bot.uow import Database, UnitOfWork
from handlers.threads.config import ThreadsSection
from handlers.threads.resolution import reopen
from handlers.threads.rules import classify_answer
from handlers.threads.store import get_thread, record, thread_people, update_thread
from handlers.threads.tables import Answer, EventKind, Part, Status, people, threads

_LOGGER = logging.getLogger(__name__)
NAME = "threads-confirm"
ASKED = "asked"
BUSY_RETRY = timedelta(hours=1)  # a reporter in another conversation (e.g. the feedback wizard) is asked later


class FixConfirmations:
    """Due work: ask reporters when a thread's confirmation falls due; record "no answer" when they stay silent."""

    name = "threads-fix-confirmation"

    def __init__(self, database: Database, services: Services) -> None:
        self._database = database
        self._engine = database.engine
        self._services = services

    @property
    def _section(self) -> ThreadsSection:
        return self._services.settings.section(ThreadsSection)

    def _answer_window(self) -> timedelta:
        return timedelta(hours=self._section.confirm_answer_hours)

    async def next_due(self) -> datetime | None:
        async with self._engine.connect() as conn:
            ask = (
                await conn.execute(
                    select(func.min(threads.c.confirm_due_at)).where(threads.c.status == Status.RESOLVED.value)
                )
            ).scalar()
            asked = (
                await conn.execute(select(func.min(people.c.asked_at)).where(people.c.answer == Answer.ASKED.value))
            ).scalar()
        times = [t for t in (ask, asked and asked + self._answer_window()) if t is not None]
        return min(times, default=None)

    async def run_due(self) -> None:
        now = self._services.clock.now()
        async with self._engine.connect() as conn:
            due = (
                (
                    await conn.execute(
                        select(threads.c.id).where(
                            threads.c.status == Status.RESOLVED.value, threads.c.confirm_due_at <= now
                        )
                    )
                )
                .scalars()
                .all()
            )
            silent = (
                await conn.execute(
                    select(people.c.thread_id, people.c.member_id).where(
                        people.c.answer == Answer.ASKED.value, people.c.asked_at <= now - self._answer_window()
                    )
                )
            ).all()
        for thread_id in due:
            await self._ask(thread_id)
        for thread_id, member_id in silent:
            await self._no_answer(thread_id, member_id)

    async def _context(self, uow: UnitOfWork, member_id: int) -> Context:
        member = await self._services.directory.member_by_id(uow.conn, member_id)
        return Context(self._services, uow, None, member, None)

    async def _ask(self, thread_id: int) -> None:
        """Ask the reporters not yet asked; one busy in another conversation is asked an hour later."""
        async with UnitOfWork(self._database, self._services.clock) as uow:
            thread = (await uow.conn.execute(select(threads).where(threads.c.id == thread_id))).one()
            busy = 0
            for person in await thread_people(uow.conn, thread_id):
                if person.part == Part.REPORTER and person.answer is None:
                    if await self._services.conversations.get(uow.conn, person.member_id) is not None:
                        busy += 1
                        continue
                    await _ask_one(await self._context(uow, person.member_id), thread)
            later = self._services.clock.now() + BUSY_RETRY if busy else None
            await uow.conn.execute(update(threads).where(threads.c.id == thread_id).values(confirm_due_at=later))
            await uow.commit()
        _LOGGER.info("thread #%d: reporters asked whether the fix works (%d busy)", thread_id, busy)

    async def _no_answer(self, thread_id: int, member_id: int) -> None:
        async with UnitOfWork(self._database, self._services.clock) as uow:
            ctx = await self._context(uow, member_id)
            await _set_answer(ctx, thread_id, Answer.NO_ANSWER, None)
            await record(ctx, thread_id, EventKind.CONFIRM, actor=ctx.actor, answer=Answer.NO_ANSWER.value)
            active = await self._services.conversations.get(uow.conn, member_id)
            if active is not None and active.name == NAME and active.data.get("thread") == thread_id:
                await self._services.conversations.delete(uow, member_id)
            await uow.commit()


async def _ask_one(ctx: Context, thread: Any) -> None:
    await ctx.db.execute(
        update(people)
        .where(people.c.thread_id == thread.id, people.c.member_id == ctx.actor.id)
        .values(answer=Answer.ASKED.value, asked_at=ctx.now)
    )
    await ctx.start_conversation(NAME, ASKED, thread=thread.id, round=thread.resolutions)
    await ctx.reply_privately(
        "threads/confirm_question",
        message_kind=OutgoingKind.TRANSACTIONAL,
        name=ctx.actor.name,
        id=thread.id,
        title=thread.title,
        text=thread.resolution_text,
    )


async def _set_answer(ctx: Context, thread_id: int, answer: Answer, text: str | None) -> None:
    await ctx.db.execute(
        update(people)
        .where(people.c.thread_id == thread_id, people.c.member_id == ctx.actor.id)
        .values(answer=answer.value, answer_text=text, answered_at=ctx.now)
    )


async def on_answer(ctx: Context, text: str) -> None:
    """The reporter's private answer: yes, no, or their own words (which flag the thread for a moderator)."""
    assert ctx.conversation is not None
    data = ctx.conversation.data
    await ctx.conversation.end()
    thread = await get_thread(ctx.db, data["thread"])
    if thread.status != Status.RESOLVED or thread.resolutions != data["round"]:
        await ctx.reply("threads/confirm_late", id=thread.id)
        return
    verdict = classify_answer(text)
    answer = Answer.YES if verdict == "yes" else Answer.NO
    await _set_answer(ctx, thread.id, answer, text)
    await record(ctx, thread.id, EventKind.CONFIRM, text, answer=answer.value)
    if answer is Answer.YES:
        await ctx.reply("threads/confirm_thanks", id=thread.id)
        return
    await _not_fixed(ctx, thread, text, unclear=verdict is None)


async def _not_fixed(ctx: Context, thread: Any, text: str, *, unclear: bool) -> None:
    section = ctx.settings.section(ThreadsSection)
    reopened = section.on_not_fixed == "reopen" and not unclear
    await record(ctx, thread.id, EventKind.NOTE, text, source="confirmation")
    if reopened:
        await reopen(ctx, thread, text)
    else:
        await update_thread(ctx, thread.id, flagged=True)
        await record(ctx, thread.id, EventKind.FLAG, text)
    await ctx.reply("threads/confirm_not_fixed", id=thread.id, reopened=reopened)
    opener = await ctx.services.directory.member_by_id(ctx.db, thread.opened_by)
    await ctx.dm(
        opener,
        "threads/moderator_not_fixed",
        message_kind=OutgoingKind.TRANSACTIONAL,
        id=thread.id,
        title=thread.title,
        member=ctx.actor.name,
        text=text,
        reopened=reopened,
    )


SPEC = ConversationSpec(name=NAME, capability="threads", steps={ASKED: on_answer}, timeout=timedelta(days=30))


def factory(database: Database, services: Services) -> FixConfirmations:
    return FixConfirmations(database, services)
