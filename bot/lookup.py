"""Finding the row a command names by its number ("/announce show 12", "/koc keep #3")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from bot.commands import Invocation, parse_id
from bot.context import Context
from bot.errors import UsageError, UserFacingError


async def row_by_id(ctx: Context, cmd: Invocation, table: Table, *, problem: str, unknown: str) -> Any:
    """The row of `table` whose id is the command's first word (`12` or `#12`). No number: the
    `problem` template with the usage; no such row: the `unknown` template (given `id`)."""
    number = parse_id(cmd.args[0] if cmd.args else None)
    if number is None:
        raise UsageError(problem)
    row = (await ctx.db.execute(select(table).where(table.c.id == number))).one_or_none()
    if row is None:
        raise UserFacingError(unknown, id=number)
    return row
