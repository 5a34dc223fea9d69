"""Weeks with community messages: the candidate pool's steadiness signal, and the rolling weeks health uses.

A week is rolling: week 0 is the seven days up to now, week 1 the seven before, and so on (`week_of`). A
member's steadiness is how many of the last ten weeks hold a community message of theirs (`bot.talk`: in a
room, not a command, not the bot's).

Every member's steadiness (the pool in a close race, when the short list cannot bound it) means reading
every message of ten weeks, grouped by member: about 150 ms of SQLite for 200,000 messages. With a
`StampedCache` (the console's) most of it is kept. The instants `now - k weeks` all fall at now's time of
day, on the days `today - 7k`: every other day of the window lies wholly inside one week, which depends on
the date only. Those days' weeks are kept per member, and of each past day a boundary falls in, each
member's first and last message there (which tell the sides of the boundary they wrote on); with the stamp
of the past days' messages (how many, the first and last moments) and the bot's members, as `bot.stamped`
keeps finished counts. Only today's writers are read at each call.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, distinct, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.schema import aware_utc
from bot.stamped import StampedCache, span_stamp
from bot.talk import bot_authors, community_message

WEEKS = 10  # "active 9 of the last 10 weeks"
DAY = timedelta(days=1)


def week_of(column: Any, weeks: int) -> Any:
    """0 for the last seven days, 1 for the week before, ... (None before `weeks` weeks, or after now):
    portable SQL, bound to `week_ends(now, weeks)` when run (a statement holding it is built once)."""
    return case(
        *(
            (and_(column > bindparam(f"week_end_{k + 1}"), column <= bindparam(f"week_end_{k}")), k)
            for k in range(weeks)
        ),
        else_=None,
    )


def week_ends(now: datetime, weeks: int) -> dict[str, datetime]:
    """`week_of`'s parameters: where each of the `weeks` weeks before `now` ends (0: now)."""
    return {f"week_end_{k}": now - timedelta(weeks=k) for k in range(weeks + 1)}


@functools.cache
def _weeks_of(some: bool) -> Select[Any]:
    """`active_weeks`' statement, of the members `ids` or of everyone, built once; bound to `since` and the
    weeks' ends at each call."""
    messages = schema.messages
    # One group per member, each member's distinct weeks counted on the way; a message after `now` is in
    # no week (NULL).
    week = week_of(messages.c.received_at, WEEKS)
    where = [messages.c.received_at > bindparam("since"), community_message(messages)]
    if some:  # a few members: each one's messages from ix_messages_member_received
        member: Any = messages.c.member_id
        where.append(member.in_(bindparam("ids", expanding=True)))
    else:
        member = _by_time(messages)
    return select(member, func.count(distinct(week))).where(*where).group_by(member)


async def active_weeks(conn: AsyncConnection, now: datetime, among: Collection[int] | None = None) -> dict[int, int]:
    """Weeks, of the last ten, in which a member wrote in a community, of every member or only those `among`
    (members with none are left out)."""
    bound: dict[str, Any] = {"since": now - timedelta(weeks=WEEKS), **week_ends(now, WEEKS)}
    if among is not None:
        bound["ids"] = list(among)
    rows = (await conn.execute(_weeks_of(among is not None), bound)).all()
    return {member_id: n for member_id, n in rows if n}


async def everyone_weeks(conn: AsyncConnection, now: datetime, kept: StampedCache | None) -> dict[int, int]:
    """`active_weeks(conn, now)`; with `kept`, what the window's past days hold is kept and only today's
    messages are read: the weeks of the days no boundary falls in, and each member's first and last message
    of the days one does (which side of `now - k weeks` they fall on is known from those two)."""
    if kept is None:
        return await active_weeks(conn, now)
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    start = today - timedelta(weeks=WEEKS)  # the window's first day
    authors = frozenset((await conn.execute(bot_authors())).scalars().all())
    bound = {"start": start, "end": today}
    stamp = (today, authors, *(await conn.execute(span_stamp(schema.messages.c.received_at), bound)).one())
    inner, edges = await kept.remember("weeks", stamp, lambda: _past_weeks(conn, today))
    found = dict(inner)
    boundaries = [now - timedelta(weeks=k) for k in range(WEEKS + 1)]
    for member_id, days in edges.items():
        mask = found.get(member_id, 0)
        for k, first, last in days:  # the day `now - k weeks` falls on: week k up to it, week k - 1 after
            if k < WEEKS and first <= boundaries[k]:
                mask |= 1 << k
            if last > boundaries[k]:
                mask |= 1 << (k - 1)
        found[member_id] = mask
    for member_id in (await conn.execute(_today(), {"today": today, "now": now})).scalars():
        found[member_id] = found.get(member_id, 0) | 1
    return {member_id: mask.bit_count() for member_id, mask in found.items() if mask}


