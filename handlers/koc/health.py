"""Early warning: each active KOC's last four weeks (messages, thanks received, feedback), the silent ones first.

`/koc health` lets the moderator reach out before a KOC drifts away: a few grouped queries over
the active KOCs (one row per member and week), never a loop over messages.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.db.schema import Stage
from bot.talk import community_message
from handlers.feedback.tables import items as feedback_items
from handlers.koc.config import KocSection
from handlers.koc.pool import week_of
from handlers.recognition.stats import revoked_ids
from handlers.recognition.tables import thanks

_LOGGER = logging.getLogger(__name__)
WEEKS = 4


@dataclass(frozen=True, slots=True)
class Trend:
    """One active KOC's weeks, oldest first, and how long they have been silent (None: never spoke)."""

    member_id: int
    name: str
    messages: tuple[int, ...]
    thanks: tuple[int, ...]
    feedback: tuple[int, ...]
    silent_days: int | None
    flagged: bool


async def _by_week(
    conn: AsyncConnection, member: Any, when: Any, ids: list[int], now: datetime, *where: Any
) -> dict[int, list[int]]:
    """Counts per member and week (index 0 = this week) of the rows of `member`'s table."""
    week = week_of(when, now, WEEKS).label("week")
    stmt = (
        select(member, week, func.count())
        .where(member.in_(ids), when > now - timedelta(weeks=WEEKS), *where)
        .group_by(member, week)
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * WEEKS)
    for member_id, index, n in (await conn.execute(stmt)).all():
        if index is not None:
            counts[member_id][index] = n
    return counts


async def trends(ctx: Context) -> list[Trend]:
    """Every active KOC's trend: silent ones first (longest silence first), then by name."""
    section = ctx.settings.section(KocSection)
    conn, now, members, messages = ctx.db, ctx.now, schema.members, schema.messages
    kocs = (
        await conn.execute(select(members.c.id, members.c.display_name).where(members.c.stage == Stage.ACTIVE.value))
    ).all()
    ids = [k.id for k in kocs]
    said = await _by_week(conn, messages.c.member_id, messages.c.received_at, ids, now, community_message(messages))
    thanked = await _by_week(
        conn,
        thanks.c.receiver_id,
        thanks.c.created_at,
        ids,
        now,
        thanks.c.counted == true(),
        thanks.c.id.notin_(revoked_ids()),
    )
    reported = await _by_week(conn, feedback_items.c.reporter_id, feedback_items.c.created_at, ids, now)
    last = dict(
        (
            await conn.execute(
                select(messages.c.member_id, func.max(messages.c.received_at))
                .where(messages.c.member_id.in_(ids), community_message(messages))
                .group_by(messages.c.member_id)
            )
        )
        .tuples()
        .all()
    )
    result = []
    for koc in kocs:
        seen = last.get(koc.id)
        days = (now - _aware(seen)).days if seen is not None else None
        result.append(
            Trend(
                koc.id,
                koc.display_name,
                _oldest_first(said[koc.id]),
                _oldest_first(thanked[koc.id]),
                _oldest_first(reported[koc.id]),
                days,
                days is None or days > section.silent_days,
            )
        )
    return sorted(
        result,
        key=lambda t: (not t.flagged, -(t.silent_days if t.silent_days is not None else 10**6), t.name, t.member_id),
    )


def _oldest_first(weeks: list[int]) -> tuple[int, ...]:
    return tuple(reversed(weeks))


def _aware(moment: datetime) -> datetime:
    """max() bypasses the column type on some databases: a naive value is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def show_health(ctx: Context, cmd: Invocation) -> None:
    """/koc health: privately, the silent KOCs first with days since their last message, then the rest."""
    section = ctx.settings.section(KocSection)
    found = await trends(ctx)
    if ctx.community is not None:
        await ctx.reply("koc/health_sent")
    await ctx.reply_privately(
        "koc/health",
        flagged=[t for t in found if t.flagged],
        steady=[t for t in found if not t.flagged],
        silent_days=section.silent_days,
        weeks=WEEKS,
    )
