"""Telling the people behind an item, privately, what happened to it."""

from __future__ import annotations

import logging
from typing import Any

from bot.context import Context
from bot.db.schema import OutgoingKind
from handlers.feedback.items import Item, people_of
from handlers.feedback.rewards import Reward

_LOGGER = logging.getLogger(__name__)


async def notify_people(
    ctx: Context,
    item: Item,
    what: str,
    *,
    note: str = "",
    rewards: dict[int, Reward] | None = None,
    people: list[Any] | None = None,
    **params: Any,
) -> None:
    """A private message to each reporter and +1 of `item` (or to `people`), except the moderator acting."""
    directory, rewards = ctx.services.directory, rewards or {}
    for person in people if people is not None else await people_of(ctx.db, item.id):
        if person.member_id == ctx.actor.id:
            continue
        member = await directory.member_by_id(ctx.db, person.member_id)
        await ctx.dm(
            member,
            "feedback/notice",
            message_kind=OutgoingKind.TRANSACTIONAL,
            what=what,
            item=item,
            note=note,
            role=person.role,
            reward=rewards.get(person.member_id),
            **params,
        )
