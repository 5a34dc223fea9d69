"""Promises: what the brand owes a member, with a due date; kept, or waived with a reason."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import Context
from handlers.koc.tables import PromiseStatus, promises

_LOGGER = logging.getLogger(__name__)


def today(ctx: Context) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.settings.bot.timezone)).date()


def _line(ctx: Context, row: Any, names: dict[int, str] | None = None) -> dict[str, Any]:
    overdue = row.due is not None and row.due < today(ctx)
    return {"id": row.id, "text": row.text, "due": row.due.isoformat() if row.due else None, "overdue": overdue,
            "source": row.source, "name": (names or {}).get(row.member_id)}


async def open_rows(ctx: Context, member_id: int | None = None) -> list[Any]:
    """Open promises (one member's, or everyone's), overdue first: earliest due date first."""
    query = select(promises).where(promises.c.status == PromiseStatus.OPEN.value)
    if member_id is not None:
        query = query.where(promises.c.member_id == member_id)
    rows = (await ctx.db.execute(query)).all()
    return sorted(rows, key=lambda r: (r.due is None, r.due or date.max, r.id))


async def open_promises(ctx: Context, member_id: int) -> list[dict[str, Any]]:
    return [_line(ctx, row) for row in await open_rows(ctx, member_id)]
