"""/forgetme (/删除我的数据): confirmed, then erased after a cooling-off period unless /取消删除 stops it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.conversations import ConversationSpec
from bot.members import MemberRef
from handlers.privacy.erase import new_pseudonym
from handlers.privacy.notice import policy, policy_section
from handlers.privacy.tables import Kind, Status, requests

_LOGGER = logging.getLogger(__name__)
NAME = "privacy-forget"
CONFIRM = "confirm"
YES = {"确认删除", "确认", "confirm", "yes", "erase"}


async def pending_erasure(conn: AsyncConnection, member_id: int) -> Any:
    q = requests.c
    stmt = select(requests).where(
        q.member_id == member_id, q.kind == Kind.ERASE.value, q.status == Status.PENDING.value
    )
    return (await conn.execute(stmt)).first()


def local(ctx: Context, when: datetime) -> datetime:
    return when.astimezone(ZoneInfo(ctx.settings.bot.timezone))


async def forget_me(ctx: Context, cmd: Invocation) -> None:
    """/forgetme: say what will be erased and kept, and ask for confirmation (privately)."""
    waiting = await pending_erasure(ctx.db, ctx.actor.id)
    if waiting is not None:
        await ctx.reply_privately("privacy/erase_already", at=local(ctx, waiting.due_at))
        return
    await ctx.start_conversation(NAME, CONFIRM)
    await ctx.reply_privately("privacy/erase_confirm", **policy(ctx))


async def on_confirm(ctx: Context, text: str) -> None:
    assert ctx.conversation is not None
    await ctx.conversation.end()
    if text.strip().lower() not in YES:
        await ctx.reply("privacy/erase_not_confirmed")
        return
    due = await schedule_erasure(ctx, ctx.actor, reason="", by=ctx.actor, hours=policy_section(ctx).erase_after_hours)
    await ctx.reply("privacy/erase_scheduled", at=local(ctx, due), **policy(ctx))


async def schedule_erasure(ctx: Context, member: MemberRef, *, reason: str, by: MemberRef, hours: float) -> datetime:
    """Record an erasure due in `hours` (the due work carries it out, even after a restart)."""
    due = ctx.now + timedelta(hours=hours)
    await ctx.db.execute(
        insert(requests).values(
            member_id=member.id,
            kind=Kind.ERASE.value,
            status=Status.PENDING.value,
            requested_by=by.id,
            reason=reason,
            requested_at=ctx.now,
            due_at=due,
            pseudonym=new_pseudonym(member.platform_id),
            receipt={},
        )
    )
    ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    return due


async def cancel_erasure(ctx: Context, cmd: Invocation) -> None:
    """/取消删除: stop a pending erasure."""
    waiting = await pending_erasure(ctx.db, ctx.actor.id)
    if waiting is None:
        await ctx.reply("privacy/erase_nothing_pending")
        return
    q = requests.c
    await ctx.db.execute(
        update(requests).where(q.id == waiting.id).values(status=Status.CANCELLED.value, done_at=ctx.now)
    )
    await ctx.reply("privacy/erase_cancelled")


SPEC = ConversationSpec(name=NAME, capability="privacy", steps={CONFIRM: on_confirm}, timeout=timedelta(hours=1))
