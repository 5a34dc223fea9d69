"""One room's messages measured at once: each message's figures, and what its author's earlier windows left uncounted."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from handlers.campaigns.ignition import columns as col
from handlers.campaigns.ignition.log import Log, Room, koc_at


@dataclass(slots=True)
class Columns:
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


@dataclass(slots=True)
class _Span:
    """The messages [first, last) of a room, with what every figure of theirs reads."""

    room: Room
    log: Log
    first: int
    last: int
    index: np.ndarray  # their positions
    at: np.ndarray  # when each was posted
    ends: np.ndarray  # the end of each window (exclusive position)
    authors: np.ndarray
    joins_at: np.ndarray

    @classmethod
    def of(cls, room: Room, log: Log, first: int, last: int, every_end: np.ndarray) -> _Span:
        return cls(
            room,
            log,
            first,
            last,
            np.arange(first, last),
            np.asarray(room.times[first:last], dtype=np.float64),
            every_end[first:last],
            np.asarray(room.members[first:last], dtype=np.int64),
            np.asarray(room.joins, dtype=np.float64),
        )

    @property
    def until(self) -> np.ndarray:
        return self.at + self.log.window

    def author(self, j: int) -> int:
        return self.room.members[self.first + j]

    def joins_between(self, low: np.ndarray, high: np.ndarray, *, from_low: bool) -> np.ndarray:
        """Joins in [low, high] (from_low) or (low, high]."""
        lows = np.searchsorted(self.joins_at, low, side="left" if from_low else "right")
        return np.searchsorted(self.joins_at, high, side="right") - lows


def measure_room(room: Room, log: Log, first: int, last: int) -> Columns:
    """Every message in [first, last) of one room: what is arithmetic over the times is done for all
    of them at once (numpy); what needs the message itself (the author's own keywords, mentions of
    the author, their KOC stage at the time) only for the messages where it can matter."""
    times = np.asarray(room.times, dtype=np.float64)
    members = np.asarray(room.members, dtype=np.int64)
    every_end = np.searchsorted(times, times + log.window, side="right")
    span = _Span.of(room, log, first, last, every_end)
    keywords = _keywords(span, span.index + 1, span.ends)
    mentions = _mentions_in(span, span.index + 1, np.ones(last - first, dtype=bool))
    # A join at the very instant of the message counts as following it (the playground's clock stands still).
    joins = span.joins_between(span.at, span.until, from_low=True)
    expected = col.usual(room, span.at, log.window)
    start, union = _union(span, keywords, mentions, joins, expected)
    return Columns(
        span.index,
        span.ends,
        keywords.tolist(),
        mentions.tolist(),
        joins,
        expected,
        _koc(span).tolist(),
        col.participants(members, every_end)[first:last],
        start,
        union,
    )


def _keywords(span: _Span, starts: np.ndarray, ends: np.ndarray, wanted: np.ndarray | None = None) -> np.ndarray:
    """Keyword messages in each window [starts, ends), the author's own left out (looked up only where
    they wrote some, and where `wanted`)."""
    sums = np.asarray(span.room.keyword_sums, dtype=np.int64)
    keywords: np.ndarray = sums[ends] - sums[starts]
    begin, end = starts.tolist(), ends.tolist()
    candidates = (keywords > 0) & np.isin(span.authors, list(span.room.keyword_at))
    for j in col.where(candidates if wanted is None else candidates & wanted):
        keywords[j] = span.room.keywords_by_others(begin[j], end[j], span.author(j)) if end[j] > begin[j] else 0
    return keywords


def _mentions_in(span: _Span, starts: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """@mentions of each author by others in [starts, window end): only for authors someone mentioned
    in this room, and where `wanted`."""
    pids = span.log.platform_ids
    mentioned = [member for member, pid in pids.items() if pid in span.room.mentions]
    mentions = np.zeros(span.last - span.first, dtype=np.int64)
    begin, end = starts.tolist(), span.ends.tolist()
    for j in col.where(wanted & np.isin(span.authors, mentioned)):
        mentions[j] = _mentions(span.room, pids.get(span.author(j)), span.author(j), begin[j], end[j])
    return mentions


def _koc(span: _Span) -> np.ndarray:
    """Whether each author was an active KOC when posting."""
    koc = np.zeros(span.last - span.first, dtype=bool)
    spans, stamps = span.log.koc_spans, span.room.times
    for j in col.where(np.isin(span.authors, list(spans))):
        koc[j] = koc_at(spans[span.author(j)], stamps[span.first + j])
    return koc


def _union(
    span: _Span, keywords: np.ndarray, mentions: np.ndarray, joins: np.ndarray, expected: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, list[int], list[int], np.ndarray, np.ndarray]]:
    """A member's sums count a stretch of conversation once: where the author's previous message's
    window still runs, only the rest of this one is new (window ends only grow with time). Returns
    where each new part starts, and volume, keywords, mentions, joins and expected over it."""
    at, ends, window = span.at, span.ends, span.log.window
    prev = col.previous_by_same(span.authors)
    has_prev = prev >= 0
    done_until = np.where(has_prev, at[np.maximum(prev, 0)] + window, -np.inf)
    overlap = has_prev & (done_until > at)
    start = np.maximum(span.index + 1, np.where(overlap, ends[np.maximum(prev, 0)], 0))
    u_volume = np.where(overlap, np.maximum(ends - start, 0), ends - span.index - 1)
    u_joins = np.where(overlap, span.joins_between(done_until, span.until, from_low=False), joins)
    u_expected, u_keywords, u_mentions = expected.copy(), keywords.copy(), mentions.copy()
    if overlap.any():
        u_expected[overlap] = col.usual(span.room, done_until[overlap], span.until[overlap] - done_until[overlap])
        again = _keywords(span, start, ends, overlap & (keywords > 0))
        u_keywords[overlap] = np.where(keywords > 0, again, 0)[overlap]
        u_mentions[overlap] = _mentions_in(span, start, overlap & (mentions > 0))[overlap]
    return start, (u_volume, u_keywords.tolist(), u_mentions.tolist(), u_joins, u_expected)


def _mentions(room: Room, platform_id: str | None, author: int, start: int, end: int) -> int:
    """@mentions of the author by others among the room's positions [start, end): the messages after
    theirs in the window, those logged in the same instant too."""
    if platform_id is None:
        return 0
    marks = room.mentions.get(platform_id)
    if not marks:
        return 0
    lo, hi = bisect_left(marks, (start, -1)), bisect_left(marks, (end, -1))
    return sum(1 for k in range(lo, hi) if marks[k][1] != author)
