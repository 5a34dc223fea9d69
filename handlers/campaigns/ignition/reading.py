"""Reading a campaign's log from the database: a handful of queries, the messages by column."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import operator
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import String, case, cast, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import talk
from bot.db import schema
from bot.db.dialect import hour_bucket
from bot.db.schema import Stage
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.ignition import columns as col
from handlers.campaigns.ignition.log import EPOCH, Log, Room
from handlers.campaigns.store import CampaignView
from handlers.koc.tables import koc_events


async def read_log(conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection, until: datetime) -> Log:
    """Everything ignition needs from the database, in a handful of queries; the messages are read
    by column (a campaign can hold hundreds of thousands)."""
    bots = await talk.bot_members(conn, [room.platform_id for room in campaign.rooms], campaign.starts_at)
    not_bot = talk.not_by(bots)
    rooms = {room.community_id: Room(ZoneInfo(room.timezone or campaign.timezone)) for room in campaign.rooms}

    async def aside(reader: AsyncConnection) -> None:
        await _read_joins(reader, rooms, campaign.starts_at, until)
        await _read_baseline(reader, rooms, campaign, section, not_bot)

    with col.bulk():
        rows = await _read_beside(conn, _messages_query(conn, campaign, until, not_bot), aside)
        replies = _split_rows(rooms, rows) if rows else {}
    every = {member for room in rooms.values() for member in room.members}
    platform_ids, names, stages = await _read_members(conn, every)
    return Log(rooms, replies, platform_ids, names, await _koc_spans(conn, stages), section.window_minutes * 60.0)


def _keyword(campaign: CampaignView) -> Any:
    m = schema.messages
    words = [m.c.text.icontains(word, autoescape=True) for word in campaign.keywords]
    return or_(*words) if words else false()


def _messages_query(conn: AsyncConnection, campaign: CampaignView, until: datetime, not_bot: Any) -> Any:
    """The campaign's discussion, by column: id, room, author, time (as text), mentions, keyword (0/1), quote."""
    m = schema.messages
    mentions_text = cast(m.c.mentions, String)
    # In time order per room; messages of the same instant in the order they were logged. SQLite's
    # index on (community, time) already yields them so (by rowid), and sorting by id too would cost
    # a sort of every row; PostgreSQL promises no order among equals, so it is told.
    order = [m.c.community_id, m.c.received_at] + ([m.c.id] if conn.dialect.name != "sqlite" else [])
    return (
        select(
            m.c.platform_msg_id,
            m.c.community_id,
            m.c.member_id,
            cast(m.c.received_at, String),
            case((mentions_text == "[]", None), else_=mentions_text),
            case((_keyword(campaign), 1), else_=0),
            m.c.quote_msg_id,
        )
        .where(
            m.c.community_id.in_([room.community_id for room in campaign.rooms]),
            m.c.received_at >= campaign.starts_at,
            m.c.received_at < until,
            talk.not_command(m),
            not_bot,
        )
        .order_by(*order)
    )


async def _read_beside(
    conn: AsyncConnection, messages: Any, aside: Callable[[AsyncConnection], Coroutine[Any, Any, None]]
) -> list[Any]:
    """The messages' rows, while `aside` reads on a second connection (the same one after, when there is none)."""
    async with _second_reader(conn) as side:
        beside = asyncio.create_task(aside(side)) if side is not None else None
        rows = list((await conn.execute(messages)).all())
        if beside is not None:
            await beside
        else:
            await aside(conn)
    return rows


def _split_rows(rooms: dict[int, Room], rows: list[Any]) -> dict[str, int]:
    """The rows, by column, into each room's lists; the replies counted."""
    ids, communities, members, stamps, mentioned, keywords, quotes = (
        list(map(operator.itemgetter(k), rows)) for k in range(7)
    )
    rows.clear()  # the columns hold it all now
    _fill_rooms(rooms, ids, communities, members, stamps, mentioned, keywords)
    return _replies(ids, members, quotes)


@contextlib.asynccontextmanager
async def _second_reader(conn: AsyncConnection) -> AsyncIterator[AsyncConnection | None]:
    """Another connection to the same database, to read beside `conn`; None for an in-memory SQLite
    database (another connection would open another, empty, database)."""
    if conn.dialect.name == "sqlite" and conn.engine.url.database in (None, "", ":memory:"):
        yield None
        return
    async with conn.engine.connect() as side:
        yield side


def _fill_rooms(
    rooms: dict[int, Room],
    ids: list[str],
    communities: list[int],
    members: list[int],
    stamps: list[str],
    mentioned: list[str | None],
    keywords: list[int],
) -> None:
    """Split the columns (ordered by room, then time) into each room's lists."""
    parse = datetime.fromisoformat
    times = [(parse(stamp) - EPOCH).total_seconds() for stamp in stamps]  # stored naive UTC, read as text
    bounds = [0] + [i for i in range(1, len(communities)) if communities[i] != communities[i - 1]] + [len(ids)]
    room_of = [rooms[communities[lo]] for lo in bounds[:-1]]
    for room, lo, hi in zip(room_of, bounds, bounds[1:], strict=False):
        room.times, room.members, room.ids = times[lo:hi], members[lo:hi], ids[lo:hi]
        room.keyword_sums = [0, *itertools.accumulate(keywords[lo:hi])]
    owner = (np.searchsorted(np.asarray(bounds[:-1]), np.arange(len(ids)), side="right") - 1).tolist()

    def placed(position: int) -> tuple[Room, int]:  # a position's room and its index there
        return room_of[owner[position]], position - bounds[owner[position]]

    _fill_marks(placed, members, mentioned, keywords)


