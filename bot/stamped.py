"""Counts over a stretch of time that is over, kept across the console's visits while what they were counted
from holds.

Messages and thank-yous are logged once, stamped with the moment they arrived, and never changed in what
these counts read after (erasure redacts texts and keeps the rows; retention only deletes). So a count over a
stretch that is over (a finished month, the whole days of the KOC pool's window) is kept with a stamp of its
rows (how many, where they begin and end), read again on every visit from an index, and counted afresh
whenever the stamp differs. Names and anything a moderator can change later are never kept.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, func, select

KEPT = 48  # counts remembered: a few kinds of count for the console's recent months and days

T = TypeVar("T")


@functools.cache
def span_stamp(column: Any) -> Select[Any]:
    """The usual stamp of the rows whose `column` (a time) is from `start` to `end` (bound at each call): how
    many, the first and last moments, one pass over an index on `column`; built once per column."""
    where = (column >= bindparam("start"), column < bindparam("end"))
    first = select(func.min(column)).where(*where).scalar_subquery()
    last = select(func.max(column)).where(*where).scalar_subquery()
    return select(func.count(), first, last).where(*where)


class StampedCache:
    """Counts by key (what was counted, over which stretch, in which rooms), each valid while its stamp holds."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._found: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()

    async def remember(self, key: Hashable, stamp: Hashable, count: Callable[[], Awaitable[T]]) -> T:
        """The count kept under `key` if it was made with the same `stamp`; else `count()`, kept."""
        found = self._found.get(key)
        if found is not None and found[0] == stamp:
            self._found.move_to_end(key)
            value: T = found[1]
            return value
        value = await count()
        self._found[key] = (stamp, value)
        self._found.move_to_end(key)
        while len(self._found) > self._kept:
            self._found.popitem(last=False)
        return value
