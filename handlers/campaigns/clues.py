"""Clue drops: /campaign clue ID --at 2026-12-01 20:00 text|--template NAME, /campaign clue cancel, and their jobs.

A clue is a row (the truth: text or template, times, status) and two one-off jobs in the
scheduler's job store, written in the same transaction: `campaign-headsup:<clue>` tells the
active KOCs of the campaign's rooms privately, `heads_up_minutes` before the drop, with the clue
and the talking points (points to make in their own words, never a script); `campaign-clue:<clue>`
posts it in every room. Every message carries a dedupe key (`campaign:<campaign>:clue:<clue>:<room>`,
`campaign:<campaign>:headsup:<clue>:<member>`), so a run that happened twice sends once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.db.schema import OutboxStatus, OutgoingKind, Stage
from bot.delivery import QuietHours
from bot.errors import UserFacingError
from bot.lookup import row_by_id
from bot.members import CommunityRef, MemberRef
from bot.outbox import withdraw_pending
from bot.scheduling.jobs import JobRun
from bot.scheduling.scheduler import schedule_job, unschedule_job
from bot.scheduling.triggers import once_trigger
from handlers.campaigns import store
from handlers.campaigns.clue_requests import ClueRequest, check_body, drop_time, parse_clue
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.heads_up import (
    RoomsOff,
    Timing,
    tell_called_off,
    tell_missed,
    written_to,
)
from handlers.campaigns.store import CampaignView, Room
from handlers.campaigns.tables import ClueStatus, clues
from handlers.outreach.custom_templates import Rendering, SkipNotice, all_texts, tell_staff_skipped, texts_then
from handlers.outreach.sandbox import CustomTemplateError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClueView:
    """One clue drop as reports see it (times in UTC; `heads_up_sent`: KOCs told)."""

    id: int
    campaign_id: int
    run_at: datetime
    heads_up_at: datetime
    status: str
    text: str
    template: str | None
    heads_up_sent: int
    posted_at: datetime | None


def clue_job_id(clue_id: int) -> str:
    return f"campaign-clue:{clue_id}"


def heads_up_job_id(clue_id: int) -> str:
    return f"campaign-headsup:{clue_id}"


def post_key(campaign_id: int, clue_id: int) -> str:
    """The dedupe-key prefix of a clue's posts (the room's platform id follows)."""
    return f"campaign:{campaign_id}:clue:{clue_id}:"


def heads_up_key(campaign_id: int, clue_id: int) -> str:
    """The dedupe-key prefix of a clue's heads-ups (the member's platform id follows)."""
    return f"campaign:{campaign_id}:headsup:{clue_id}:"


# Reading


async def load_clues(conn: AsyncConnection, campaign_id: int) -> list[ClueView]:
    """A campaign's clue drops, in the order they fall (every status: scheduled, posted, cancelled, missed)."""
    rows = (
        await conn.execute(select(clues).where(clues.c.campaign_id == campaign_id).order_by(clues.c.run_at, clues.c.id))
    ).all()
    return [_view(row) for row in rows]


def _view(row: Any) -> ClueView:
    return ClueView(
        row.id,
        row.campaign_id,
        row.run_at,
        row.heads_up_at,
        row.status,
        row.text,
        row.template,
        row.heads_up_sent,
        row.posted_at,
    )


