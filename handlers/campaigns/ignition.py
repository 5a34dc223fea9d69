"""Ignition, measured: the discussion each message in a campaign room starts, from the message log.

For a message posted at t in a campaign room, its window is (t, t + window]. Its figures:
- replies: messages quoting it (any time up to now), by others;
- mentions: messages in the window, by others, that @mention its author;
- volume: messages in the room in the window; `expected` is the room's usual number for a
  window at that hour of the day (the baseline: the `baseline_days` before the campaign, per
  local hour, divided by the days the room was observed); lift = volume - expected;
- participants: distinct other members posting in the window;
- keywords: messages in the window, by others, using a campaign keyword;
- joins: members who joined the room in the window.
score = w_replies*replies + w_mentions*mentions + w_participants*participants + w_keywords*keywords
        + w_joins*joins + w_lift*max(0, lift)

A member's figures add up their messages' figures, but count each message of the room once when
their windows overlap (ten messages in a row are not ten times the discussion): volume, keywords,
mentions and joins over the union of their windows, participants as distinct people, expected over
the time the union covers. Commands to the bot and the bot's own messages are not discussion and
count nowhere. A message counts as a KOC's when its author was an active KOC when posting it.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.dialect import hour_bucket
from bot.db.schema import Stage
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.store import CampaignView
from handlers.koc.tables import koc_events

MEASURES = ("score", "participants", "replies", "mentions", "keywords", "joins", "lift")


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
        return cls(section.weight_replies, section.weight_mentions, section.weight_participants,
                   section.weight_keywords, section.weight_joins, section.weight_lift)

    def score(self, replies: int, mentions: int, participants: int, keywords: int, joins: int,
              lift: float | None) -> float:
        return (self.replies * replies + self.mentions * mentions + self.participants * participants
                + self.keywords * keywords + self.joins * joins + self.lift * max(0.0, lift or 0.0))


@dataclass(frozen=True, slots=True)
class Spark:
    """One message's figures."""

    message_id: str  # the platform's
    member_id: int
    community_id: int
    at: datetime
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
    def lift(self) -> float | None:
        return None if self.expected is None else self.volume - self.expected


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
    people: set[int] = field(default_factory=set)

    @property
    def participants(self) -> int:
        return len(self.people)

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

    sparks: list[Spark]
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
    mentions: dict[str, list[tuple[float, int]]] = field(default_factory=dict)  # platform id -> (time, author)
    joins: list[float] = field(default_factory=list)
    hourly: list[float] | None = None  # usual messages per hour, by local hour; None: no baseline

    def expected(self, start: float, seconds: float) -> float | None:
        if self.hourly is None:
            return None
        hour = datetime.fromtimestamp(start, self.zone).hour
        return self.hourly[hour] * seconds / 3600


@dataclass(slots=True)
class _Log:
    rooms: dict[int, _Room]
    authors: dict[str, int]  # platform message id -> its author
    replies: dict[str, int]  # platform message id -> replies by others
    platform_ids: dict[int, str]  # member id -> platform id
    names: dict[int, str]
    koc_spans: dict[int, list[tuple[float, bool]]]  # member id -> (from, is an active KOC) in time order
    window: float  # seconds

    def is_koc(self, member_id: int, at: float) -> bool:
        spans = self.koc_spans.get(member_id)
        if not spans:
            return False
        index = bisect_right(spans, (at, True)) - 1  # the last change at or before `at` (the first is at -inf)
        return index >= 0 and spans[index][1]


def _discussion(messages: object) -> object:
    """Commands to the bot are not discussion."""
    return or_(messages.c.routed_to.is_(None), messages.c.routed_to.not_like("/%"))  # type: ignore[attr-defined]


async def bot_members(conn: AsyncConnection, rooms: Iterable[str], since: datetime) -> set[int]:
    """The bot's own members: the authors of logged messages the outbox sent (their echoes)."""
    m, o = schema.messages, schema.outbox
    rows = await conn.execute(
        select(m.c.member_id).distinct().join(o, o.c.platform_msg_id == m.c.platform_msg_id)
        .where(o.c.room_platform_id.in_(list(rooms)), o.c.sent_at >= since))
    return {row.member_id for row in rows}


