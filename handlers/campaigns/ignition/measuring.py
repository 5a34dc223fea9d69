"""A campaign measured: every message's figures, and each member's sums ranked."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.ignition import columns as col
from handlers.campaigns.ignition.figures import Igniter, Measured, Sparks, Weights
from handlers.campaigns.ignition.log import Log, Room
from handlers.campaigns.ignition.reading import read_log
from handlers.campaigns.ignition.room import Columns, measure_room
from handlers.campaigns.store import CampaignView


def measure(log: Log, weights: Weights, *, since: datetime | None = None, before: datetime | None = None) -> Measured:
    """Every message's figures (those posted in [since, before) when given), and each member's sums."""
    with col.bulk():
        return _measure(log, weights, since, before)


@dataclass(slots=True)
class _Numbering:
    """Members numbered 0..n-1, so an (igniter, member) pair fits 32 bits for up to 32,767 members (a quicker sort)."""

    dense: np.ndarray  # member ids, sorted: a member's number is its position
    code_type: type

    @classmethod
    def of(cls, log: Log) -> _Numbering:
        dense = np.asarray(sorted(log.names), dtype=np.int64)
        return cls(dense, np.int32 if 2 * len(dense) * len(dense) < 2**31 else np.int64)

    @property
    def codes(self) -> int:
        return len(self.dense)

    def pairs(self, room: Room, columns: Columns, first: int, last: int) -> np.ndarray:
        """Who took part in each igniter's windows: (igniter, member) codes over the part of each window
        their earlier ones did not cover (made distinct at the end)."""
        covered = col.ranges(columns.starts, columns.ends)
        numbered: np.ndarray = np.searchsorted(self.dense, np.asarray(room.members, dtype=np.int64)).astype(
            self.code_type
        )
        igniter = numbered[first:last] * 2 + np.asarray(columns.koc, dtype=self.code_type)
        repeated = np.repeat(igniter, np.maximum(columns.ends - columns.starts, 0))
        codes: np.ndarray = repeated * self.code_type(self.codes) + numbered[covered]
        return codes


@dataclass(slots=True)
class _Collected:
    """The rooms' measures, put together."""

    sparks: Sparks = field(default_factory=Sparks)
    keys_of: list[np.ndarray] = field(default_factory=list)  # per room, per message: member * 2 + (1 if as a KOC)
    pairs: list[np.ndarray] = field(default_factory=list)  # per room: (igniter, member in their windows) as one number
    union: list[list[Any]] = field(default_factory=lambda: [[], [], [], [], []])  # volume ... expected not yet counted
    total: int = 0  # discussion messages read

    def add(self, log: Log, community_id: int, room: Room, columns: Columns, first: int, last: int) -> None:
        authors = room.members[first:last]
        self.keys_of.append(np.asarray(authors, dtype=np.int64) * 2 + np.asarray(columns.koc, dtype=np.int64))
        _add_sparks(self.sparks, log, community_id, room, columns, first, last)
        for column, values in zip(self.union, columns.union, strict=True):
            column.extend(np.asarray(values).tolist())


def _add_sparks(
    sparks: Sparks, log: Log, community_id: int, room: Room, columns: Columns, first: int, last: int
) -> None:
    ids = room.ids[first:last]
    sparks.participants.extend(columns.participants.tolist())
    sparks.ids.extend(ids)
    sparks.members.extend(room.members[first:last])
    sparks.rooms.extend([community_id] * (last - first))
    sparks.times.extend(room.times[first:last])
    sparks.koc.extend(columns.koc)
    sparks.replies.extend([log.replies.get(i, 0) for i in ids])
    sparks.mentions.extend(columns.mentions)
    sparks.volume.extend((columns.ends - columns.index - 1).tolist())
    sparks.expected.extend([None if e != e else e for e in columns.expected.tolist()])  # NaN: none
    sparks.keywords.extend(columns.keywords)
    sparks.joins.extend(columns.joins.tolist())


