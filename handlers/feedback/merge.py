"""Merging a duplicate into the item it repeats: its reporters and +1s join, are told and are credited."""

from __future__ import annotations

import logging
from typing import Any

from bot.commands import Invocation
from bot.context import Context
from bot.errors import UserFacingError
from handlers.feedback.items import Item, add_person, people_of, record, set_fields
from handlers.feedback.lifecycle import item_argument
from handlers.feedback.notify import notify_people
from handlers.feedback.rewards import reward
from handlers.feedback.rules import OPEN
from handlers.feedback.similar import pair_score
from handlers.feedback.tables import Role, Status

_LOGGER = logging.getLogger(__name__)


async def merge(ctx: Context, cmd: Invocation) -> None:
    """/fb merge FB-50 FB-42: 50 becomes a duplicate of 42."""
    source, target = await item_argument(ctx, cmd, 0), await item_argument(ctx, cmd, 1)
    _check(source, target)
    score = await pair_score(ctx.db, source, target)  # before the merge closes the source
    await set_fields(ctx, source.id, status=Status.DUPLICATE.value, duplicate_of=target.id)
    await record(ctx, source.id, "status", from_status=source.status, to_status=Status.DUPLICATE, note=target.short_id)
    moved, joined = await _move_people(ctx, source, target)
    ctx.note_audit(item=source.short_id, into=target.short_id, joined=joined)
    rewards = await reward(ctx, target)
    await notify_people(ctx, target, "merged", people=moved, rewards=rewards, source=source)
    await ctx.reply_privately(
        "feedback/merged", source=source, target=target, joined=joined, score=score
    )  # the score is for staff


def _check(source: Item, target: Item) -> None:
    if source.id == target.id:
        raise UserFacingError("feedback/merge_same", item=source)
    if source.status not in OPEN:  # a shipped or declined item keeps its own story
        raise UserFacingError("feedback/item_closed_staff", item=source, reopen=source.status is Status.DECLINED)
    if target.status is Status.DUPLICATE:
        raise UserFacingError("feedback/item_closed_staff", item=target, reopen=False)


async def _move_people(ctx: Context, source: Item, target: Item) -> tuple[list[Any], int]:
    """The source's reporters stay reporters of the target (credited), its +1s stay +1s."""
    moved = await people_of(ctx.db, source.id)
    joined = [p for p in moved if await add_person(ctx, target.id, p.member_id, Role(p.role), p.details)]
    await record(ctx, target.id, "merged", note=source.short_id)
    return moved, len(joined)
