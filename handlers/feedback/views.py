"""Reading feedback: /fb list, /fb show, /fb overdue with its digest, and /credits for release notes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db.schema import OutgoingKind
from bot.errors import UsageError
from bot.scheduling.jobs import last_run
from handlers.feedback.config import FeedbackSection
from handlers.feedback.items import Item, history_of, items_where, people_of
from handlers.feedback.lifecycle import item_argument
from handlers.feedback.rules import OPEN, parse_status
from handlers.feedback.similar import Similar, report_text, similar_open
from handlers.feedback.tables import Role, Status, items, people
from handlers.recognition.ledger import named

_LOGGER = logging.getLogger(__name__)
# The moderators' weekly digest (outreach) lists overdue feedback too, as the daily notice does: on the day
# both run, whichever comes second leaves out what the first listed, in either order.
WEEKLY_DIGEST = "moderators_digest"
DAILY_NOTICE = "feedback_overdue"


async def list_items(ctx: Context, cmd: Invocation) -> None:
    """/fb list [status]: open items by default."""
    section = ctx.settings.section(FeedbackSection)
    status = parse_status(cmd.args[0]) if cmd.args else None
    if cmd.args and status is None:
        raise UsageError("feedback/problem_needs_status", statuses=[s.value for s in Status])
    statuses = [status] if status else sorted(OPEN)
    found = await items_where(ctx.db, items.c.status.in_([s.value for s in statuses]), limit=section.list_size)
    await ctx.reply("feedback/list", items=found, status=status and status.value)


async def show_item(ctx: Context, cmd: Invocation) -> None:
    """/fb show FB-42: the report, the people behind it, open items like it (scored) and its history."""
    item = await item_argument(ctx, cmd)
    persons, events = await people_of(ctx.db, item.id), await history_of(ctx.db, item.id)
    similar = await _similar(ctx, item)
    names = await named(ctx.db, [p.member_id for p in persons] + [e.actor_id for e in events if e.actor_id])
    await ctx.reply_privately(  # similarity scores and the people behind an item are for staff only
        "feedback/show",
        item=item,
        names=names,
        events=events,
        tz=ctx.room_zone,
        reporters=[names[p.member_id] for p in persons if p.role == Role.REPORTER],
        plus_ones=[(names[p.member_id], p.details) for p in persons if p.role == Role.PLUS_ONE],
        similar=similar,
    )


async def _similar(ctx: Context, item: Item) -> list[Similar]:
    """Open items that may repeat this one (none for an item already merged)."""
    section = ctx.settings.section(FeedbackSection)
    if item.duplicate_of is not None:
        return []
    text = report_text(item.scenario, item.expected)
    return await similar_open(ctx.db, text, section.duplicate_threshold, section.duplicates_shown, exclude=(item.id,))


async def overdue_items(conn: AsyncConnection, now: datetime, section: FeedbackSection) -> list[Item]:
    """Items nobody has answered (still submitted) for more than `overdue_days`."""
    since = now - timedelta(days=section.overdue_days)
    return await items_where(
        conn, items.c.status == Status.SUBMITTED.value, items.c.created_at <= since, limit=section.list_size
    )


async def list_overdue(ctx: Context, cmd: Invocation) -> None:
    """/fb overdue"""
    section = ctx.settings.section(FeedbackSection)
    found = await overdue_items(ctx.db, ctx.now, section)
    await ctx.reply("feedback/overdue", items=found, days=section.overdue_days, now=ctx.now)


async def _not_listed_today(ctx: Context, job: str, found: list[Item]) -> list[Item]:
    """`found` without what the scheduled `job` listed earlier today: only what became overdue since its run."""
    earlier = await last_run(ctx.db, job, ctx.day_start(ctx.today), ctx.now)
    if earlier is None:
        return found
    overdue_days = ctx.settings.section(FeedbackSection).overdue_days
    return [item for item in found if item.created_at > earlier - timedelta(days=overdue_days)]


async def digest_section(ctx: Context) -> tuple[str, dict[str, Any]] | None:
    """The overdue items for the moderators' weekly digest (nothing when none is overdue). The scheduled
    digest leaves out what the daily notice listed earlier the same day; /digest, asked for, shows them all."""
    section = ctx.settings.section(FeedbackSection)
    found = await overdue_items(ctx.db, ctx.now, section)
    if not ctx.answering:  # the scheduler's run, not a moderator's /digest
        found = await _not_listed_today(ctx, DAILY_NOTICE, found)
    return ("feedback/overdue", {"items": found, "days": section.overdue_days, "now": ctx.now}) if found else None


async def send_overdue_digest(ctx: Context) -> int:
    """For the scheduler: a private digest of overdue items to each moderator, once a day; how many were
    sent. On the day of the weekly digest, only what became overdue after it: the rest it just listed."""
    section = ctx.settings.section(FeedbackSection)
    found = await _not_listed_today(ctx, WEEKLY_DIGEST, await overdue_items(ctx.db, ctx.now, section))
    if not found:
        return 0
    staff = await ctx.services.directory.staff(ctx.db)
    day = ctx.today.isoformat()
    for member in staff:
        await ctx.dm(
            member,
            "feedback/overdue",
            message_kind=OutgoingKind.TRANSACTIONAL,  # staff's own work: never a budget's
            items=found,
            days=section.overdue_days,
            now=ctx.now,
            dedupe_key=f"feedback-overdue:{day}:{member.platform_id}",
        )
    return len(staff)


async def credited_names(conn: AsyncConnection, version: str) -> list[str]:
    """Everyone credited on items shipped in `version`: their reporters, merged ones included, by first credit."""
    rows = (
        (
            await conn.execute(
                select(people.c.member_id)
                .join(items, items.c.id == people.c.item_id)
                .where(
                    items.c.status == Status.SHIPPED.value,
                    items.c.version == version,
                    people.c.role == Role.REPORTER.value,
                )
                .order_by(people.c.item_id, people.c.id)
            )
        )
        .scalars()
        .all()
    )
    ids = list(dict.fromkeys(rows))
    names = await named(conn, ids)
    return [names[i].name for i in ids]


async def shipped_in(conn: AsyncConnection, version: str) -> list[Item]:
    return await items_where(conn, items.c.status == Status.SHIPPED.value, items.c.version == version)


async def credits(ctx: Context, cmd: Invocation) -> None:
    """/credits v2.3: the thank-you list for the release notes."""
    if not cmd.args:
        raise UsageError("feedback/problem_needs_version")
    version = cmd.args[0]
    await ctx.reply(
        "feedback/credits",
        version=version,
        names=await credited_names(ctx.db, version),
        items=await shipped_in(ctx.db, version),
    )
