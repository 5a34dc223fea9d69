"""Links to feedback items (FB-42): validated through the feedback capability, which never imports threads."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.context import Context
from bot.db.dialect import insert_for
from bot.errors import UserFacingError
from handlers.feedback import Item, find_item
from handlers.threads.store import record
from handlers.threads.tables import EventKind, Status, feedback_links, threads

_LOGGER = logging.getLogger(__name__)


async def link_feedback(ctx: Context, thread_id: int, item_id: int) -> int:
    """Link a feedback item to a thread (again is harmless); an unknown item is a polite error."""
    if await find_item(ctx.db, item_id) is None:
        raise UserFacingError("threads/no_such_feedback", item=item_id)
    stmt = insert_for(ctx.db, feedback_links).values(thread_id=thread_id, item_id=item_id, linked_at=ctx.now)
    await ctx.db.execute(stmt.on_conflict_do_nothing(index_elements=["thread_id", "item_id"]))
    await record(ctx, thread_id, EventKind.FEEDBACK, f"FB-{item_id}", item=item_id)
    return item_id


async def linked_items(ctx: Context, thread_id: int) -> list[int]:
    rows = await ctx.db.execute(
        select(feedback_links.c.item_id)
        .where(feedback_links.c.thread_id == thread_id)
        .order_by(feedback_links.c.item_id)
    )
    return list(rows.scalars())


async def on_item_shipped(ctx: Context, item: Item) -> None:
    """A linked item shipped: prompt the moderator to resolve the threads still open."""
    rows = (
        await ctx.db.execute(
            select(threads.c.id, threads.c.title)
            .join(feedback_links, feedback_links.c.thread_id == threads.c.id)
            .where(feedback_links.c.item_id == item.id, threads.c.status != Status.RESOLVED.value)
            .order_by(threads.c.id)
        )
    ).all()
    for row in rows:
        _LOGGER.info("FB-%d shipped: prompting to resolve thread #%d", item.id, row.id)
        await ctx.reply_privately("threads/resolve_prompt", id=row.id, title=row.title, item=item.short_id)
