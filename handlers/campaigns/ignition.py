"""Ignition, measured: the discussion each message in a campaign room starts, from the message log.

For a message posted at t in a campaign room, its window is (t, t + window]. Its figures:
- replies: messages quoting it (any time up to now), by others;
- mentions: messages in the window, by others, that @mention its author;
- volume: messages in the room in the window; `expected` is the room's usual number for a
  window at that hour of the day (the baseline: the `baseline_days` before the campaign, per
  local hour, divided by the days the room was observed); lift = volume - expected;
- participants: distinct other members posting in the window;
- keywords: messages in the window, by others, using a campaign keyword;
- joins: members who joined the room in the window (or at the instant of the message).
score = w_replies*replies + w_mentions*mentions + w_participants*participants + w_keywords*keywords
        + w_joins*joins + w_lift*max(0, lift)

A member's figures add up their messages' figures, but count each message of the room once when
their windows overlap (ten messages in a row are not ten times the discussion): volume, keywords,
mentions and joins over the union of their windows, participants as distinct people, expected over
the time the union covers. Commands to the bot and the bot's own messages are not discussion and
count nowhere. A message counts as a KOC's when its author was an active KOC when posting it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import operator
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
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
from handlers.campaigns.store import CampaignView
from handlers.koc.tables import koc_events


@dataclass(frozen=True, slots=True)
class Weights:
    replies: float
    mentions: float
    participants: float
    keywords: float
    joins: float
    lift: float

    @classmethod
    def of(cls, section: CampaignsSection) -> Weights:
        return cls(
            section.weight_replies,
            section.weight_mentions,
            section.weight_participants,
            section.weight_keywords,
            section.weight_joins,
            section.weight_lift,
        )

    def score(
        self, replies: int, mentions: int, participants: int, keywords: int, joins: int, lift: float | None
    ) -> float:
        return (
            self.replies * replies
            + self.mentions * mentions
            + self.participants * participants
            + self.keywords * keywords
            + self.joins * joins
            + self.lift * max(0.0, lift or 0.0)
        )


@dataclass(frozen=True, slots=True)
class Spark:
    """One message's figures."""

    message_id: str  # the platform's
    member_id: int
    community_id: int
    ts: float  # when it was posted, in seconds since 1970 (UTC)
    koc: bool
    replies: int
    mentions: int
    volume: int
    expected: float | None  # None: no baseline for the room
    participants: int
    keywords: int
    joins: int
    score: float

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    @property
    def lift(self) -> float | None:
        return None if self.expected is None else self.volume - self.expected


@dataclass(slots=True)
class Sparks:
    """Every measured message's figures, kept by column (cheap for 200,000 messages); a Spark each on demand."""

    ids: list[str] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    rooms: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    koc: list[bool] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    volume: list[int] = field(default_factory=list)
    expected: list[float | None] = field(default_factory=list)
    participants: list[int] = field(default_factory=list)
    keywords: list[int] = field(default_factory=list)
    joins: list[int] = field(default_factory=list)
    score: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> Spark:
        return Spark(
            self.ids[i],
            self.members[i],
            self.rooms[i],
            self.times[i],
            self.koc[i],
            self.replies[i],
            self.mentions[i],
            self.volume[i],
            self.expected[i],
            self.participants[i],
            self.keywords[i],
            self.joins[i],
            self.score[i],
        )

    def __iter__(self) -> Iterator[Spark]:
        return (self[i] for i in range(len(self.ids)))


@dataclass(slots=True)
class Igniter:
    """A member's figures over their messages (KOC messages and others are kept apart)."""

    member_id: int
    name: str
    koc: bool
    messages: int = 0
    replies: int = 0
    mentions: int = 0
    volume: int = 0
    expected: float | None = None
    keywords: int = 0
    joins: int = 0
    score: float = 0.0
    best: Spark | None = None
    participants: int = 0  # distinct other members over all their windows

    @property
    def lift(self) -> float | None:
        return None if self.expected is None else self.volume - self.expected

    def measure(self, name: str) -> float:
        return float(getattr(self, name) or 0)


@dataclass(frozen=True, slots=True)
class Aftermath:
    """What followed one moment (a clue drop) in the campaign's rooms, over one window."""

    at: datetime
    volume: int
    expected: float | None
    participants: int
    keywords: int
    joins: int