async def read_log(conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection,
                   until: datetime) -> _Log:
    """Everything ignition needs from the database, in a handful of queries."""
    m = schema.messages
    room_ids = [room.community_id for room in campaign.rooms]
    bots = await bot_members(conn, [room.platform_id for room in campaign.rooms], campaign.starts_at)
    not_bot = m.c.member_id.not_in(bots) if bots else True
    keyword = or_(*[m.c.text.icontains(word, autoescape=True) for word in campaign.keywords]) \
        if campaign.keywords else false()
    mentions_text = cast(m.c.mentions, String)
    rooms = {room.community_id: _Room(ZoneInfo(room.timezone or campaign.timezone)) for room in campaign.rooms}
    authors: dict[str, int] = {}
    quotes: list[tuple[str, int]] = []
    rows = await conn.execute(
        select(m.c.platform_msg_id, m.c.community_id, m.c.member_id, m.c.received_at, m.c.quote_msg_id,
               case((mentions_text == "[]", None), else_=mentions_text).label("mentions"),
               case((keyword, 1), else_=0).label("keyword"))
        .where(m.c.community_id.in_(room_ids), m.c.received_at >= campaign.starts_at, m.c.received_at < until,
               _discussion(m), not_bot)
        .order_by(m.c.community_id, m.c.received_at, m.c.id))
    for msg_id, community_id, member_id, received_at, quote_id, mentioned, is_keyword in rows:
        room = rooms[community_id]
        at = received_at.timestamp()
        room.times.append(at)
        room.members.append(member_id)
        room.ids.append(msg_id)
        room.keyword_sums.append(room.keyword_sums[-1] + is_keyword)
        authors[msg_id] = member_id
        if quote_id is not None:
            quotes.append((quote_id, member_id))
        if mentioned is not None:
            for platform_id in json.loads(mentioned):
                room.mentions.setdefault(platform_id, []).append((at, member_id))
    replies: dict[str, int] = defaultdict(int)
    for quoted, by in quotes:
        author = authors.get(quoted)
        if author is not None and author != by:
            replies[quoted] += 1
    await _read_joins(conn, rooms, campaign.starts_at, until)
    await _read_baseline(conn, rooms, campaign, section, not_bot)
    members = {member for room in rooms.values() for member in room.members}
    platform_ids, names, stages = await _read_members(conn, members)
    return _Log(rooms, authors, replies, platform_ids, names, await _koc_spans(conn, stages),
                section.window_minutes * 60.0)


async def _read_joins(conn: AsyncConnection, rooms: dict[int, _Room], since: datetime, until: datetime) -> None:
    ms = schema.memberships
    rows = await conn.execute(select(ms.c.community_id, ms.c.joined_at).where(
        ms.c.community_id.in_(list(rooms)), ms.c.join_seen, ms.c.joined_at >= since, ms.c.joined_at < until))
    for community_id, joined_at in rows:
        rooms[community_id].joins.append(joined_at.timestamp())
    for room in rooms.values():
        room.joins.sort()


async def _read_baseline(conn: AsyncConnection, rooms: dict[int, _Room], campaign: CampaignView,
                         section: CampaignsSection, not_bot: object) -> None:
    """Each room's usual messages per hour at each local hour, over the days before the campaign it
    was observed (from its first logged message, at most `baseline_days`)."""
    m = schema.messages
    start = campaign.starts_at - timedelta(days=section.baseline_days)
    first_seen = dict((await conn.execute(
        select(m.c.community_id, func.min(m.c.received_at)).where(m.c.community_id.in_(list(rooms)))
        .group_by(m.c.community_id))).all())
    bucket = hour_bucket(conn, m.c.received_at).label("bucket")
    counts = await conn.execute(
        select(m.c.community_id, bucket, func.count()).where(
            m.c.community_id.in_(list(rooms)), m.c.received_at >= start, m.c.received_at < campaign.starts_at,
            _discussion(m), not_bot)  # type: ignore[arg-type]
        .group_by(m.c.community_id, bucket))
    by_hour: dict[int, list[int]] = defaultdict(lambda: [0] * 24)
    for community_id, hour, count in counts:
        utc = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        by_hour[community_id][utc.astimezone(rooms[community_id].zone).hour] += count
    for community_id, room in rooms.items():
        seen = first_seen.get(community_id)
        if seen is None:
            continue
        days = min(float(section.baseline_days), (campaign.starts_at - max(seen, start)).total_seconds() / 86400)
        if days >= 1:  # less than a day of history says nothing about the usual rate at each hour
            room.hourly = [count / days for count in by_hour[community_id]]


async def _read_members(conn: AsyncConnection, member_ids: set[int]
                        ) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    members = schema.members
    platform_ids, names, stages = {}, {}, {}
    ids = sorted(member_ids)
    for offset in range(0, len(ids), 5000):  # bounded IN lists
        rows = await conn.execute(select(members.c.id, members.c.platform_id, members.c.display_name,
                                         members.c.stage).where(members.c.id.in_(ids[offset:offset + 5000])))
        for row in rows:
            platform_ids[row.id], names[row.id], stages[row.id] = row.platform_id, row.display_name, row.stage
    return platform_ids, names, stages


async def _koc_spans(conn: AsyncConnection, stages: dict[int, str]) -> dict[int, list[tuple[float, bool]]]:
    """When each member was an active KOC, from the lifecycle's events (their stage now if none)."""
    rows = await conn.execute(
        select(koc_events.c.member_id, koc_events.c.at, koc_events.c.from_stage, koc_events.c.to_stage)
        .where(koc_events.c.to_stage.is_not(None)).order_by(koc_events.c.member_id, koc_events.c.at, koc_events.c.id))
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