@functools.cache
def _today() -> Select[Any]:
    """The members with a community message today up to now (week 0), built once."""
    messages = schema.messages
    at = messages.c.received_at
    where = (at >= bindparam("today"), at <= bindparam("now"), community_message(messages))
    return select(_by_time(messages)).where(*where).distinct()


def _by_time(messages: Any) -> Any:
    """The author, hidden from the planner (`+ 0`): read in time order from ix_messages_received_talk, not
    in member order from ix_messages_member_received over every message ever logged."""
    return (messages.c.member_id + literal_column("0")).label("member_id")


async def _past_weeks(
    conn: AsyncConnection, today: datetime
) -> tuple[dict[int, int], dict[int, list[tuple[int, datetime, datetime]]]]:
    """What the window's days before today hold, per member: the weeks (a bit each) of the days no boundary
    falls in, and (k, first, last) of their messages on each day `today - 7k` (k = 1 to 10)."""
    bound: dict[str, datetime] = {}
    for k in range(1, WEEKS + 1):
        bound[f"edge_{k}"] = today - timedelta(weeks=k)
        bound[f"edge_end_{k}"] = today - timedelta(weeks=k) + DAY
    edges: dict[int, list[tuple[int, datetime, datetime]]] = {}
    for member_id, k, first, last in (await conn.execute(_edge_days(), bound)).all():
        edges.setdefault(member_id, []).append((k, aware_utc(first), aware_utc(last)))
    return await _inner_weeks(conn, today), edges


@functools.cache
def _edge_days() -> Select[Any]:
    """(member, k, first, last) of the community messages of each day `today - 7k` (k = 1 to 10), built once."""
    messages = schema.messages
    at = messages.c.received_at
    on_day = [and_(at >= bindparam(f"edge_{k}"), at < bindparam(f"edge_end_{k}")) for k in range(1, WEEKS + 1)]
    day = case(*((on, k) for k, on in enumerate(on_day, start=1)), else_=None).label("day")
    member = _by_time(messages)
    return (
        select(member, day, func.min(at), func.max(at))
        .where(or_(*on_day), community_message(messages))
        .group_by(member, day)
    )


@functools.cache
def _inner_of() -> Select[Any]:
    """(member, week) of the community messages of the days no boundary falls in, built once: week k's are
    the six days after `today - 7(k + 1)`, bound as `inner_k` (where they begin) and `inner_end_k`."""
    messages = schema.messages
    at = messages.c.received_at
    week = case(
        *((and_(at >= bindparam(f"inner_{k}"), at < bindparam(f"inner_end_{k}")), k) for k in range(WEEKS)),
        else_=None,
    ).label("week")
    where = (at >= bindparam("start"), at < bindparam("end"), community_message(messages))
    member = _by_time(messages)
    return select(member, week).where(*where).group_by(member, week)


async def _inner_weeks(conn: AsyncConnection, today: datetime) -> dict[int, int]:
    """Per member, the weeks (a bit each) in which they wrote on a day no boundary falls in."""
    bound: dict[str, datetime] = {"start": today - timedelta(weeks=WEEKS) + DAY, "end": today}
    for k in range(WEEKS):
        bound[f"inner_{k}"] = today - timedelta(weeks=k + 1) + DAY
        bound[f"inner_end_{k}"] = today - timedelta(weeks=k)
    masks: dict[int, int] = {}
    for member_id, week in (await conn.execute(_inner_of(), bound)).all():
        if week is not None:  # a boundary day's message: kept by the day's first and last instead
            masks[member_id] = masks.get(member_id, 0) | 1 << week
    return masks
