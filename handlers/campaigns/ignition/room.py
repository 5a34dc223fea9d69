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


def measure_room(room: Room, log: Log, first: int, last: int) -> Columns:
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
    participants = col.participants(members, every_end)[first:last]
    sums = np.asarray(room.keyword_sums, dtype=np.int64)
    keywords = sums[ends] - sums[index + 1]
    joins_at = np.asarray(room.joins, dtype=np.float64)
    # A join at the very instant of the message counts as following it (the playground's clock stands still).
    joins = np.searchsorted(joins_at, until, side="right") - np.searchsorted(joins_at, at, side="left")
    expected = col.usual(room, at, window)
    author_list, stamps = room.members[first:last], room.times[first:last]
    ends_list = ends.tolist()
    # The author's own keyword messages in the window are not counted: only where they wrote some.
    for j in col.where((keywords > 0) & np.isin(authors, list(room.keyword_at))):
        keywords[j] = room.keywords_by_others(first + j + 1, ends_list[j], author_list[j])
    # Mentions of the author: only for authors someone mentioned in this room.
    pids = log.platform_ids
    mentioned = [member for member, pid in pids.items() if pid in room.mentions]
    mentions = np.zeros(last - first, dtype=np.int64)
    for j in col.where(np.isin(authors, mentioned)):
        mentions[j] = _mentions(room, pids[author_list[j]], author_list[j], first + j + 1, ends_list[j])
    koc = np.zeros(last - first, dtype=bool)
    spans = log.koc_spans
    for j in col.where(np.isin(authors, list(spans))):
        koc[j] = koc_at(spans[author_list[j]], stamps[j])
    # A member's sums count a stretch of conversation once: where the author's previous message's
    # window still runs, only the rest of this one is new (window ends only grow with time).
    prev = col.previous_by_same(authors)
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
        u_expected[overlap] = col.usual(room, done_until[overlap], until[overlap] - done_until[overlap])
        starts = start.tolist()
        for j in col.where(overlap):
            u_keywords[j] = (
                room.keywords_by_others(starts[j], ends_list[j], author_list[j])
                if keywords[j] and ends_list[j] > starts[j]
                else 0
            )
            u_mentions[j] = (
                _mentions(room, pids.get(author_list[j]), author_list[j], starts[j], ends_list[j]) if mentions[j] else 0
            )
    return Columns(
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