async def clue_counts(conn: AsyncConnection) -> dict[int, dict[str, int]]:
    """Per campaign, how many clues are in each status."""
    rows = (
        await conn.execute(
            select(clues.c.campaign_id, clues.c.status, func.count()).group_by(clues.c.campaign_id, clues.c.status)
        )
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for campaign_id, status, count in rows:
        counts.setdefault(campaign_id, {})[status] = count
    return counts


async def koc_audience(conn: AsyncConnection, campaign: CampaignView) -> dict[int, list[Room]]:
    """The active KOCs currently in the campaign's rooms: member id -> their rooms among the campaign's."""
    members, memberships = schema.members, schema.memberships
    by_id = {room.community_id: room for room in campaign.rooms}
    rows = (
        await conn.execute(
            select(members.c.id, memberships.c.community_id)
            .join(memberships, memberships.c.member_id == members.c.id)
            .where(
                members.c.stage == Stage.ACTIVE.value,
                memberships.c.left_at.is_(None),
                memberships.c.community_id.in_(list(by_id)),
            )
            .order_by(members.c.id, memberships.c.community_id)
        )
    ).all()
    audience: dict[int, list[Room]] = {}
    for member_id, community_id in rows:
        audience.setdefault(member_id, []).append(by_id[community_id])
    return audience


# Rendering


def _quiet(ctx: Context, when: datetime, zone: ZoneInfo) -> bool:
    quiet = QuietHours.parse(ctx.settings.delivery.quiet_hours)
    return quiet is not None and quiet.release(when, zone) is not None


# Commands


async def schedule_clue(ctx: Context, cmd: Invocation) -> None:
    """/campaign clue ID --at 2026-12-01 20:00 text | --template NAME: scheduled once its sample (the
    first room's text) has rendered; a template that cannot is refused."""
    campaign = await store.campaign_named(ctx, cmd)
    if not campaign.is_open:
        raise UserFacingError("campaigns/not_open", id=campaign.id, name=campaign.name)
    request = parse_clue(cmd, cmd.text.lstrip()[len(cmd.args[0]) :])
    assert request.when is not None
    run_at = drop_time(request.when, campaign, ctx.now)
    await check_body(ctx, request)
    rooms = [await store.community_of(ctx, room) for room in campaign.rooms]

    async def schedule(ctx: Context, samples: list[Rendering]) -> None:
        await _schedule(ctx, campaign, request, run_at, rooms, all_texts(samples)[0])

    await texts_then(ctx, request.template, request.text, rooms[:1], schedule, "campaign clue")


async def _schedule(
    ctx: Context, campaign: CampaignView, request: ClueRequest, run_at: datetime, rooms: list[CommunityRef], sample: str
) -> None:
    lead = timedelta(minutes=ctx.settings.section(CampaignsSection).heads_up_minutes)
    heads_up_at = max(run_at - lead, ctx.now)
    clue_id = (
        await ctx.db.execute(
            insert(clues)
            .values(
                campaign_id=campaign.id,
                run_at=run_at,
                heads_up_at=heads_up_at,
                text=request.text,
                template=request.template,
                status=ClueStatus.SCHEDULED.value,
                heads_up_sent=0,
                created_by=ctx.actor.id,
                created_at=ctx.now,
            )
            .returning(clues.c.id)
        )
    ).scalar_one()
    for job_id, function, when in (
        (heads_up_job_id(clue_id), send_heads_up, heads_up_at),
        (clue_job_id(clue_id), post_clue, run_at),
    ):
        await schedule_job(ctx.db, job_id, function, once_trigger(when), now=ctx.now, args=(clue_id,), name=job_id)
    ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    ctx.note_audit(campaign=campaign.id, clue=clue_id, run_at=run_at.isoformat())
    _LOGGER.info("campaign #%d: clue #%d drops at %s, heads-up at %s", campaign.id, clue_id, run_at, heads_up_at)
    quiet_rooms = [r.name or r.platform_id for r in rooms if _quiet(ctx, run_at, ZoneInfo(r.timezone))]
    zone = campaign.zone
    await ctx.reply(
        "campaigns/clue_scheduled",
        id=campaign.id,
        clue=clue_id,
        at=run_at.astimezone(zone),
        heads_up=heads_up_at.astimezone(zone),
        heads_up_now=heads_up_at <= ctx.now,
        minutes=ctx.settings.section(CampaignsSection).heads_up_minutes,
        timezone=campaign.timezone,
        kocs=len(await koc_audience(ctx.db, campaign)),
        rooms=[r.label for r in campaign.rooms],
        quiet_rooms=quiet_rooms,
        heads_up_quiet=_quiet(ctx, heads_up_at, ctx.zone),
        heads_up_late=not Timing(ctx).in_time(heads_up_at, run_at, campaign.rooms),
        quiet_hours=ctx.settings.delivery.quiet_hours,
        sample=sample,
        points=bool(campaign.talking_points),
    )


async def cancel_clue_command(ctx: Context, cmd: Invocation) -> None:
    """/campaign clue cancel CLUE_ID: the drop and its heads-up do not happen; what waits to go out is withdrawn."""
    row = await row_by_id(ctx, cmd, clues, problem="campaigns/problem_needs_clue_id", unknown="campaigns/clue_unknown")
    clue = _view(row)
    done = await cancel_clue(ctx, clue.campaign_id, clue)
    if done is None:
        raise UserFacingError("campaigns/clue_not_scheduled", clue=clue.id, status=clue.status)
    ctx.note_audit(campaign=clue.campaign_id, clue=clue.id, withdrawn=done.withdrawn)
    await ctx.reply(
        "campaigns/clue_cancelled",
        id=clue.campaign_id,
        clue=clue.id,
        withdrawn=done.withdrawn,
        told=done.told,
        partly=done.partly,
    )


@dataclass(frozen=True, slots=True)
class Cancelled:
    """What cancelling a clue did: messages withdrawn, KOCs told it is off (everywhere, or in their rooms)."""

    withdrawn: int
    told: int
    partly: bool  # it had reached some rooms: it stays posted, and is off only where it had not


async def cancel_clue(ctx: Context, campaign_id: int, clue: ClueView) -> Cancelled | None:
    """Cancel a clue that is still to drop (or whose posts still wait to go out): its jobs go, its
    waiting posts and heads-ups are withdrawn, the KOCs told of it learn it is off. None: nothing to cancel."""
    if clue.status not in (ClueStatus.SCHEDULED.value, ClueStatus.POSTED.value):
        return None
    withdrawn = await withdraw_pending(ctx.db, post_key(campaign_id, clue.id))
    withdrawn += await withdraw_pending(ctx.db, heads_up_key(campaign_id, clue.id))
    if clue.status == ClueStatus.POSTED.value and not withdrawn:  # it all went out already
        return None
    for job_id in (heads_up_job_id(clue.id), clue_job_id(clue.id)):
        await unschedule_job(ctx.db, job_id)
    partly = clue.status == ClueStatus.POSTED.value and bool(await _posts_out(ctx, clue))
    if not partly:
        # A clue that reached some rooms before the rest were withdrawn stays posted: reports count it.
        await ctx.db.execute(update(clues).where(clues.c.id == clue.id).values(status=ClueStatus.CANCELLED.value))
        told = await tell_called_off(
            ctx, campaign_id, clue.id, clue.run_at, heads_up_key(campaign_id, clue.id), cancelled=True
        )
    else:  # the KOCs of the rooms whose posts were withdrawn learn it will not drop there
        off = await _rooms_not_posted(ctx, campaign_id, clue)
        told = await _rooms_called_off(ctx, campaign_id, clue, off, cancelled=True)
    ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    _LOGGER.info("campaign #%d: clue #%d cancelled, %d waiting messages withdrawn", campaign_id, clue.id, withdrawn)
    return Cancelled(withdrawn, told, partly)


async def _posts_out(ctx: Context, clue: ClueView) -> int:
    """In how many rooms this clue has been posted already."""
    return await _gone_out(ctx, post_key(clue.campaign_id, clue.id))


async def _rooms_not_posted(ctx: Context, campaign_id: int, clue: ClueView) -> frozenset[int]:
    """The campaign's rooms (community ids) where this clue has not gone out."""
    campaign = await store.load(ctx.db, campaign_id)
    outbox, prefix = schema.outbox, post_key(campaign_id, clue.id)
    out = set(
        (
            await ctx.db.execute(
                select(outbox.c.dedupe_key).where(
                    outbox.c.dedupe_key.startswith(prefix),
                    outbox.c.status.in_((OutboxStatus.SENT.value, OutboxStatus.SENDING.value)),
                )
            )
        ).scalars()
    )
    rooms = campaign.rooms if campaign else ()
    return frozenset(room.community_id for room in rooms if prefix + room.platform_id not in out)


async def _rooms_called_off(
    ctx: Context, campaign_id: int, clue: ClueView, off: Iterable[int], *, cancelled: bool
) -> int:
    """The KOCs told of this clue whose rooms include one in `off` (where it will not drop) learn which; how many."""
    campaign = await store.load(ctx.db, campaign_id)
    if campaign is None or not (off := frozenset(off)):
        return 0
    where = RoomsOff(off, await koc_audience(ctx.db, campaign))
    prefix = heads_up_key(campaign_id, clue.id)
    return await tell_called_off(ctx, campaign_id, clue.id, clue.run_at, prefix, cancelled=cancelled, where=where)


async def _gone_out(ctx: Context, prefix: str) -> int:
    outbox = schema.outbox
    return (
        await ctx.db.execute(
            select(func.count(distinct(outbox.c.dedupe_key))).where(
                outbox.c.dedupe_key.startswith(prefix),
                outbox.c.status.in_((OutboxStatus.SENT.value, OutboxStatus.SENDING.value)),
            )
        )
    ).scalar_one()


# The jobs


async def _due(ctx: Context, clue_id: int) -> tuple[ClueView, CampaignView] | None:
    """The clue and its campaign, if the clue is still to drop in an open campaign."""
    row = (await ctx.db.execute(select(clues).where(clues.c.id == clue_id))).one_or_none()
    if row is None or row.status != ClueStatus.SCHEDULED.value:
        return None
    campaign = await store.load(ctx.db, row.campaign_id)
    if campaign is None or not campaign.is_open:
        return None
    return _view(row), campaign


async def send_heads_up(run: JobRun, clue_id: int) -> None:
    """Tell each active KOC in the campaign's rooms privately, once, what drops when, with the talking points."""
    ctx = run.context()
    found = await _due(ctx, clue_id)
    if found is None:
        return
    clue, campaign = found
    if run.run_time is None:  # the bot was down past the grace time: the scheduler tells the moderators
        _LOGGER.warning("campaign #%d: the heads-up for clue #%d was missed", campaign.id, clue.id)
        return
    audience = await koc_audience(ctx.db, campaign)
    firsts = list({rooms[0].community_id: rooms[0] for rooms in audience.values()}.values())
    communities = [await store.community_of(ctx, room) for room in firsts]

    async def tell(ctx: Context, texts: list[Rendering]) -> None:
        bodies = {room.community_id: text for room, text in zip(firsts, texts, strict=True)}
        await _tell_all(ctx, campaign, clue, audience, bodies)
        skipped = [(c, t) for c, t in zip(communities, texts, strict=True) if isinstance(t, CustomTemplateError)]
        if skipped:
            key = f"campaign:{campaign.id}:headsup-skipped:{clue.id}"
            await tell_staff_skipped(ctx, SkipNotice("clue", clue.id, clue.template or "", key, len(firsts)), skipped)

    await texts_then(ctx, clue.template, clue.text, communities, tell, f"clue #{clue.id} heads-up")


async def _tell_all(
    ctx: Context, campaign: CampaignView, clue: ClueView, audience: dict[int, list[Room]], bodies: dict[int, Rendering]
) -> None:
    """Each KOC gets the heads-up with the clue as their first room sees it (none where it failed), if it
    can arrive before the clue is public in one of their rooms; the moderator learns who it cannot reach in time."""
    told, missed, timing = 0, [], Timing(ctx)
    written = await written_to(ctx, heads_up_key(campaign.id, clue.id))  # a run again after a crash
    for member_id, rooms in audience.items():
        member = await ctx.services.directory.find_member_by_id(ctx.db, member_id)
        body = bodies[rooms[0].community_id]
        if member is None or isinstance(body, CustomTemplateError):
            continue
        if member.platform_id not in written and not timing.in_time(ctx.now, clue.run_at, rooms):
            missed.append(member)
            continue
        await _tell(ctx, member, campaign, clue, rooms, body)
        told += 1
    await ctx.db.execute(update(clues).where(clues.c.id == clue.id).values(heads_up_sent=told))
    if missed:
        await tell_missed(ctx, campaign, clue.id, clue.run_at, missed)
    _LOGGER.info("campaign #%d: %d KOCs told of clue #%d", campaign.id, told, clue.id)


async def _tell(
    ctx: Context, member: MemberRef, campaign: CampaignView, clue: ClueView, rooms: list[Room], body: str
) -> None:
    await ctx.dm(
        member,
        "campaigns/heads_up",
        message_kind=OutgoingKind.TRANSACTIONAL,
        name=member.name,
        campaign=campaign.name,
        at=clue.run_at.astimezone(campaign.zone),
        timezone=campaign.timezone,
        rooms=[room.label for room in rooms],
        clue=body,
        points=list(campaign.talking_points),
        dedupe_key=heads_up_key(campaign.id, clue.id) + member.platform_id,
    )


async def post_clue(run: JobRun, clue_id: int) -> None:
    """Post the clue in each of the campaign's rooms, once; missed past the grace time: marked missed, not posted."""
    ctx = run.context()
    found = await _due(ctx, clue_id)
    if found is None:
        return
    clue, campaign = found
    if run.run_time is None:  # too late to tease a launch: the scheduler tells the moderators
        await ctx.db.execute(update(clues).where(clues.c.id == clue.id).values(status=ClueStatus.MISSED.value))
        await _called_off(ctx, campaign, clue)
        _LOGGER.warning("campaign #%d: clue #%d missed (the bot was down), not posted late", campaign.id, clue.id)
        return
    communities = [await store.community_of(ctx, room) for room in campaign.rooms]

    async def post(ctx: Context, texts: list[Rendering]) -> None:
        await _post_all(ctx, campaign, clue, communities, texts, run.late)

    await texts_then(ctx, clue.template, clue.text, communities, post, f"clue #{clue.id}")


async def _post_all(
    ctx: Context,
    campaign: CampaignView,
    clue: ClueView,
    communities: list[CommunityRef],
    texts: list[Rendering],
    late: timedelta,
) -> None:
    """Post in each room whose text is ready; a room where the template failed is skipped, the staff told once."""
    skipped = []
    for community, body in zip(communities, texts, strict=True):
        if isinstance(body, CustomTemplateError):
            skipped.append((community, body))
            continue
        await ctx.post(
            community, "campaigns/clue", text=body, dedupe_key=post_key(campaign.id, clue.id) + community.platform_id
        )
    posted = len(communities) - len(skipped)
    status, at = (ClueStatus.POSTED, ctx.now) if posted else (ClueStatus.MISSED, None)
    await ctx.db.execute(update(clues).where(clues.c.id == clue.id).values(status=status.value, posted_at=at))
    if not posted:
        await _called_off(ctx, campaign, clue)
    elif skipped:  # posted elsewhere: the KOCs of the skipped rooms learn it will not drop there
        off = [community.id for community, _ in skipped]
        await _rooms_called_off(ctx, campaign.id, clue, off, cancelled=False)
    if skipped:
        key = f"campaign:{campaign.id}:clue-skipped:{clue.id}"
        await tell_staff_skipped(ctx, SkipNotice("clue", clue.id, clue.template or "", key, len(communities)), skipped)
    _LOGGER.info(
        "campaign #%d: clue #%d posted in %d of %d rooms (%s late)",
        campaign.id,
        clue.id,
        posted,
        len(communities),
        late,
    )


async def _called_off(ctx: Context, campaign: CampaignView, clue: ClueView) -> None:
    """A clue that will not be posted: the KOCs told of it beforehand learn so."""
    await tell_called_off(ctx, campaign.id, clue.id, clue.run_at, heads_up_key(campaign.id, clue.id), cancelled=False)
