"""Thank-yous received per member since a moment (the candidate pool's service signal), counted thank-yous
before revocations; with a `StampedCache`, the whole UTC days of the window are kept while their stamp holds
(`bot.stamped`) and only its two ends are read each time: a day that is over gets no new thank-you."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.stamped import StampedCache
from handlers.recognition.stats import thanks_unit_parts
from handlers.recognition.tables import thanks

DAY = timedelta(days=1)


async def received_since(
    conn: AsyncConnection, since: datetime, now: datetime, kept: StampedCache | None = None
) -> dict[int | None, int]:
    """Counted thank-yous received since `since`, per receiver (None: a thank-you to no member)."""
    created = thanks.c.created_at
    first, last = _midnight(since) + DAY, _midnight(now)  # the whole days between `since` and now
    if kept is None or first >= last:
        return await _counted(conn, created >= since)
    whole = (created >= first, created < last)
    # One entry, its days in the stamp: the day after, it is replaced, not kept beside (a count per member).
    stamp = (first, last, *await _stamp(conn, *whole))
    found = dict(await kept.remember("received", stamp, lambda: _counted(conn, *whole)))
    for end in (await _counted(conn, created >= since, created < first), await _counted(conn, created >= last)):
        for member, n in end.items():
            found[member] = found.get(member, 0) + n
    return found


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(), UTC)


async def _counted(conn: AsyncConnection, *where: Any) -> dict[int | None, int]:
    counted, _ = thanks_unit_parts("receiver_id", *where, by_time=True)
    return {member: int(n) for member, n in (await conn.execute(counted)).tuples().all()}


async def _stamp(conn: AsyncConnection, *where: Any) -> tuple[Any, ...]:
    """How many thank-yous the days hold, their first and last moments: from ix_thanks_created_cover."""
    first = select(func.min(thanks.c.created_at)).where(*where).scalar_subquery()
    last = select(func.max(thanks.c.created_at)).where(*where).scalar_subquery()
    return tuple((await conn.execute(select(func.count(), first, last).where(*where))).one())
