"""Names of members and rooms, and the paging every list shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema

PAGE_SIZE = 50


async def member_names(conn: AsyncConnection, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    m = schema.members.c
    rows = await conn.execute(select(m.id, m.display_name, m.platform_id).where(m.id.in_(wanted)))
    return {r.id: r.display_name or r.platform_id for r in rows}


async def room_names(conn: AsyncConnection) -> dict[int, str]:
    c = schema.communities.c
    rows = await conn.execute(select(c.id, c.name, c.platform_id).order_by(c.name))
    return {r.id: r.name or r.platform_id for r in rows}


def day_start(text: str | None, zone: ZoneInfo) -> datetime | None:
    """ "2026-12-01" -> local midnight of that day; None when it is no date."""
    try:
        return datetime.combine(date.fromisoformat((text or "").strip()), time(), zone)
    except ValueError:
        return None


def number(text: str | None, default: int | None = None, most: int = 10**9) -> int | None:
    """A small non-negative number from a query string; `default` when absent or wrong."""
    value = (text or "").strip()
    return int(value) if value.isdigit() and len(value) <= 10 and int(value) <= most else default


@dataclass(frozen=True, slots=True)
class Paging:
    page: int
    more: bool

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE
