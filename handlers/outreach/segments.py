"""The /segment commands (/分群): save, show, list and delete named filters over members, for moderators."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.errors import UsageError, UserFacingError
from handlers.outreach.sandbox import NAME
from handlers.outreach.segment_parse import SegmentProblem
from handlers.outreach.segment_query import count_and_first
from handlers.outreach.tables import segments

_LOGGER = logging.getLogger(__name__)
SHOWN = 10  # members listed by /segment show
MAX_EXPRESSION = 500


class UnknownSegment(UserFacingError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__("outreach/segment_unknown", name=name, known=known)


def _name(cmd: Invocation) -> str:
    name = cmd.args[0] if cmd.args else ""
    if not name:
        raise UsageError("outreach/segment_problem_name", name="")
    if not NAME.fullmatch(name):
        raise UsageError("outreach/segment_problem_name", name=name)
    return name


def _expression(cmd: Invocation) -> str:
    rest = cmd.text.strip()
    expression = rest[len(cmd.args[0]) :].strip() if cmd.args else ""
    if not expression:
        raise SegmentProblem("empty")
    if len(expression) > MAX_EXPRESSION:
        raise SegmentProblem("long", most=MAX_EXPRESSION)
    return expression


async def find_segment(conn: AsyncConnection, name: str) -> str:
    """The saved expression of segment `name`; raises UnknownSegment."""
    found = (await conn.execute(select(segments.c.expression).where(segments.c.name == name))).scalar_one_or_none()
    if found is None:
        raise UnknownSegment(name, await _names(conn))
    return str(found)


async def _names(conn: AsyncConnection) -> list[str]:
    return list((await conn.execute(select(segments.c.name).order_by(segments.c.name))).scalars())


async def set_segment(ctx: Context, cmd: Invocation) -> None:
    """/segment set NAME EXPRESSION: checked by running it (names looked up), then saved."""
    name, expression = _name(cmd), _expression(cmd)
    total, _ = await count_and_first(ctx.db, expression, ctx.now, ctx.settings, first=0)
    created = await _save(ctx, name, expression)
    ctx.note_audit(segment=name, expression=expression, created=created)
    _LOGGER.info("segment %r %s by %s", name, "created" if created else "updated", ctx.actor.platform_id)
    await ctx.reply("outreach/segment_saved", name=name, expression=expression, count=total, created=created)


async def _save(ctx: Context, name: str, expression: str) -> bool:
    values = {"expression": expression, "updated_at": ctx.now, "updated_by": ctx.actor.id}
    changed = await ctx.db.execute(update(segments).where(segments.c.name == name).values(**values))
    if changed.rowcount:
        return False
    await ctx.db.execute(segments.insert().values(name=name, created_at=ctx.now, created_by=ctx.actor.id, **values))
    return True


async def show_segment(ctx: Context, cmd: Invocation) -> None:
    """/segment show NAME: how many members it has now and the first ten, privately."""
    name = _name(cmd)
    expression = await find_segment(ctx.db, name)
    total, first = await count_and_first(ctx.db, expression, ctx.now, ctx.settings, first=SHOWN)
    await ctx.reply(
        "outreach/segment_show",
        name=name,
        expression=expression,
        count=total,
        members=[_shown(row) for row in first],
    )


def _shown(row: Any) -> str:
    return str(row.display_name or row.platform_id)


async def list_segments(ctx: Context, cmd: Invocation) -> None:
    """/segment list: every saved segment and its expression."""
    rows = (await ctx.db.execute(select(segments.c.name, segments.c.expression).order_by(segments.c.name))).all()
    await ctx.reply("outreach/segment_list", segments=[{"name": r.name, "expression": r.expression} for r in rows])


async def delete_segment(ctx: Context, cmd: Invocation) -> None:
    name = _name(cmd)
    await find_segment(ctx.db, name)
    await ctx.db.execute(delete(segments).where(segments.c.name == name))
    ctx.note_audit(segment=name)
    await ctx.reply("outreach/segment_deleted", name=name)
