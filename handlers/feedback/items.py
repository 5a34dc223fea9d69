"""Feedback items as other code sees them: find, create, their people and history, and the hooks they emit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.dialect import insert_for
from bot.hooks import HookPoint
from handlers.feedback.rules import short_id
from handlers.feedback.tables import Kind, Role, Status, history, items, people

if TYPE_CHECKING:
    from bot.context import Context

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Item:
    """A feedback item as stored; `short_id` is what members see (FB-42)."""

    id: int
    kind: Kind
    status: Status
    title: str
    scenario: str
    steps: str
    expected: str
    product: str
    reporter_id: int
    department: str | None
    version: str | None
    duplicate_of: int | None
    created_at: datetime

    @property
    def short_id(self) -> str:
        return short_id(self.id)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """An entry just added to an item's history ("submitted", "status", ...), with the status it moved to."""

    item_id: int
    what: str
    to_status: Status | None


# Other capabilities listen (`registry.listen`): threads prompt to resolve a linked thread when an item
# ships; the KOC capability keeps its promises (an answer owed to a KOC, kept at the first status change).
ITEM_SHIPPED: HookPoint[Item] = HookPoint("feedback.item_shipped")
HISTORY_ADDED: HookPoint[HistoryEntry] = HookPoint("feedback.history_added")


def _item(row: Any) -> Item:
    return Item(
        row.id,
        Kind(row.kind),
        Status(row.status),
        row.title,
        row.scenario,
        row.steps,
        row.expected,
        row.product,
        row.reporter_id,
        row.department,
        row.version,
        row.duplicate_of,
        row.created_at,
    )


async def find_item(conn: AsyncConnection, item_id: int) -> Item | None:
    row = (await conn.execute(select(items).where(items.c.id == item_id))).one_or_none()
    return None if row is None else _item(row)


async def items_where(conn: AsyncConnection, *where: Any, limit: int | None = None) -> list[Item]:
    stmt = select(items).where(*where).order_by(items.c.id).limit(limit)
    return [_item(row) for row in (await conn.execute(stmt)).all()]


async def create_item(ctx: Context, values: dict[str, Any]) -> Item:
    """A new submitted item with its reporter and the first history entry."""
    row = (
        await ctx.db.execute(
            insert(items)
            .values(
                **values,
                status=Status.SUBMITTED.value,
                reporter_id=ctx.actor.id,
                created_at=ctx.now,
                updated_at=ctx.now,
                community_id=ctx.community.id if ctx.community else None,
            )
            .returning(items)
        )
    ).one()
    await add_person(ctx, row.id, ctx.actor.id, Role.REPORTER)
    await record(ctx, row.id, "submitted", to_status=Status.SUBMITTED)
    _LOGGER.info("feedback %s submitted by member %s", short_id(row.id), ctx.actor.id)
    return _item(row)


async def add_person(ctx: Context, item_id: int, member_id: int, role: Role, details: str = "") -> bool:
    """Attach a member to an item; False when they are attached already."""
    stmt = insert_for(ctx.db, people).values(
        item_id=item_id, member_id=member_id, role=role.value, details=details, created_at=ctx.now
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["item_id", "member_id"]).returning(people.c.id)
    return (await ctx.db.execute(stmt)).scalar_one_or_none() is not None


async def people_of(conn: AsyncConnection, item_id: int, role: Role | None = None) -> list[Any]:
    """The rows of the members behind an item (reporters first), oldest first."""
    stmt = select(people).where(people.c.item_id == item_id)
    if role is not None:
        stmt = stmt.where(people.c.role == role.value)
    rows = (await conn.execute(stmt.order_by(people.c.id))).all()
    return sorted(rows, key=lambda r: r.role != Role.REPORTER.value)


async def record(
    ctx: Context,
    item_id: int,
    what: str,
    *,
    from_status: Status | None = None,
    to_status: Status | None = None,
    note: str = "",
) -> None:
    await ctx.db.execute(
        insert(history).values(
            item_id=item_id,
            what=what,
            from_status=from_status,
            to_status=to_status,
            note=note,
            actor_id=ctx.actor.id,
            created_at=ctx.now,
        )
    )
    await ctx.emit(HISTORY_ADDED, HistoryEntry(item_id, what, to_status))


async def history_of(conn: AsyncConnection, item_id: int) -> list[Any]:
    return list((await conn.execute(select(history).where(history.c.item_id == item_id).order_by(history.c.id))).all())


async def set_fields(ctx: Context, item_id: int, **values: Any) -> None:
    await ctx.db.execute(update(items).where(items.c.id == item_id).values(**values, updated_at=ctx.now))
