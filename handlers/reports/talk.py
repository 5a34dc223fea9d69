"""The month's community messages (`bot.talk`): per room, anywhere and per day; kept for a month that is over.

Three distinct counts over every message of the month (members who wrote, per room, anywhere, per day) are
most of the monthly report's cost. A finished month's are kept (`StampedCache`) with the stamp of its messages
(how many, the first and last moments) and the bot's own members, and counted again when either differs: a
message deleted from that month or logged into it, or a new echo of the bot's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.schema import UTCDateTime
from bot.stamped import StampedCache, span_stamp
from bot.talk import bot_authors, not_by, not_command
from handlers.reports.figures import Day
from handlers.reports.month import Window


@dataclass(frozen=True, slots=True)
class Talk:
    by_room: dict[int, tuple[int, int]]  # per room: community messages and the members who wrote them
    anywhere: int  # members who wrote in any of the report's rooms
    days: tuple[Day, ...]


async def month_talk(conn: AsyncConnection, when: Window, rooms: list[int], cache: StampedCache | None = None) -> Talk:
    """The month's community messages in `rooms`; from `cache` when the month is over and nothing changed."""
    # The bot's members, read once for the three counts (not once per message of each).
    authors = {row.member_id for row in await conn.execute(bot_authors())}
    if cache is None or not when.complete:
        return await _count(conn, when, rooms, authors)
    key = ("talk", when.month, when.start, when.as_of, str(when.zone), tuple(rooms), frozenset(authors))
    return await cache.remember(key, await _stamp(conn, when), lambda: _count(conn, when, rooms, authors))


async def _stamp(conn: AsyncConnection, when: Window) -> tuple[Any, ...]:
    """How many messages the month holds, its first and last moments: one pass over the time index (no
    distinct count), and the two ends looked up in it."""
    stamp = span_stamp(schema.messages.c.received_at)
    return tuple((await conn.execute(stamp, {"start": when.start, "end": when.as_of})).one())


async def _count(conn: AsyncConnection, when: Window, rooms: list[int], authors: set[int]) -> Talk:
    return Talk(
        await _by_room(conn, when, authors),
        await _anywhere(conn, when, rooms, authors),
        await _days(conn, when, rooms, authors),
    )


def _between(column: Any, when: Window) -> Any:
    return and_(column >= when.start, column < when.as_of)


def _talk(authors: set[int]) -> Any:
    """`bot.talk.community_message`, with the bot's members as read once."""
    msg = schema.messages
    return and_(msg.c.community_id.is_not(None), not_command(msg), not_by(authors, msg))


async def _by_room(conn: AsyncConnection, when: Window, authors: set[int]) -> dict[int, tuple[int, int]]:
    """Per room: community messages and the members who wrote them."""
    msg = schema.messages
    stmt = (
        select(msg.c.community_id, func.count(), func.count(msg.c.member_id.distinct()))
        .where(_talk(authors), _between(msg.c.received_at, when))
        .group_by(msg.c.community_id)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in (await conn.execute(stmt)).all()}


def _in_rooms(rooms: list[int]) -> Any:
    """In these rooms, as a filter only: the month's messages are read by time from ix_messages_received_talk,
    which holds every column counted (`+ 0` keeps the planner off the room index, which has not)."""
    return (schema.messages.c.community_id + literal_column("0")).in_(rooms)


async def _anywhere(conn: AsyncConnection, when: Window, rooms: list[int], authors: set[int]) -> int:
    msg = schema.messages
    stmt = select(func.count(msg.c.member_id.distinct())).where(
        _in_rooms(rooms), _between(msg.c.received_at, when), _talk(authors)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def _days(conn: AsyncConnection, when: Window, rooms: list[int], authors: set[int]) -> tuple[Day, ...]:
    """Messages and members who wrote, per local day (any time zone, DST too): the month's days as a small
    table of their UTC bounds, joined to the messages by range, so each message is read once, by index."""
    msg = schema.messages
    days = when.days()
    if not days:
        return ()
    bounds = union_all(
        *(
            select(
                literal(n).label("n"),
                literal(begin, UTCDateTime()).label("begin"),
                literal(finish, UTCDateTime()).label("finish"),
            )
            for n, (_, begin, finish) in enumerate(days)
        )
    ).subquery("days")
    inside = and_(msg.c.received_at >= bounds.c.begin, msg.c.received_at < bounds.c.finish)
    stmt = (
        select(bounds.c.n, func.count(), func.count(msg.c.member_id.distinct()))
        .select_from(bounds.join(msg, inside))
        .where(_in_rooms(rooms), _talk(authors))
        .group_by(bounds.c.n)
    )
    counts = {row[0]: (int(row[1]), int(row[2])) for row in (await conn.execute(stmt)).all()}
    return tuple(Day(day, *counts.get(n, (0, 0))) for n, (day, _, _) in enumerate(days))
