"""The feedback board's queries: items by status, department, kind, room, age, +1s and words; one item whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.feedback.items import find_item, history_of, people_of
from handlers.feedback.tables import Role, Status, items, people
from web.data.common import PAGE_SIZE, member_names


@dataclass(frozen=True, slots=True)
class BoardFilter:
    statuses: tuple[str, ...] = ()
    department: str = ""
    kind: str = ""
    room: int | None = None
    older_than_days: int | None = None
    since: datetime | None = None
    min_plus_ones: int | None = None
    words: str = ""
    page: int = 1

    def conditions(self, now: datetime) -> list[Any]:
        c = items.c
        where: list[Any] = []
        if self.statuses:
            where.append(c.status.in_(self.statuses))
        if self.department:
            where.append(c.department == self.department)
        if self.kind:
            where.append(c.kind == self.kind)
        if self.room is not None:
            where.append(c.community_id == self.room)
        if self.older_than_days is not None:
            where.append(c.created_at <= now - timedelta(days=self.older_than_days))
        if self.since is not None:
            where.append(c.created_at >= self.since)
        if self.words:
            like = f"%{self.words}%"
            where.append(or_(c.title.like(like), c.scenario.like(like), c.expected.like(like)))
        if self.min_plus_ones:
            where.append(c.id.in_(_with_plus_ones(self.min_plus_ones)))
        return where


def _with_plus_ones(least: int) -> Any:
    p = people.c
    return select(p.item_id).where(p.role == Role.PLUS_ONE.value).group_by(p.item_id).having(func.count() >= least)


@dataclass(slots=True)
class Board:
    rows: list[Any]
    plus_ones: dict[int, int]
    counts: dict[str, int]
    more: bool
    reporters: dict[int, str] = field(default_factory=dict)


async def board(conn: AsyncConnection, wanted: BoardFilter, now: datetime) -> Board:
    c = items.c
    where = wanted.conditions(now)
    columns = (c.id, c.kind, c.status, c.title, c.department, c.community_id, c.reporter_id, c.created_at)
    stmt = select(*columns).where(*where).order_by(c.created_at.desc(), c.id.desc())
    rows = list((await conn.execute(stmt.limit(PAGE_SIZE + 1).offset((wanted.page - 1) * PAGE_SIZE))).all())
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    others = BoardFilter(**{**_fields(wanted), "statuses": ()}).conditions(now)
    # With other filters, grouped by an expression, not the column: walking the status index in order would
    # fetch each filtered row at random; reading the rows in their own order and counting seven groups is
    # cheaper. Without, the status index alone answers.
    status = func.coalesce(c.status, "") if others else c.status
    status_counts = select(status, func.count()).where(*others).group_by(status)
    counts: dict[str, int] = dict((await conn.execute(status_counts)).all())
    return Board(
        rows,
        await plus_ones(conn, [r.id for r in rows]),
        counts,
        more,
        await member_names(conn, (r.reporter_id for r in rows)),
    )


def _fields(wanted: BoardFilter) -> dict[str, Any]:
    return {name: getattr(wanted, name) for name in BoardFilter.__dataclass_fields__}


async def plus_ones(conn: AsyncConnection, item_ids: list[int]) -> dict[int, int]:
    if not item_ids:
        return {}
    p = people.c
    stmt = select(p.item_id, func.count()).where(p.item_id.in_(item_ids), p.role == Role.PLUS_ONE.value)
    return dict((await conn.execute(stmt.group_by(p.item_id))).all())


@dataclass(slots=True)
class ItemPage:
    item: Any
    history: list[Any]
    people: list[Any]
    duplicates: list[Any]
    names: dict[int, str]
    room: str | None


async def item_page(conn: AsyncConnection, item_id: int, rooms: dict[int, str]) -> ItemPage | None:
    item = await find_item(conn, item_id)
    if item is None:
        return None
    history = await history_of(conn, item_id)
    persons = await people_of(conn, item_id)
    c = items.c
    dupes = list((await conn.execute(select(c.id, c.title, c.status).where(c.duplicate_of == item_id))).all())
    names = await member_names(conn, [*(h.actor_id for h in history), *(p.member_id for p in persons)])
    community = (await conn.execute(select(c.community_id).where(c.id == item_id))).scalar_one_or_none()
    return ItemPage(item, history, persons, dupes, names, rooms.get(community) if community else None)


OPEN_STATUSES = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.REPRODUCED, Status.UNDER_REVIEW, Status.ADOPTED)
