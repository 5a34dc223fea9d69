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

import json
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import String, case, cast, false, func, or_, select
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
        return Spark(self.ids[i], self.members[i], self.rooms[i], self.times[i], self.koc[i], self.replies[i],
                     self.mentions[i], self.volume[i], self.expected[i], self.participants[i], self.keywords[i],
                     self.joins[i], self.score[i])

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
    mentions: dict[str, list[tuple[float, int]]] = field(default_factory=dict)  # platform id -> (time, author)
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
    authors: dict[str, int]  # platform message id -> its author
    replies: dict[str, int]  # platform message id -> replies by others
    platform_ids: dict[int, str]  # member id -> platform id
    names: dict[int, str]
    koc_spans: dict[int, list[tuple[float, bool]]]  # member id -> (from, is an active KOC) in time order
    window: float  # seconds

    def is_koc(self, member_id: int, at: float) -> bool:
        spans = self.koc_spans.get(member_id)
        return spans is not None and _koc_at(spans, at)


def _koc_at(spans: list[tuple[float, bool]], at: float) -> bool:
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
        select(m.c.platform_msg_id, m.c.community_id, m.c.member_id, cast(m.c.received_at, String),
               m.c.quote_msg_id,
               case((mentions_text == "[]", None), else_=mentions_text).label("mentions"),
               case((keyword, 1), else_=0).label("keyword"))
        .where(m.c.community_id.in_(room_ids), m.c.received_at >= campaign.starts_at, m.c.received_at < until,
               _discussion(m), not_bot)
        .order_by(m.c.community_id, m.c.received_at, m.c.id))
    parse = datetime.fromisoformat
    for msg_id, community_id, member_id, stamp, quote_id, mentioned, is_keyword in rows:
        room = rooms[community_id]
        at = (parse(stamp) - _EPOCH).total_seconds()  # the stored naive UTC as text: 5x cheaper than datetimes
        if is_keyword:
            room.keyword_at.setdefault(member_id, []).append(len(room.times))
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


