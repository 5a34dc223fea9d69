"""The campaign's message log as ignition reads it: each room's messages by column, and what followed a moment."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.campaigns.ignition.figures import Aftermath

EPOCH = datetime(1970, 1, 1)


@dataclass(slots=True)
class Room:
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
class Log:
    rooms: dict[int, Room]
    replies: dict[str, int]  # platform message id -> replies by others
    platform_ids: dict[int, str]  # member id -> platform id
    names: dict[int, str]
    koc_spans: dict[int, list[tuple[float, bool]]]  # member id -> (from, is an active KOC) in time order
    window: float  # seconds


def koc_at(spans: list[tuple[float, bool]], at: float) -> bool:
    index = bisect_right(spans, (at, True)) - 1  # the last change at or before `at` (the first is at -inf)
    return index >= 0 and spans[index][1]


def aftermath(log: Log, at: datetime) -> Aftermath:
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