def measure(log: _Log, weights: Weights, *, since: datetime | None = None, before: datetime | None = None) -> Measured:
    """Every message's figures (those posted in [since, before) when given), and each member's sums."""
    window = log.window
    sparks: list[Spark] = []
    igniters: dict[tuple[int, bool], Igniter] = {}
    covered: dict[tuple[int, int], tuple[int, float]] = {}  # (member, room) -> (last index counted, its time)
    total = 0
    low = since.timestamp() if since else float("-inf")
    high = before.timestamp() if before else float("inf")
    for community_id, room in log.rooms.items():
        times, members, ids, sums = room.times, room.members, room.ids, room.keyword_sums
        total += len(times)
        first, last = bisect_left(times, low), bisect_left(times, high)
        for i in range(first, last):
            at, author = times[i], members[i]
            end = bisect_right(times, at + window, lo=i + 1)
            people = {members[k] for k in range(i + 1, end)}
            people.discard(author)
            own_keywords = sum(1 for k in range(i + 1, end) if members[k] == author and sums[k + 1] > sums[k])
            keywords = sums[end] - sums[i + 1] - own_keywords
            mentions = _mentions(room, log.platform_ids.get(author), author, at, at + window)
            joins = bisect_right(room.joins, at + window) - bisect_right(room.joins, at)
            expected = room.expected(at, window)
            volume = end - i - 1
            replies = log.replies.get(ids[i], 0)
            koc = log.is_koc(author, at)
            score = weights.score(replies, mentions, len(people), keywords, joins,
                                  None if expected is None else volume - expected)
            spark = Spark(ids[i], author, community_id, datetime.fromtimestamp(at, UTC), koc, replies, mentions,
                          volume, expected, len(people), keywords, joins, score)
            sparks.append(spark)
            igniter = igniters.get((author, koc))
            if igniter is None:
                igniter = igniters[(author, koc)] = Igniter(author, log.names.get(author, ""), koc)
            _add(igniter, spark, room, covered, (author, community_id), i, end, people, window,
                 log.platform_ids.get(author))
    for igniter in igniters.values():
        igniter.score = weights.score(igniter.replies, igniter.mentions, igniter.participants, igniter.keywords,
                                      igniter.joins, igniter.lift)
    ranked = sorted(igniters.values(), key=lambda g: (-g.score, g.member_id))
    return Measured(sparks, [g for g in ranked if g.koc], [g for g in ranked if not g.koc], total, log)


def _mentions(room: _Room, platform_id: str | None, author: int, start: float, end: float) -> int:
    """@mentions of the author by others in (start, end]."""
    if platform_id is None:
        return 0
    marks = room.mentions.get(platform_id)
    if not marks:
        return 0
    lo, hi = bisect_right(marks, (start, float("inf"))), bisect_right(marks, (end, float("inf")))
    return sum(1 for k in range(lo, hi) if marks[k][1] != author)


def _add(igniter: Igniter, spark: Spark, room: _Room, covered: dict[tuple[int, int], tuple[int, float]],
         key: tuple[int, int], i: int, end: int, people: set[int], window: float, platform_id: str | None) -> None:
    """Add a message to its author's sums, counting only the part of its window not counted yet."""
    igniter.messages += 1
    igniter.replies += spark.replies
    igniter.people |= people
    if igniter.best is None or spark.score > igniter.best.score:
        igniter.best = spark
    at = room.times[i]
    last_index, last_time = covered.get(key, (i, at))
    start_index = max(i + 1, last_index)
    start_time = max(at, last_time)
    new_end_time = at + window
    if end > start_index:
        author = spark.member_id
        members, sums = room.members, room.keyword_sums
        igniter.volume += end - start_index
        igniter.keywords += sum(1 for k in range(start_index, end) if members[k] != author and sums[k + 1] > sums[k])
    if new_end_time > start_time:
        igniter.mentions += _mentions(room, platform_id, spark.member_id, start_time, new_end_time)
        igniter.joins += bisect_right(room.joins, new_end_time) - bisect_right(room.joins, start_time)
        expected = room.expected(start_time, new_end_time - start_time)
        if expected is not None:
            igniter.expected = (igniter.expected or 0.0) + expected
    covered[key] = (max(end, start_index), max(new_end_time, start_time))


def aftermath(log: _Log, at: datetime) -> Aftermath:
    """What followed `at` in all the campaign's rooms, over one window."""
    start = at.timestamp()
    volume = keywords = joins = 0
    expected: float | None = None
    people: set[int] = set()
    for room in log.rooms.values():
        lo, hi = bisect_right(room.times, start), bisect_right(room.times, start + log.window)
        volume += hi - lo
        keywords += room.keyword_sums[hi] - room.keyword_sums[lo]
        people.update(room.members[lo:hi])
        joins += bisect_right(room.joins, start + log.window) - bisect_right(room.joins, start)
        usual = room.expected(start, log.window)
        if usual is not None:
            expected = (expected or 0.0) + usual
    return Aftermath(at, volume, expected, len(people), keywords, joins)


async def measure_campaign(conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection,
                           now: datetime, *, since: datetime | None = None,
                           before: datetime | None = None) -> Measured:
    """Read the campaign's log up to now (or its end) and measure it."""
    log = await read_log(conn, campaign, section, campaign.measured_until(now))
    return measure(log, Weights.of(section), since=since, before=before)
