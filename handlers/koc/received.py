"""Thank-yous received per member since a moment (the candidate pool's service signal), counted thank-yous
before revocations; with a `StampedCache`, the whole UTC days of the window are kept while their stamp holds
(`bot.stamped`) and only its two ends are read each time: a day that is over gets no new thank-you."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.stamped import StampedCache, span_stamp
from handlers.recognition.stats import thanks_unit_parts
from handlers.recognition.tables import thanks

DAY = timedelta(days=1)


async def received_since(
    conn: AsyncConnection, since: datetime, now: datetime, kept: StampedCache | None = None
) -> dict[int | None, int]:
    """Counted thank-yous received since `since`, per receiver (None: a thank-you to no member)."""
    first, last = _midnight(since) + DAY, _midnight(now)  # the whole days between `since` and now
    if kept is None or first >= last:
        return await _counted(conn, since, None)
    # One entry, its days in the stamp: the day after, it is replaced, not kept beside (a count per member).
    stamp = (first, last, *(await conn.execute(span_stamp(thanks.c.created_at), {"start": first, "end": last})).one())
    found = dict(await kept.remember("received", stamp, lambda: _counted(conn, first, last)))
    for end in (await _counted(conn, since, first), await _counted(conn, last, None)):
        for member, n in end.items():
            found[member] = found.get(member, 0) + n
    return found


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(), UTC)


@functools.cache
def _counting(bounded: bool) -> Select[Any]:
    """Counted thank-yous per receiver from `start` (until `end`, if `bounded`), built once."""
    where = [thanks.c.created_at >= bindparam("start")]
    if bounded:
        where.append(thanks.c.created_at < bindparam("end"))
    counted, _ = thanks_unit_parts("receiver_id", *where, by_time=True)
    return counted


async def _counted(conn: AsyncConnection, start: datetime, end: datetime | None) -> dict[int | None, int]:
    bound = {"start": start} if end is None else {"start": start, "end": end}
    rows = (await conn.execute(_counting(end is not None), bound)).all()
    return {member: int(n) for member, n in rows}