def _room_arrays(room: _Room, window: float) -> tuple[list[int], list[int], list[int], list[float] | None]:
    """For every message of the room at once: the end of its window (an index), the keyword messages
    and the joins in it, and the room's usual number of messages for it (None: no baseline)."""
    times = np.asarray(room.times, dtype=np.float64)
    ends = np.searchsorted(times, times + window, side="right")
    sums = np.asarray(room.keyword_sums, dtype=np.int64)
    keywords = sums[ends] - sums[np.arange(1, len(times) + 1)]
    if room.joins:
        joins_at = np.asarray(room.joins, dtype=np.float64)
        # A join at the very instant of the message counts as following it (the playground's clock stands still).
        joins = np.searchsorted(joins_at, times + window, side="right") - np.searchsorted(joins_at, times, side="left")
    else:
        joins = np.zeros(len(times), dtype=np.int64)
    expected = None
    if room.hourly is not None and len(times):
        utc_hours = (times // 3600).astype(np.int64)
        unique, positions = np.unique(utc_hours, return_inverse=True)
        local = np.asarray([room.local_hour(int(h)) for h in unique], dtype=np.int64)[positions]
        expected = (np.asarray(room.hourly)[local] * (window / 3600)).tolist()
    return ends.tolist(), keywords.tolist(), joins.tolist(), expected


def measure(log: _Log, weights: Weights, *, since: datetime | None = None, before: datetime | None = None) -> Measured:
    """Every message's figures (those posted in [since, before) when given), and each member's sums.

    Per room, what is plain arithmetic over the message times (window ends, keyword and join counts,
    the usual rate) is computed for all messages at once; one loop adds what needs each message (who
    took part, the author's own keywords and mentions, the part of the window the author's earlier
    ones did not cover); the scores and the members' sums are then added up by column."""
    window = log.window
    sparks = Sparks()
    keys: dict[int, int] = {}  # member * 2 + (1 if as a KOC) -> igniter number
    key_of: list[int] = []  # per message
    people_of: list[set[int]] = []  # per igniter
    union: list[list] = [[], [], [], [], []]  # per message: volume, keywords, mentions, joins, expected not yet counted
    total = 0
    low = since.timestamp() if since else float("-inf")
    high = before.timestamp() if before else float("inf")
    platform_ids, replies_of, koc_spans = log.platform_ids, log.replies, log.koc_spans
    for community_id, room in log.rooms.items():
        times, members, ids, joins_at = room.times, room.members, room.ids, room.joins
        total += len(times)
        first, last = bisect_left(times, low), bisect_left(times, high)
        if first == last:
            continue
        ends, keyword_counts, join_counts, usual = _room_arrays(room, window)
        own_keywords, marks_of = room.keyword_at, room.mentions
        covered: dict[int, tuple[int, float]] = {}  # author -> (first index not counted yet, time counted up to)
        u_volume, u_keywords, u_mentions, u_joins, u_expected = union
        for i in range(first, last):
            at, author, end = times[i], members[i], ends[i]
            until = at + window
            people = set(members[i + 1:end])
            people.discard(author)
            keywords = keyword_counts[i]
            if keywords and author in own_keywords:
                keywords = room.keywords_by_others(i + 1, end, author)
            platform_id = platform_ids.get(author)
            mentions = _mentions(room, platform_id, author, at, until) if platform_id in marks_of else 0
            joins = join_counts[i]
            expected = None if usual is None else usual[i]
            spans = koc_spans.get(author)
            koc = spans is not None and _koc_at(spans, at)
            key = keys.get(author * 2 + koc)
            if key is None:
                key = keys[author * 2 + koc] = len(people_of)
                people_of.append(set())
            if people:
                people_of[key] |= people
            key_of.append(key)
            sparks.koc.append(koc)
            sparks.replies.append(replies_of.get(ids[i], 0))
            sparks.mentions.append(mentions)
            sparks.expected.append(expected)
            sparks.participants.append(len(people))
            sparks.keywords.append(keywords)
            sparks.joins.append(joins)
            # The author's sums count only the part of this window their earlier windows did not cover.
            done = covered.get(author)
            if done is None or done[1] <= at:
                u_volume.append(end - i - 1)
                u_keywords.append(keywords)
                u_mentions.append(mentions)
                u_joins.append(joins)
                u_expected.append(expected)
                covered[author] = (end, until)
                continue
            done_index, done_time = done
            start = max(i + 1, done_index)
            u_volume.append(max(end - start, 0))
            u_keywords.append(room.keywords_by_others(start, end, author) if keywords and end > start else 0)
            u_mentions.append(_mentions(room, platform_id, author, done_time, until) if mentions else 0)
            u_joins.append(bisect_right(joins_at, until) - bisect_right(joins_at, done_time) if joins else 0)
            u_expected.append(room.expected(done_time, until - done_time))
            covered[author] = (max(end, done_index), until)
        sparks.ids.extend(ids[first:last])
        sparks.members.extend(members[first:last])
        sparks.rooms.extend([community_id] * (last - first))
        sparks.times.extend(times[first:last])
        sparks.volume.extend([ends[i] - i - 1 for i in range(first, last)])
    return _ranked(log, weights, sparks, keys, key_of, people_of, union, total)


def _figures(weights: Weights, replies: np.ndarray, mentions: np.ndarray, people: np.ndarray, keywords: np.ndarray,
             joins: np.ndarray, volume: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The score, by column; `expected` is NaN where there is no baseline (no lift then)."""
    lift = np.nan_to_num(np.maximum(volume - expected, 0.0), nan=0.0)
    return (weights.replies * replies + weights.mentions * mentions + weights.participants * people
            + weights.keywords * keywords + weights.joins * joins + weights.lift * lift)


def _column(values: list, dtype: type = np.float64) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in values] if dtype is np.float64 else values, dtype=dtype)


def _ranked(log: _Log, weights: Weights, sparks: Sparks, keys: dict[int, int], key_of: list[int],
            people_of: list[set[int]], union: list[list], total: int) -> Measured:
    if not sparks.ids:
        return Measured(sparks, [], [], total, log)
    replies, mentions = np.asarray(sparks.replies), np.asarray(sparks.mentions)
    score = _figures(weights, replies, mentions, np.asarray(sparks.participants), np.asarray(sparks.keywords),
                     np.asarray(sparks.joins), np.asarray(sparks.volume, dtype=np.float64), _column(sparks.expected))
    sparks.score = score.tolist()
    groups, count = np.asarray(key_of), len(people_of)

    def summed(values: np.ndarray | list) -> np.ndarray:
        return np.bincount(groups, weights=np.asarray(values, dtype=np.float64), minlength=count)

    u_volume, u_keywords, u_mentions, u_joins, u_expected = union
    expected_parts = _column(u_expected)
    has_expected = np.bincount(groups, weights=~np.isnan(expected_parts), minlength=count) > 0
    sums = {"messages": np.bincount(groups, minlength=count), "replies": summed(replies),
            "volume": summed(u_volume), "keywords": summed(u_keywords), "mentions": summed(u_mentions),
            "joins": summed(u_joins), "expected": summed(np.nan_to_num(expected_parts, nan=0.0))}
    order = np.lexsort((-score, groups))  # by igniter, best message first
    best = order[np.r_[True, groups[order][1:] != groups[order][:-1]]]
    best_of = dict(zip(groups[best].tolist(), best.tolist(), strict=True))
    igniters = []
    for combined, k in keys.items():
        member_id, koc = combined // 2, bool(combined % 2)
        expected = float(sums["expected"][k]) if has_expected[k] else None
        igniter = Igniter(member_id, log.names.get(member_id, ""), koc, messages=int(sums["messages"][k]),
                          replies=int(sums["replies"][k]), mentions=int(sums["mentions"][k]),
                          volume=int(sums["volume"][k]), expected=expected, keywords=int(sums["keywords"][k]),
                          joins=int(sums["joins"][k]), best=sparks[best_of[k]], people=people_of[k])
        igniter.score = weights.score(igniter.replies, igniter.mentions, igniter.participants, igniter.keywords,
                                      igniter.joins, igniter.lift)
        igniters.append(igniter)
    igniters.sort(key=lambda g: (-g.score, g.member_id))
    return Measured(sparks, [g for g in igniters if g.koc], [g for g in igniters if not g.koc], total, log)


def _mentions(room: _Room, platform_id: str | None, author: int, start: float, end: float) -> int:
    """@mentions of the author by others in (start, end]."""
    if platform_id is None:
        return 0
    marks = room.mentions.get(platform_id)
    if not marks:
        return 0
    lo, hi = bisect_right(marks, (start, _LAST)), bisect_right(marks, (end, _LAST))
    return sum(1 for k in range(lo, hi) if marks[k][1] != author)


_LAST = float("inf")
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


async def measure_campaign(conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection,
                           now: datetime, *, since: datetime | None = None,
                           before: datetime | None = None) -> Measured:
    """Read the campaign's log up to now (or its end) and measure it."""
    log = await read_log(conn, campaign, section, campaign.measured_until(now))
    return measure(log, Weights.of(section), since=since, before=before)
