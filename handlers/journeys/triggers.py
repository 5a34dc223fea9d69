"""What starts and ends journeys: joins and departures, and the hooks of the other capabilities."""

from __future__ import annotations

import logging

from sqlalchemy import Select, select

from bot.context import Context
from bot.db import schema
from bot.events import MemberJoined, MemberLeft
from bot.members import MemberRef
from handlers.campaigns.manage import CampaignStarted
from handlers.feedback.items import HistoryEntry, find_item
from handlers.feedback.tables import items as feedback_items
from handlers.journeys.config import Goal, Trigger
from handlers.journeys.runs import end_all, end_for_goal, enter, enter_many, in_no_room, withdraw_waiting
from handlers.journeys.tables import EndReason
from handlers.koc.records import StageChanged
from handlers.recognition.tables import thanks
from handlers.recognition.thanks import Thanked

_LOGGER = logging.getLogger(__name__)


async def on_member_joined(ctx: Context, event: MemberJoined) -> None:
    """A join the platform reported: journeys that begin with joining a room (not for the bot itself)."""
    if event.is_self:
        return
    await enter(ctx, ctx.actor, Trigger.JOINED)


async def on_member_left(ctx: Context, event: MemberLeft) -> None:
    """Gone from every room: their journeys end, and what still waits for them is taken back."""
    if await in_no_room(ctx.db, ctx.actor.id):
        await end_all(ctx, ctx.actor.id, EndReason.LEFT)
        await withdraw_waiting(ctx, ctx.actor)  # a finished run's last step, held for the morning, too


async def on_opted_out(ctx: Context, member: MemberRef) -> None:
    await end_all(ctx, member.id, EndReason.OPTED_OUT)


async def on_stage_changed(ctx: Context, change: StageChanged) -> None:
    """A promotion to KOC starts the new-KOC journeys and meets the goal "promoted"."""
    if change.kind != "promote":
        return
    member = await ctx.services.directory.member_by_id(ctx.db, change.member_id)
    await end_for_goal(ctx, member.id, Goal.PROMOTED)
    await enter(ctx, member, Trigger.PROMOTED)


async def on_feedback_history(ctx: Context, entry: HistoryEntry) -> None:
    """A submitted item meets the goal "feedback"; a member's first starts the first-feedback journeys."""
    if entry.what != "submitted":
        return
    item = await find_item(ctx.db, entry.item_id)
    if item is None:
        return
    await end_for_goal(ctx, item.reporter_id, Goal.FEEDBACK)
    f = feedback_items.c
    if await _only_one(ctx, select(f.id).where(f.reporter_id == item.reporter_id)):
        member = await ctx.services.directory.member_by_id(ctx.db, item.reporter_id)
        await enter(ctx, member, Trigger.FIRST_FEEDBACK)


async def on_thanked(ctx: Context, thanked: Thanked) -> None:
    """The giver met the goal "thanked"; a receiver's first counted thank-you starts the first-thanks journeys."""
    await end_for_goal(ctx, thanked.giver_id, Goal.THANKED)
    if not thanked.counted:
        return
    t = thanks.c
    if await _only_one(ctx, select(t.id).where(t.receiver_id == thanked.receiver_id, t.counted.is_(True))):
        member = await ctx.services.directory.member_by_id(ctx.db, thanked.receiver_id)
        await enter(ctx, member, Trigger.FIRST_THANKS)


async def _only_one(ctx: Context, rows: Select[tuple[int]]) -> bool:
    """Whether `rows` finds exactly one row (the one just written: a first), reading two at most."""
    return len((await ctx.db.execute(rows.limit(2))).all()) == 1


async def on_campaign_started(ctx: Context, started: CampaignStarted) -> None:
    """The members now in the campaign's rooms enter the journeys declared for a campaign of that name."""
    m = schema.memberships.c
    in_rooms = select(m.member_id).where(m.community_id.in_(started.community_ids), m.left_at.is_(None)).distinct()
    entered = await enter_many(ctx, in_rooms, Trigger.CAMPAIGN, campaign=started.name)
    _LOGGER.info("campaign #%d %r started: %d members entered its journeys", started.id, started.name, entered)
