"""Early warning: each active KOC's last four weeks (messages, thanks received, feedback), the silent ones first.

`/koc health` lets the moderator reach out before a KOC drifts away: a few grouped queries over
the active KOCs (one row per member and week), never a loop over messages.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.db.schema import Stage, aware_utc
from bot.talk import community_message
from handlers.feedback.tables import items as feedback_items
from handlers.koc.config import KocSection
from handlers.koc.weeks import week_ends, week_of
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


@functools.cache
def _weekly(signal: str) -> Select[Any]:
    """Counts per member and week (index 0 = this week) of one signal's rows for the members `ids`, built
    once (building its CASE anew cost more than the database's reading); bound to `ids`, `since` and the
    weeks' ends (`week_ends`) at each call."""
    messages = schema.messages
    member, when, where = {
        "messages": (messages.c.member_id, messages.c.received_at, (community_message(messages),)),
        "thanks": (
            thanks.c.receiver_id,
            thanks.c.created_at,
            (thanks.c.counted == true(), thanks.c.id.notin_(revoked_ids())),
        ),
        "feedback": (feedback_items.c.reporter_id, feedback_items.c.created_at, ()),
    }[signal]
    week = week_of(when, WEEKS).label("week")
    return (
        select(member, week, func.count())
        .where(member.in_(bindparam("ids", expanding=True)), when > bindparam("since"), *where)
        .group_by(member, week)
    )


@functools.cache
def _active_kocs() -> Select[Any]:
    members = schema.members
    return select(members.c.id, members.c.display_name).where(members.c.stage == Stage.ACTIVE.value)


@functools.cache
def _last_said() -> Select[Any]:
    """Each of the members `ids`' last community message."""
    messages = schema.messages
    return (
        select(messages.c.member_id, func.max(messages.c.received_at))
        .where(messages.c.member_id.in_(bindparam("ids", expanding=True)), community_message(messages))
        .group_by(messages.c.member_id)
    )


async def _by_week(conn: AsyncConnection, signal: str, ids: list[int], now: datetime) -> dict[int, list[int]]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * WEEKS)
    bound = {"ids": ids, "since": now - timedelta(weeks=WEEKS), **week_ends(now, WEEKS)}
    for member_id, index, n in (await conn.execute(_weekly(signal), bound)).all():
        if index is not None:
            counts[member_id][index] = n
    return counts


async def trends(ctx: Context) -> list[Trend]:
    """Every active KOC's trend: silent ones first (longest silence first), then by name."""
    section = ctx.settings.section(KocSection)
    conn, now = ctx.db, ctx.now
    kocs = (await conn.execute(_active_kocs())).all()
    ids = [k.id for k in kocs]
    said, thanked, reported = [await _by_week(conn, signal, ids, now) for signal in ("messages", "thanks", "feedback")]
    last = dict((await conn.execute(_last_said(), {"ids": ids})).all())
    result = []
    for koc in kocs:
        seen = last.get(koc.id)
        days = (now - aware_utc(seen)).days if seen is not None else None
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