def _measure(log: Log, weights: Weights, since: datetime | None, before: datetime | None) -> Measured:
    numbering, collected = _Numbering.of(log), _Collected()
    low = since.timestamp() if since else float("-inf")
    high = before.timestamp() if before else float("inf")
    for community_id, room in log.rooms.items():
        collected.total += len(room.times)
        first, last = bisect_left(room.times, low), bisect_left(room.times, high)
        if first < last:
            columns = measure_room(room, log, first, last)
            collected.add(log, community_id, room, columns, first, last)
            collected.pairs.append(numbering.pairs(room, columns, first, last))
    if not collected.keys_of:
        return Measured(collected.sparks, [], [], collected.total, log)
    every_key = np.concatenate(collected.keys_of)
    keys = col.distinct(every_key)
    numbered_keys = np.searchsorted(numbering.dense, keys // 2) * 2 + keys % 2  # the same order as `keys`
    people = col.distinct_per_igniter(np.concatenate(collected.pairs), numbered_keys, numbering.codes)
    groups = _Groups(np.searchsorted(keys, every_key), keys.tolist(), people.tolist())
    return _ranked(log, weights, collected, groups)


@dataclass(frozen=True, slots=True)
class _Groups:
    """Each message's igniter (its index in `keys`), the igniters (member * 2 + KOC) and their distinct people."""

    of: np.ndarray
    keys: list[int]
    people: list[int]

    def summed(self, values: np.ndarray | list[Any]) -> np.ndarray:
        return np.bincount(self.of, weights=np.asarray(values, dtype=np.float64), minlength=len(self.keys))


def _scores(weights: Weights, sparks: Sparks) -> np.ndarray:
    """Every message's score, by column."""
    return _figures(
        weights,
        np.asarray(sparks.replies),
        np.asarray(sparks.mentions),
        np.asarray(sparks.participants),
        np.asarray(sparks.keywords),
        np.asarray(sparks.joins),
        np.asarray(sparks.volume, dtype=np.float64),
        _column(sparks.expected),
    )


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
    score: np.ndarray = (
        weights.replies * replies
        + weights.mentions * mentions
        + weights.participants * people
        + weights.keywords * keywords
        + weights.joins * joins
        + weights.lift * lift
    )
    return score


def _column(values: list[Any]) -> np.ndarray:
    """Floats with None as NaN."""
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)


def _ranked(log: Log, weights: Weights, collected: _Collected, groups: _Groups) -> Measured:
    sparks = collected.sparks
    score = _scores(weights, sparks)
    sparks.score = score.tolist()
    sums, has_expected = _sums(groups, sparks, collected.union)
    order = np.lexsort((-score, groups.of))  # by igniter, best message first
    best = order[np.r_[True, groups.of[order][1:] != groups.of[order][:-1]]]
    best_of = dict(zip(groups.of[best].tolist(), best.tolist(), strict=True))
    igniters = []
    for k, combined in enumerate(groups.keys):
        member_id = combined // 2
        igniter = Igniter(member_id, log.names.get(member_id, ""), bool(combined % 2))
        for name in ("messages", "replies", "mentions", "volume", "keywords", "joins"):
            setattr(igniter, name, int(sums[name][k]))
        igniter.expected = float(sums["expected"][k]) if has_expected[k] else None
        igniter.best, igniter.participants = sparks[best_of[k]], groups.people[k]
        igniter.score = weights.score(
            igniter.replies, igniter.mentions, igniter.participants, igniter.keywords, igniter.joins, igniter.lift
        )
        igniters.append(igniter)
    igniters.sort(key=lambda g: (-g.score, g.member_id))
    kocs, members = [g for g in igniters if g.koc], [g for g in igniters if not g.koc]
    return Measured(sparks, kocs, members, collected.total, log)


def _sums(groups: _Groups, sparks: Sparks, union: list[list[Any]]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each igniter's sums, over the union of their windows; and whether any of their windows had a usual level."""
    u_volume, u_keywords, u_mentions, u_joins, u_expected = union
    expected_parts = _column(u_expected)
    has_expected = np.bincount(groups.of, weights=~np.isnan(expected_parts), minlength=len(groups.keys)) > 0
    sums = {
        "messages": np.bincount(groups.of, minlength=len(groups.keys)),
        "replies": groups.summed(sparks.replies),
        "volume": groups.summed(u_volume),
        "keywords": groups.summed(u_keywords),
        "mentions": groups.summed(u_mentions),
        "joins": groups.summed(u_joins),
        "expected": groups.summed(np.nan_to_num(expected_parts, nan=0.0)),
    }
    return sums, has_expected


async def measure_campaign(
    conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection, now: datetime
) -> Measured:
    """Read the campaign's log up to now (or its end) and measure all of it."""
    log = await read_log(conn, campaign, section, campaign.measured_until(now))
    return measure(log, Weights.of(section))