def _fill_marks(
    placed: Callable[[int], tuple[Room, int]], members: list[int], mentioned: list[str | None], keywords: list[int]
) -> None:
    """Each room's keyword messages by author, and its @mentions by the platform id mentioned."""
    for position in np.flatnonzero(np.asarray(keywords, dtype=bool)).tolist():
        room, index = placed(position)
        room.keyword_at.setdefault(members[position], []).append(index)
    for position in [i for i, text in enumerate(mentioned) if text is not None]:
        room, index = placed(position)
        for platform_id in json.loads(mentioned[position] or "[]"):
            room.mentions.setdefault(platform_id, []).append((index, members[position]))


def _replies(ids: list[str], members: list[int], quotes: list[str | None]) -> dict[str, int]:
    """Messages of the campaign quoted by others (a reply to oneself is no reply), and how often."""
    quoting = [(quoted, by) for quoted, by in zip(quotes, members, strict=False) if quoted is not None]
    if not quoting:
        return {}
    wanted = {quoted for quoted, _ in quoting}
    authors = {i: member for i, member in zip(ids, members, strict=False) if i in wanted}
    counted: dict[str, int] = defaultdict(int)
    for quoted, by in quoting:
        author = authors.get(quoted)
        if author is not None and author != by:
            counted[quoted] += 1
    return dict(counted)


async def _read_joins(conn: AsyncConnection, rooms: dict[int, Room], since: datetime, until: datetime) -> None:
    ms = schema.memberships
    rows = await conn.execute(
        select(ms.c.community_id, ms.c.joined_at).where(
            ms.c.community_id.in_(list(rooms)), ms.c.join_seen, ms.c.joined_at >= since, ms.c.joined_at < until
        )
    )
    for community_id, joined_at in rows:
        rooms[community_id].joins.append(joined_at.timestamp())
    for room in rooms.values():
        room.joins.sort()


async def _read_baseline(
    conn: AsyncConnection, rooms: dict[int, Room], campaign: CampaignView, section: CampaignsSection, not_bot: Any
) -> None:
    """Each room's usual messages per hour at each local hour, over the days before the campaign it
    was observed (from its first logged message, at most `baseline_days`)."""
    start = campaign.starts_at - timedelta(days=section.baseline_days)
    first_seen = await _first_seen(conn, list(rooms))
    by_hour = await _by_local_hour(conn, rooms, start, campaign.starts_at, not_bot)
    for community_id, room in rooms.items():
        seen = first_seen.get(community_id)
        if seen is None:
            continue
        days = min(float(section.baseline_days), (campaign.starts_at - max(seen, start)).total_seconds() / 86400)
        if days >= 1:  # less than a day of history says nothing about the usual rate at each hour
            room.hourly = [count / days for count in by_hour[community_id]]


async def _first_seen(conn: AsyncConnection, room_ids: list[int]) -> dict[int, datetime]:
    m = schema.messages
    stmt = select(m.c.community_id, func.min(m.c.received_at)).where(m.c.community_id.in_(room_ids))
    return dict((await conn.execute(stmt.group_by(m.c.community_id))).all())


async def _by_local_hour(
    conn: AsyncConnection, rooms: dict[int, Room], start: datetime, end: datetime, not_bot: Any
) -> dict[int, list[int]]:
    """Per room: the discussion messages in [start, end) at each local hour of the day."""
    m = schema.messages
    bucket = hour_bucket(conn, m.c.received_at).label("bucket")
    counts = await conn.execute(
        select(m.c.community_id, bucket, func.count())
        .where(
            m.c.community_id.in_(list(rooms)),
            m.c.received_at >= start,
            m.c.received_at < end,
            talk.not_command(m),
            not_bot,
        )
        .group_by(m.c.community_id, bucket)
    )
    by_hour: dict[int, list[int]] = defaultdict(lambda: [0] * 24)
    for community_id, hour, count in counts:
        utc = datetime.fromisoformat(f"{hour}:00").replace(tzinfo=UTC)
        by_hour[community_id][utc.astimezone(rooms[community_id].zone).hour] += count
    return by_hour


async def _read_members(
    conn: AsyncConnection, member_ids: set[int]
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    members = schema.members
    platform_ids, names, stages = {}, {}, {}
    ids = sorted(member_ids)
    for offset in range(0, len(ids), 5000):  # bounded IN lists
        rows = await conn.execute(
            select(members.c.id, members.c.platform_id, members.c.display_name, members.c.stage).where(
                members.c.id.in_(ids[offset : offset + 5000])
            )
        )
        for row in rows:
            platform_ids[row.id], names[row.id], stages[row.id] = row.platform_id, row.display_name, row.stage
    return platform_ids, names, stages


async def _koc_spans(conn: AsyncConnection, stages: dict[int, str]) -> dict[int, list[tuple[float, bool]]]:
    """When each member was an active KOC, from the lifecycle's events (their stage now if none)."""
    rows = await conn.execute(
        select(koc_events.c.member_id, koc_events.c.at, koc_events.c.from_stage, koc_events.c.to_stage)
        .where(koc_events.c.to_stage.is_not(None))
        .order_by(koc_events.c.member_id, koc_events.c.at, koc_events.c.id)
    )
    spans: dict[int, list[tuple[float, bool]]] = {}
    for member_id, at, from_stage, to_stage in rows:
        if member_id not in stages:
            continue
        if member_id not in spans:  # before its first change: the stage it changed from
            spans[member_id] = [(float("-inf"), from_stage == Stage.ACTIVE.value)]
        spans[member_id].append((at.timestamp(), to_stage == Stage.ACTIVE.value))
    for member_id, stage in stages.items():
        if member_id not in spans and stage == Stage.ACTIVE.value:
            spans[member_id] = [(float("-inf"), True)]
    return spans
