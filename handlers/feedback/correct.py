"""/fb edit FB-N (/反馈 修改): a member corrects feedback they submitted, while it is open (a right to correction)."""

from __future__ import annotations

from sqlalchemy import update

from bot.commands import Invocation, first_word
from bot.context import Context
from bot.errors import UsageError, UserFacingError
from handlers.feedback.form import cut_to_length, parse_form, too_short
from handlers.feedback.items import find_item, record
from handlers.feedback.rules import CLOSED, parse_item_id, short_id, title_of
from handlers.feedback.tables import items


async def edit_feedback(ctx: Context, cmd: Invocation) -> None:
    word, rest = first_word(cmd.text)
    item_id = parse_item_id(word)
    fields = parse_form(rest)
    if item_id is None or not fields:
        raise UsageError("feedback/problem_edit")
    item = await find_item(ctx.db, item_id)
    if item is None or item.reporter_id != ctx.actor.id:
        raise UserFacingError("feedback/edit_not_yours", id=short_id(item_id))
    if item.status in CLOSED:
        raise UserFacingError("feedback/edit_closed", id=item.short_id)
    cut, _ = cut_to_length(fields)
    values = {name: cut[name] for name in fields}
    if too_short(values):
        raise UsageError("feedback/problem_edit")
    if "scenario" in values:
        values["title"] = title_of(values["scenario"])
    await ctx.db.execute(update(items).where(items.c.id == item.id).values(updated_at=ctx.now, **values))
    await record(ctx, item.id, "edited", note=", ".join(sorted(fields)))
    await ctx.reply("feedback/edited", id=item.short_id, fields=sorted(fields))
