"""What moderators see: /issue show, /issue list, and the weekly digest of open threads by age and department."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bot.commands import Invocation
from bot.context import Context
from handlers.threads.config import ThreadsSection
from handlers.threads.links import linked_items
from handlers.threads.rules import age_days, split_number
from handlers.threads.store import confirmed_count, get_thread, names_of, thread_events, thread_people, thread_rooms
from handlers.threads.tables import Part, Status, threads

_LOGGER = logging.getLogger(__name__)


async def show_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue show 12: everything about a thread, internal notes included, privately."""
    thread_id, _ = split_number(cmd.text)
    thread = await get_thread(ctx.db, thread_id)
    persons = await thread_people(ctx.db, thread_id)
    confirmed, reporters = await confirmed_count(ctx.db, thread_id)
    history = await thread_events(ctx.db, thread_id)
    actors = await names_of(ctx.db, sorted({e.actor_id for e in history if e.actor_id}))
    await ctx.reply_privately(
        "threads/show",
        thread=thread,
        age=age_days(thread.created_at, ctx.now),
        rooms=[c.name for c, _ in await thread_rooms(ctx, thread_id)],
        reporters=[p for p in persons if p.part == Part.REPORTER],
        followers=[p.name for p in persons if p.part == Part.FOLLOWER],
        confirmed=confirmed,
        reporter_count=reporters,
        items=await linked_items(ctx, thread_id),
        history=[{"at": e.at, "kind": e.kind, "text": e.text, "by": actors.get(e.actor_id, "")} for e in history],
        scheduled=thread.resolved_at is not None and thread.resolved_at > ctx.now,
    )


def _filter(ctx: Context, word: str) -> tuple[Any, str]:
    section = ctx.settings.section(ThreadsSection)
    unresolved = threads.c.status != Status.RESOLVED.value
    if word in ("", "open", "未解决", "进行中"):
        return unresolved, "open"
    if word in ("mine", "我的"):
        return threads.c.opened_by == ctx.actor.id, "mine"
    if word in ("resolved", "已解决"):
        return threads.c.status == Status.RESOLVED.value, "resolved"
    if word in section.departments:
        return threads.c.department == word, word
    return None, word


async def list_threads(ctx: Context, cmd: Invocation) -> None:
    """/issue list [open|mine|resolved|department]"""
    condition, which = _filter(ctx, cmd.text.strip())
    if condition is None:
        section = ctx.settings.section(ThreadsSection)
        await ctx.reply_privately("threads/list_unknown", word=which, departments=section.departments)
        return
    rows = (await ctx.db.execute(select(threads).where(condition).order_by(threads.c.id))).all()
    await ctx.reply_privately("threads/list", which=which, threads=[_line(ctx, r) for r in rows])


def _line(ctx: Context, row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "status": row.status,
        "department": row.department,
        "age": age_days(row.created_at, ctx.now),
        "flagged": row.flagged,
    }


async def digest_lines(ctx: Context) -> list[dict[str, Any]]:
    """Open threads grouped by department (unrouted last), oldest first in each."""
    section = ctx.settings.section(ThreadsSection)
    rows = (
        await ctx.db.execute(
            select(threads)
            .where(threads.c.status != Status.RESOLVED.value)
            .order_by(threads.c.created_at, threads.c.id)
        )
    ).all()
    order = {name: i for i, name in enumerate(section.departments)}
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.department, []).append(_line(ctx, row))
    ordered = sorted(groups, key=lambda d: order.get(d, len(order)) if d else len(order) + 1)
    return [
        {"department": d, "threads": groups[d][: section.digest_list_size], "count": len(groups[d])} for d in ordered
    ]


async def show_digest(ctx: Context, cmd: Invocation) -> None:
    """/issue digest: the weekly digest, now, privately."""
    await ctx.reply_privately("threads/digest", groups=await digest_lines(ctx))


async def digest_section(ctx: Context) -> tuple[str, dict[str, Any]] | None:
    """The open threads for the moderators' weekly digest (nothing when none is open)."""
    groups = await digest_lines(ctx)
    return ("threads/digest", {"groups": groups}) if groups else None
