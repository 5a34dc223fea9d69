"""Staff: the pending requests, and an erasure an admin carries out for a member who asked outside the bot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.errors import UsageError
from handlers.privacy.due import ERASED
from handlers.privacy.forget import local, pending_erasure, schedule_erasure
from handlers.privacy.tables import Kind, Status, requests

RECENT = timedelta(days=7)


async def list_requests(ctx: Context, cmd: Invocation) -> None:
    """/privacy requests: erasures waiting, and this week's exports and erasures."""
    q, m = requests.c, schema.members.c
    stmt = (
        select(q.id, q.kind, q.status, q.requested_at, q.due_at, q.done_at, m.display_name)
        .join_from(requests, schema.members, m.id == q.member_id)
        .where(or_(q.status.in_((Status.PENDING.value, ERASED)), q.requested_at >= ctx.now - RECENT))
        .order_by(q.id)
    )
    found = (await ctx.db.execute(stmt)).all()
    lines: list[dict[str, Any]] = [
        {
            "id": r.id,
            "kind": r.kind,
            "status": r.status,
            "name": r.display_name,
            "at": local(ctx, r.due_at if r.status == Status.PENDING.value and r.due_at else r.requested_at),
        }
        for r in found
    ]
    await ctx.reply("privacy/requests", requests=lines)


async def erase_member(ctx: Context, cmd: Invocation) -> None:
    """/privacy erase @member reason: at once, for a member who asked outside the bot (admins; audited)."""
    if len(cmd.mentions) != 1 or not cmd.text.strip():
        raise UsageError("privacy/problem_erase")
    member = await ctx.member(cmd.mentions[0])
    reason = cmd.text.strip()
    ctx.note_audit(target=member)
    if await pending_erasure(ctx.db, member.id) is None:
        await schedule_erasure(ctx, member, reason=reason, by=ctx.actor, hours=0)
    await ctx.reply("privacy/erase_by_staff", name=member.name)


__all__ = ["Kind", "erase_member", "list_requests"]
