"""Feedback rewards through recognition's ledger: once per item, reporter and milestone, whatever the status does."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.context import Context
from handlers.feedback.config import FeedbackSection
from handlers.feedback.items import Item, people_of
from handlers.feedback.tables import Kind, Role, Status
from handlers.recognition.ledger import award_points, grant_title
from handlers.recognition.tables import Source

_LOGGER = logging.getLogger(__name__)
# Statuses at which an item has proven its value: a bug shipped straight after acknowledgement was real too.
BUG_PROVEN = frozenset({Status.REPRODUCED, Status.ADOPTED, Status.SHIPPED})
SUGGESTION_PROVEN = frozenset({Status.ADOPTED, Status.SHIPPED})


@dataclass(frozen=True, slots=True)
class Reward:
    points: int
    title: str = ""


def milestone(item: Item) -> str | None:
    """The rewarded milestone the item has reached: "reproduced" (bugs) or "adopted" (suggestions)."""
    if item.kind is Kind.BUG and item.status in BUG_PROVEN:
        return "reproduced"
    if item.kind is Kind.SUGGESTION and item.status in SUGGESTION_PROVEN:
        return "adopted"
    return None


async def reward(ctx: Context, item: Item) -> dict[int, Reward]:
    """Credit every reporter (merged ones too; +1s are told, not credited) for the milestone reached;
    the ledger's idempotency keys make each award happen once. Returns what was newly given."""
    reached = milestone(item)
    if reached is None:
        return {}
    given = {}
    for person in await people_of(ctx.db, item.id, Role.REPORTER):
        done = await _reward_one(ctx, item, person.member_id, reached)
        if done is not None:
            given[person.member_id] = done
    return given


async def _reward_one(ctx: Context, item: Item, member_id: int, reached: str) -> Reward | None:
    section = ctx.settings.section(FeedbackSection)
    points = section.reproduced_points if reached == "reproduced" else section.adopted_points
    key = f"feedback:{item.id}:{reached}:{member_id}"
    reason = f"{item.short_id} {item.title}"
    if await award_points(ctx, member_id, points, Source.FEEDBACK, reason, key=key) is None:
        return None
    title = section.adopted_title if reached == "adopted" else ""
    if title and not await grant_title(ctx, member_id, title, Source.FEEDBACK, key=key):
        title = ""
    _LOGGER.info("feedback %s: member %s rewarded (%s)", item.short_id, member_id, reached)
    return Reward(points, title)
