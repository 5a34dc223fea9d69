"""A campaign measured: every message's figures, and each member's sums ranked."""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.ignition import columns as col
from handlers.campaigns.ignition.figures import Igniter, Measured, Sparks, Weights
from handlers.campaigns.ignition.log import Log
from handlers.campaigns.ignition.reading import read_log
from handlers.campaigns.ignition.room import measure_room
from handlers.campaigns.store import CampaignView


def measure(log: Log, weights: Weights, *, since: datetime | None = None, before: datetime | None = None) -> Measured:
    """Every message's figures (those posted in [since, before) when given), and each member's sums."""
    with col.bulk():
        return _measure(log, weights, since, before)


def _measure(log: Log, weights: Weights, since: datetime | None, before: datetime | None) -> Measured:
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
        columns = measure_room(room, log, first, last)
        authors = room.members[first:last]
        combined = np.asarray(authors, dtype=np.int64) * 2 + np.asarray(columns.koc, dtype=np.int64)
        keys_of.append(combined)
        # Who took part in each igniter's windows: (igniter, member) codes over the part of each window
        # their earlier ones did not cover, made distinct at the end.
        covered = col.ranges(columns.starts, columns.ends)
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
    keys = col.distinct(every_key)
    key_of = np.searchsorted(keys, every_key)
    numbered_keys = np.searchsorted(dense, keys // 2) * 2 + keys % 2  # the same order as `keys`
    people = col.distinct_per_igniter(np.concatenate(pairs), numbered_keys, codes)
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
    log: Log,
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


async def measure_campaign(
    conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection, now: datetime
) -> Measured:
    """Read the campaign's log up to now (or its end) and measure all of it."""
    log = await read_log(conn, campaign, section, campaign.measured_until(now))
    return measure(log, Weights.of(section))