@dataclass(slots=True)
class Measured:
    """A campaign's ignition over a period, and the log it was read from."""

    sparks: Sparks
    kocs: list[Igniter]  # best first
    members: list[Igniter]
    messages: int  # discussion messages read in the campaign's rooms
    log: _Log

    def ranked(self, who: str, measure: str) -> list[Igniter]:
        pool = self.kocs if who == "koc" else self.members if who == "members" else self.kocs + self.members
        if who == "everyone":  # a member with KOC and other messages: their better figure counts
            best: dict[int, Igniter] = {}
            for igniter in pool:
                if igniter.member_id not in best or igniter.measure(measure) > best[igniter.member_id].measure(measure):
                    best[igniter.member_id] = igniter
            pool = list(best.values())
        return sorted(pool, key=lambda i: (-i.measure(measure), -i.score, i.member_id))


@dataclass(slots=True)
class _Room:
    """One room's messages in time order, as parallel lists (cheap to slice and bisect)."""

    zone: ZoneInfo
    times: list[float] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    keyword_sums: list[int] = field(default_factory=lambda: [0])  # prefix sums of keyword messages
    keyword_at: dict[int, list[int]] = field(default_factory=dict)  # author -> indices of their keyword messages
    mentions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # platform id -> (position, author)
    joins: list[float] = field(default_factory=list)
    hourly: list[float] | None = None  # usual messages per hour, by local hour; None: no baseline
    _hours: dict[int, int] = field(default_factory=dict)  # UTC hour number -> local hour of day

    def local_hour(self, utc_hour: int) -> int:
        """The local hour of day of an hour counted from 1970 (UTC)."""
        hour = self._hours.get(utc_hour)
        if hour is None:
            hour = self._hours[utc_hour] = datetime.fromtimestamp(utc_hour * 3600, self.zone).hour
        return hour

    def expected(self, start: float, seconds: float) -> float | None:
        if self.hourly is None:
            return None
        return self.hourly[self.local_hour(int(start // 3600))] * seconds / 3600

    def keywords_by_others(self, start: int, end: int, author: int) -> int:
        """Keyword messages among indices [start, end), the author's own left out."""
        total = self.keyword_sums[end] - self.keyword_sums[start]
        own = self.keyword_at.get(author)
        if total and own:
            total -= bisect_left(own, end) - bisect_left(own, start)
        return total


@dataclass(slots=True)
class _Log:
    rooms: dict[int, _Room]
    replies: dict[str, int]  # platform message id -> replies by others
    platform_ids: dict[int, str]  # member id -> platform id
    names: dict[int, str]
    koc_spans: dict[int, list[tuple[float, bool]]]  # member id -> (from, is an active KOC) in time order
    window: float  # seconds


def _koc_at(spans: list[tuple[float, bool]], at: float) -> bool:
    index = bisect_right(spans, (at, True)) - 1  # the last change at or before `at` (the first is at -inf)
    return index >= 0 and spans[index][1]


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """Hundreds of thousands of rows, tuples and lists, none in a reference cycle: the cycle
    collector would only scan them over and over (a third of the time, measured). Switched off for
    the while, and back on after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def read_log(conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection, until: datetime) -> _Log:
    """Everything ignition needs from the database, in a handful of queries; the messages are read
    by column (a campaign can hold hundreds of thousands)."""
    m = schema.messages
    room_ids = [room.community_id for room in campaign.rooms]
    bots = await talk.bot_members(conn, [room.platform_id for room in campaign.rooms], campaign.starts_at)
    not_bot = talk.not_by(bots)
    keyword = (
        or_(*[m.c.text.icontains(word, autoescape=True) for word in campaign.keywords])
        if campaign.keywords
        else false()
    )
    mentions_text = cast(m.c.mentions, String)
    # In time order per room; messages of the same instant in the order they were logged. SQLite's
    # index on (community, time) already yields them so (by rowid), and sorting by id too would cost
    # a sort of every row; PostgreSQL promises no order among equals, so it is told.
    order = [m.c.community_id, m.c.received_at] + ([m.c.id] if conn.dialect.name != "sqlite" else [])

    messages = (
        select(
            m.c.platform_msg_id,
            m.c.community_id,
            m.c.member_id,
            cast(m.c.received_at, String),
            case((mentions_text == "[]", None), else_=mentions_text),
            case((keyword, 1), else_=0),
            m.c.quote_msg_id,
        )
        .where(
            m.c.community_id.in_(room_ids),
            m.c.received_at >= campaign.starts_at,
            m.c.received_at < until,
            talk.not_command(m),
            not_bot,
        )
        .order_by(*order)
    )

    rooms = {room.community_id: _Room(ZoneInfo(room.timezone or campaign.timezone)) for room in campaign.rooms}
    replies: dict[str, int] = {}

    async def aside(reader: AsyncConnection) -> None:
        await _read_joins(reader, rooms, campaign.starts_at, until)
        await _read_baseline(reader, rooms, campaign, section, not_bot)

    with _bulk():
        async with _second_reader(conn) as side:
            # The joins and the usual rates are read on a second connection while the messages are.
            beside = asyncio.create_task(aside(side)) if side is not None else None
            rows = (await conn.execute(messages)).all()
            if beside is not None:
                await beside
            else:
                await aside(conn)
        if rows:
            ids, communities, members, stamps, mentioned, keywords, quotes = (
                list(map(operator.itemgetter(k), rows)) for k in range(7)
            )
            del rows
            _fill_rooms(rooms, ids, communities, members, stamps, mentioned, keywords)
            replies = _replies(ids, members, quotes)
    every = {member for room in rooms.values() for member in room.members}
    platform_ids, names, stages = await _read_members(conn, every)
    return _Log(rooms, replies, platform_ids, names, await _koc_spans(conn, stages), section.window_minutes * 60.0)


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
    rooms: dict[int, _Room],
    ids: list[str],
    communities: list[int],
    members: list[int],
    stamps: list[str],
    mentioned: list[str | None],
    keywords: list[int],
) -> None:
    """Split the columns (ordered by room, then time) into each room's lists."""
    parse = datetime.fromisoformat
    times = [(parse(stamp) - _EPOCH).total_seconds() for stamp in stamps]  # stored naive UTC, read as text
    bounds = [0] + [i for i in range(1, len(communities)) if communities[i] != communities[i - 1]] + [len(ids)]
    room_of = [rooms[communities[lo]] for lo in bounds[:-1]]
    for room, lo, hi in zip(room_of, bounds, bounds[1:], strict=False):
        room.times, room.members, room.ids = times[lo:hi], members[lo:hi], ids[lo:hi]
        room.keyword_sums = [0, *itertools.accumulate(keywords[lo:hi])]
    starts = np.asarray(bounds[:-1])
    owner = (np.searchsorted(starts, np.arange(len(ids)), side="right") - 1).tolist()  # each position's room
    for position in np.flatnonzero(np.asarray(keywords, dtype=bool)).tolist():
        room = room_of[owner[position]]
        room.keyword_at.setdefault(members[position], []).append(position - bounds[owner[position]])
    for position in [i for i, text in enumerate(mentioned) if text is not None]:
        room = room_of[owner[position]]
        for platform_id in json.loads(mentioned[position]):
            room.mentions.setdefault(platform_id, []).append((position - bounds[owner[position]], members[position]))


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


async def _read_joins(conn: AsyncConnection, rooms: dict[int, _Room], since: datetime, until: datetime) -> None:
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
    conn: AsyncConnection, rooms: dict[int, _Room], campaign: CampaignView, section: CampaignsSection, not_bot: Any
) -> None:
    """Each room's usual messages per hour at each local hour, over the days before the campaign it
    was observed (from its first logged message, at most `baseline_days`)."""
    m = schema.messages
    start = campaign.starts_at - timedelta(days=section.baseline_days)
    first_seen = dict(
        (
            await conn.execute(
                select(m.c.community_id, func.min(m.c.received_at))
                .where(m.c.community_id.in_(list(rooms)))
                .group_by(m.c.community_id)
            )
        ).all()
    )
    bucket = hour_bucket(conn, m.c.received_at).label("bucket")
    counts = await conn.execute(
        select(m.c.community_id, bucket, func.count())
        .where(
            m.c.community_id.in_(list(rooms)),
            m.c.received_at >= start,
            m.c.received_at < campaign.starts_at,
            talk.not_command(m),
            not_bot,
        )
        .group_by(m.c.community_id, bucket)
    )
    by_hour: dict[int, list[int]] = defaultdict(lambda: [0] * 24)
    for community_id, hour, count in counts:
        utc = datetime.fromisoformat(f"{hour}:00").replace(tzinfo=UTC)
        by_hour[community_id][utc.astimezone(rooms[community_id].zone).hour] += count
    for community_id, room in rooms.items():
        seen = first_seen.get(community_id)
        if seen is None:
            continue
        days = min(float(section.baseline_days), (campaign.starts_at - max(seen, start)).total_seconds() / 86400)
        if days >= 1:  # less than a day of history says nothing about the usual rate at each hour
            room.hourly = [count / days for count in by_hour[community_id]]


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


def _local_hours(room: _Room, times: np.ndarray) -> np.ndarray:
    """The local hour of day of each time (seconds since 1970, UTC), through the room's cache."""
    unique, positions = np.unique((times // 3600).astype(np.int64), return_inverse=True)
    return np.asarray([room.local_hour(int(hour)) for hour in unique], dtype=np.int64)[positions]


def _usual(room: _Room, starts: np.ndarray, seconds: np.ndarray | float) -> np.ndarray:
    """The room's usual number of messages from each start for `seconds` (NaN: no baseline)."""
    if room.hourly is None or not len(starts):
        return np.full(len(starts), np.nan)
    return np.asarray(room.hourly)[_local_hours(room, starts)] * (np.asarray(seconds) / 3600)


def _participants(members: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For every message i of a room: the distinct members other than its author among positions
    [i+1, ends[i]). No set per message: a position k whose member spoke before, at p >= i+1, is a
    repeat in i's window exactly when i <= p - 1 and ends[i] > k; ends only grow, so that is a range
    of i, added with a difference array."""
    n = len(members)
    order = np.argsort(members, kind="stable")
    same = members[order][1:] == members[order][:-1]  # order[j + 1] repeats order[j]'s member
    previous = np.full(n, -1, dtype=np.int64)
    previous[order[1:][same]] = order[:-1][same]
    following = np.full(n, n, dtype=np.int64)
    following[order[:-1][same]] = order[1:][same]
    repeats_at = np.flatnonzero(previous >= 0)
    spoke_before = previous[repeats_at]
    first_window = np.searchsorted(ends, repeats_at, side="right")  # the first i whose window reaches k
    counted = first_window <= spoke_before - 1
    ranges = np.bincount(first_window[counted], minlength=n + 1) - np.bincount(spoke_before[counted], minlength=n + 1)
    repeats = np.cumsum(ranges)[:n]
    distinct = ends - np.arange(n) - 1 - repeats
    return distinct - (following < ends)  # the author's own later messages


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (np.unique hashes, which is far slower on millions of integers here)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


BITMAP_CELLS = 64_000_000  # up to this many (igniter, member) cells, a bitmap; beyond, a sort


def _distinct_per_igniter(pairs: np.ndarray, igniters: np.ndarray, members: int) -> np.ndarray:
    """How many distinct members other than themselves each igniter (numbered 2 * member + KOC, in
    the order given) has among `pairs` (igniter * members + member)."""
    if (2 * members) * members <= BITMAP_CELLS:  # a bit per cell: one pass, no sort
        seen = np.zeros(2 * members * members, dtype=bool)
        seen[pairs] = True
        seen[igniters * members + igniters // 2] = False  # the igniter is no participant of their own
        return seen.reshape(2 * members, members).sum(axis=1)[igniters]
    found = _distinct(pairs)
    people = np.bincount(np.searchsorted(igniters, found // members), minlength=len(igniters))
    return people - np.isin(igniters * members + igniters // 2, found.astype(np.int64))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions [starts[j], ends[j]) of every j, one after the other."""
    lengths = np.maximum(ends - starts, 0)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total) - offsets + np.repeat(starts, lengths)


@dataclass(slots=True)
class _Columns:
    """One room's measured messages, by column."""

    index: np.ndarray  # positions in the room's lists
    ends: np.ndarray  # the end of each window (exclusive index)
    keywords: list[int]
    mentions: list[int]
    joins: np.ndarray
    expected: np.ndarray  # NaN: no baseline
    koc: list[bool]
    participants: np.ndarray
    starts: np.ndarray  # where the part of each window the author's earlier ones did not cover begins
    union: tuple[
        np.ndarray, list[int], list[int], np.ndarray, np.ndarray
    ]  # volume, keywords, mentions, joins, expected


def _previous_by_same(values: np.ndarray) -> np.ndarray:
    """For each position, the previous position holding the same value (-1: none)."""
    order = np.argsort(values, kind="stable")
    same = values[order][1:] == values[order][:-1]
    previous = np.full(len(values), -1, dtype=np.int64)
    previous[order[1:][same]] = order[:-1][same]
    return previous


def _where(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(mask).tolist()


def _measure_room(room: _Room, log: _Log, first: int, last: int) -> _Columns:
    """Every message in [first, last) of one room: what is arithmetic over the times is done for all
    of them at once (numpy); what needs the message itself (the author's own keywords, mentions of
    the author, their KOC stage at the time) only for the messages where it can matter."""
    window = log.window
    times = np.asarray(room.times, dtype=np.float64)
    members = np.asarray(room.members, dtype=np.int64)
    index = np.arange(first, last)
    every_end = np.searchsorted(times, times + window, side="right")
    at, authors = times[first:last], members[first:last]
    until = at + window
    ends = every_end[first:last]
    participants = _participants(members, every_end)[first:last]
    sums = np.asarray(room.keyword_sums, dtype=np.int64)
    keywords = sums[ends] - sums[index + 1]
    joins_at = np.asarray(room.joins, dtype=np.float64)
    # A join at the very instant of the message counts as following it (the playground's clock stands still).
    joins = np.searchsorted(joins_at, until, side="right") - np.searchsorted(joins_at, at, side="left")
    expected = _usual(room, at, window)
    author_list, stamps = room.members[first:last], room.times[first:last]
    ends_list = ends.tolist()
    # The author's own keyword messages in the window are not counted: only where they wrote some.
    for j in _where((keywords > 0) & np.isin(authors, list(room.keyword_at))):
        keywords[j] = room.keywords_by_others(first + j + 1, ends_list[j], author_list[j])
    # Mentions of the author: only for authors someone mentioned in this room.
    pids = log.platform_ids
    mentioned = [member for member, pid in pids.items() if pid in room.mentions]
    mentions = np.zeros(last - first, dtype=np.int64)
    for j in _where(np.isin(authors, mentioned)):
        mentions[j] = _mentions(room, pids[author_list[j]], author_list[j], first + j + 1, ends_list[j])
    koc = np.zeros(last - first, dtype=bool)
    spans = log.koc_spans
    for j in _where(np.isin(authors, list(spans))):
        koc[j] = _koc_at(spans[author_list[j]], stamps[j])
    # A member's sums count a stretch of conversation once: where the author's previous message's
    # window still runs, only the rest of this one is new (window ends only grow with time).
    prev = _previous_by_same(authors)
    has_prev = prev >= 0
    done_until = np.where(has_prev, at[np.maximum(prev, 0)] + window, -np.inf)
    overlap = has_prev & (done_until > at)
    done_end = np.where(overlap, ends[np.maximum(prev, 0)], 0)
    start = np.maximum(index + 1, done_end)
    volume = ends - index - 1
    u_volume = np.where(overlap, np.maximum(ends - start, 0), volume)
    u_joins = np.where(
        overlap,
        np.searchsorted(joins_at, until, side="right") - np.searchsorted(joins_at, done_until, side="right"),
        joins,
    )
    u_expected, u_keywords, u_mentions = expected.copy(), keywords.copy(), mentions.copy()
    if overlap.any():
        u_expected[overlap] = _usual(room, done_until[overlap], until[overlap] - done_until[overlap])
        starts = start.tolist()
        for j in _where(overlap):
            u_keywords[j] = (
                room.keywords_by_others(starts[j], ends_list[j], author_list[j])
                if keywords[j] and ends_list[j] > starts[j]
                else 0
            )
            u_mentions[j] = (
                _mentions(room, pids.get(author_list[j]), author_list[j], starts[j], ends_list[j]) if mentions[j] else 0
            )
    return _Columns(
        index,
        ends,
        keywords.tolist(),
        mentions.tolist(),
        joins,
        expected,
        koc.tolist(),
        participants,
        start,
        (u_volume, u_keywords, u_mentions, u_joins, u_expected),
    )


def measure(log: _Log, weights: Weights, *, since: datetime | None = None, before: datetime | None = None) -> Measured:
    """Every message's figures (those posted in [since, before) when given), and each member's sums."""
    with _bulk():
        return _measure(log, weights, since, before)


def _measure(log: _Log, weights: Weights, since: datetime | None, before: datetime | None) -> Measured:
    sparks = Sparks()
    keys_of: list[np.ndarray] = []  # per room, per message: member * 2 + (1 if posted as a KOC)
    pairs: list[np.ndarray] = []  # per room: (igniter, member in one of their windows), as one number
    # Members numbered 0..n-1, so a pair fits 32 bits for up to 32,767 members (a quicker sort).
    dense = np.asarray(sorted(log.names), dtype=np.int64)
    codes = len(dense)
    code_type = np.int32 if 2 * codes * codes < 2**31 else np.int64
    union: list[list] = [[], [], [], [], []]  # per message: volume, keywords, mentions, joins, expected not yet counted
    total = 0
    low = since.timestamp() if since else float("-inf")
    high = before.timestamp() if before else float("inf")
    for community_id, room in log.rooms.items():
        times = room.times
        total += len(times)
        first, last = bisect_left(times, low), bisect_left(times, high)
        if first == last:
            continue
        columns = _measure_room(room, log, first, last)
        authors = room.members[first:last]
        combined = np.asarray(authors, dtype=np.int64) * 2 + np.asarray(columns.koc, dtype=np.int64)
        keys_of.append(combined)
        # Who took part in each igniter's windows: (igniter, member) codes over the part of each window
        # their earlier ones did not cover, made distinct at the end.
        covered = _ranges(columns.starts, columns.ends)
        numbered = np.searchsorted(dense, np.asarray(room.members, dtype=np.int64)).astype(code_type)
        igniter = numbered[first:last] * 2 + np.asarray(columns.koc, dtype=code_type)
        pairs.append(
            np.repeat(igniter, np.maximum(columns.ends - columns.starts, 0)) * code_type(codes) + numbered[covered]
        )
        sparks.participants.extend(columns.participants.tolist())
        sparks.ids.extend(room.ids[first:last])
        sparks.members.extend(authors)
        sparks.rooms.extend([community_id] * (last - first))
        sparks.times.extend(times[first:last])
        sparks.koc.extend(columns.koc)
        sparks.replies.extend([log.replies.get(i, 0) for i in room.ids[first:last]])
        sparks.mentions.extend(columns.mentions)
        sparks.volume.extend((columns.ends - columns.index - 1).tolist())
        sparks.expected.extend([None if e != e else e for e in columns.expected.tolist()])  # NaN: none
        sparks.keywords.extend(columns.keywords)
        sparks.joins.extend(columns.joins.tolist())
        for column, values in zip(union, columns.union, strict=True):
            column.extend(values.tolist() if isinstance(values, np.ndarray) else values)
    if not keys_of:
        return Measured(sparks, [], [], total, log)
    every_key = np.concatenate(keys_of)
    keys = _distinct(every_key)
    key_of = np.searchsorted(keys, every_key)
    numbered_keys = np.searchsorted(dense, keys // 2) * 2 + keys % 2  # the same order as `keys`
    people = _distinct_per_igniter(np.concatenate(pairs), numbered_keys, codes)
    return _ranked(log, weights, sparks, keys.tolist(), key_of, people.tolist(), union, total)


def _figures(
    weights: Weights,
    replies: np.ndarray,
    mentions: np.ndarray,
    people: np.ndarray,
    keywords: np.ndarray,
    joins: np.ndarray,
    volume: np.ndarray,
    expected: np.ndarray,
) -> np.ndarray:
    """The score, by column; `expected` is NaN where there is no baseline (no lift then)."""
    lift = np.nan_to_num(np.maximum(volume - expected, 0.0), nan=0.0)
    return (
        weights.replies * replies
        + weights.mentions * mentions
        + weights.participants * people
        + weights.keywords * keywords
        + weights.joins * joins
        + weights.lift * lift
    )


def _column(values: list) -> np.ndarray:
    """Floats with None as NaN."""
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)


def _ranked(
    log: _Log,
    weights: Weights,
    sparks: Sparks,
    keys: list[int],
    key_of: np.ndarray,
    people: list[int],
    union: list[list],
    total: int,
) -> Measured:
    replies, mentions = np.asarray(sparks.replies), np.asarray(sparks.mentions)
    score = _figures(
        weights,
        replies,
        mentions,
        np.asarray(sparks.participants),
        np.asarray(sparks.keywords),
        np.asarray(sparks.joins),
        np.asarray(sparks.volume, dtype=np.float64),
        _column(sparks.expected),
    )
    sparks.score = score.tolist()
    groups, count = key_of, len(keys)

    def summed(values: np.ndarray | list) -> np.ndarray:
        return np.bincount(groups, weights=np.asarray(values, dtype=np.float64), minlength=count)

    u_volume, u_keywords, u_mentions, u_joins, u_expected = union
    expected_parts = _column(u_expected)
    has_expected = np.bincount(groups, weights=~np.isnan(expected_parts), minlength=count) > 0
    sums = {
        "messages": np.bincount(groups, minlength=count),
        "replies": summed(replies),
        "volume": summed(u_volume),
        "keywords": summed(u_keywords),
        "mentions": summed(u_mentions),
        "joins": summed(u_joins),
        "expected": summed(np.nan_to_num(expected_parts, nan=0.0)),
    }
    order = np.lexsort((-score, groups))  # by igniter, best message first
    best = order[np.r_[True, groups[order][1:] != groups[order][:-1]]]
    best_of = dict(zip(groups[best].tolist(), best.tolist(), strict=True))
    igniters = []
    for k, combined in enumerate(keys):
        member_id, koc = combined // 2, bool(combined % 2)
        expected = float(sums["expected"][k]) if has_expected[k] else None
        igniter = Igniter(
            member_id,
            log.names.get(member_id, ""),
            koc,
            messages=int(sums["messages"][k]),
            replies=int(sums["replies"][k]),
            mentions=int(sums["mentions"][k]),
            volume=int(sums["volume"][k]),
            expected=expected,
            keywords=int(sums["keywords"][k]),
            joins=int(sums["joins"][k]),
            best=sparks[best_of[k]],
            participants=people[k],
        )
        igniter.score = weights.score(
            igniter.replies, igniter.mentions, igniter.participants, igniter.keywords, igniter.joins, igniter.lift
        )
        igniters.append(igniter)
    igniters.sort(key=lambda g: (-g.score, g.member_id))
    return Measured(sparks, [g for g in igniters if g.koc], [g for g in igniters if not g.koc], total, log)


def _mentions(room: _Room, platform_id: str | None, author: int, start: int, end: int) -> int:
    """@mentions of the author by others among the room's positions [start, end): the messages after
    theirs in the window, those logged in the same instant too."""
    if platform_id is None:
        return 0
    marks = room.mentions.get(platform_id)
    if not marks:
        return 0
    lo, hi = bisect_left(marks, (start, -1)), bisect_left(marks, (end, -1))
    return sum(1 for k in range(lo, hi) if marks[k][1] != author)


_EPOCH = datetime(1970, 1, 1)


def aftermath(log: _Log, at: datetime) -> Aftermath:
    """What followed `at` in all the campaign's rooms, over one window."""
    start = at.timestamp()
    volume = keywords = joins = 0
    expected: float | None = None
    people: set[int] = set()
    for room in log.rooms.values():
        lo, hi = bisect_left(room.times, start), bisect_right(room.times, start + log.window)  # from the drop on
        volume += hi - lo
        keywords += room.keyword_sums[hi] - room.keyword_sums[lo]
        people.update(room.members[lo:hi])
        joins += bisect_right(room.joins, start + log.window) - bisect_left(room.joins, start)
        usual = room.expected(start, log.window)
        if usual is not None:
            expected = (expected or 0.0) + usual
    return Aftermath(at, volume, expected, len(people), keywords, joins)


async def measure_campaign(
    conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection, now: datetime
) -> Measured:
    """Read the campaign's log up to now (or its end) and measure all of it."""
    log = await read_log(conn, campaign, section, campaign.measured_until(now))
    return measure(log, Weights.of(section))
