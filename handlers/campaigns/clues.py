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
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import LOCAL_TIME, Invocation, first_word, local_time
from bot.context import Context
from bot.db import schema
from bot.db.schema import OutboxStatus, OutgoingKind, Stage
from bot.delivery import QuietHours
from bot.errors import UsageError, UserFacingError
from bot.lookup import row_by_id
from bot.members import CommunityRef, MemberRef
from bot.outbox import withdraw_pending
from bot.scheduling.jobs import JobRun
from bot.scheduling.scheduler import schedule_job, unschedule_job
from bot.scheduling.triggers import once_trigger
from handlers.campaigns import store
from handlers.campaigns.store import CampaignView, Room
from handlers.campaigns.tables import ClueStatus, clues

_LOGGER = logging.getLogger(__name__)
AT = {"--at", "--时间"}
TEMPLATE = {"--template", "--模板"}


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


# Parsing /campaign clue


@dataclass
class ClueRequest:
    when: re.Match[str] | None = None
    template: str | None = None
    text: str = ""


def parse_clue(cmd: Invocation, rest: str) -> ClueRequest:
    """`--at 2026-12-01 20:00` and `--template NAME` in either order, then the text as typed."""
    request = ClueRequest()
    while True:
        word, after = first_word(rest)
        if word.lower() in AT:
            request.when = LOCAL_TIME.match(after.strip())
            if request.when is None:
                raise UsageError("campaigns/problem_when", text=after.strip()[:30])
            rest = after.strip()[request.when.end() :]
        elif word.lower() in TEMPLATE:
            request.template, rest = first_word(after)
            if not request.template:
                raise UsageError("campaigns/problem_template_name")
        else:
            break
    request.text = cmd.raw_tail(rest.strip())
    if request.when is None:
        raise UsageError("campaigns/problem_needs_at")
    return request


def _drop_time(found: re.Match[str], campaign: CampaignView, now: datetime) -> datetime:
    """The moment "2026-12-01 20:00" names in the campaign's time zone: it must exist, lie ahead, and
    fall inside the campaign."""
    local = local_time(found, campaign.zone)
    if local is None:
        raise UsageError("campaigns/problem_when", text=found[0])
    if local <= now:
        raise UsageError(
            "campaigns/problem_past",
            when=local.strftime("%Y-%m-%d %H:%M"),
            now=now.astimezone(campaign.zone).strftime("%Y-%m-%d %H:%M"),
        )
    if local >= campaign.ends_at:
        raise UsageError(
            "campaigns/problem_after_end",
            when=local.strftime("%Y-%m-%d %H:%M"),
            ends=campaign.ends_at.astimezone(campaign.zone).strftime("%Y-%m-%d %H:%M"),
        )
    return local.astimezone(UTC)


async def _check_body(ctx: Context, request: ClueRequest) -> None:
    from handlers.outreach import custom_templates

    if request.template is None and not request.text:
        raise UsageError("campaigns/problem_no_text")
    if request.template is not None and request.text:
        raise UsageError("campaigns/problem_text_and_template")
    if request.template is not None and not await custom_templates.custom_template_exists(ctx.db, request.template):
        raise UsageError(
            "campaigns/problem_unknown_template",
            name=request.template,
            known=await custom_templates.template_names(ctx.db),
        )


# Rendering


async def render_clue(ctx: Context, template: str | None, text: str, community: CommunityRef) -> str:
    """The clue as `community` sees it: the text, or the moderator-authored template rendered for it."""
    if template is None:
        return text
    from handlers.outreach import custom_templates

    return await custom_templates.render_custom(
        ctx.db, template, settings=ctx.settings, community=community, member=None, now=ctx.now
    )


def _quiet(ctx: Context, when: datetime, zone: ZoneInfo) -> bool:
    quiet = QuietHours.parse(ctx.settings.delivery.quiet_hours)
    return quiet is not None and quiet.release(when, zone) is not None


# Commands


async def schedule_clue(ctx: Context, cmd: Invocation) -> None:
    """/campaign clue ID --at 2026-12-01 20:00 text | --template NAME"""
    campaign = await store.campaign_named(ctx, cmd)
    if not campaign.is_open:
        raise UserFacingError("campaigns/not_open", id=campaign.id, name=campaign.name)
    request = parse_clue(cmd, cmd.text.lstrip()[len(cmd.args[0]) :])
    assert request.when is not None
    run_at = _drop_time(request.when, campaign, ctx.now)
    await _check_body(ctx, request)
    lead = timedelta(minutes=ctx.settings.campaigns.heads_up_minutes)
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
    await _confirm(ctx, campaign, clue_id, request, run_at, heads_up_at)


async def _confirm(
    ctx: Context, campaign: CampaignView, clue_id: int, request: ClueRequest, run_at: datetime, heads_up_at: datetime
) -> None:
    rooms = [await store.community_of(ctx, room) for room in campaign.rooms]
    sample = await render_clue(ctx, request.template, request.text, rooms[0])
    quiet_rooms = [r.name or r.platform_id for r in rooms if _quiet(ctx, run_at, ZoneInfo(r.timezone))]
    heads_up_quiet = _quiet(ctx, heads_up_at, ZoneInfo(ctx.settings.bot.timezone))
    zone = campaign.zone
    _LOGGER.info("campaign #%d: clue #%d drops at %s, heads-up at %s", campaign.id, clue_id, run_at, heads_up_at)
    await ctx.reply(
        "campaigns/clue_scheduled",
        id=campaign.id,
        clue=clue_id,
        at=run_at.astimezone(zone),
        heads_up=heads_up_at.astimezone(zone),
        heads_up_now=heads_up_at <= ctx.now,
        minutes=ctx.settings.campaigns.heads_up_minutes,
        timezone=campaign.timezone,
        kocs=len(await koc_audience(ctx.db, campaign)),
        rooms=[r.label for r in campaign.rooms],
        quiet_rooms=quiet_rooms,
        heads_up_quiet=heads_up_quiet,
        quiet_hours=ctx.settings.delivery.quiet_hours,
        sample=sample,
        points=bool(campaign.talking_points),
    )


async def cancel_clue_command(ctx: Context, cmd: Invocation) -> None:
    """/campaign clue cancel CLUE_ID: the drop and its heads-up do not happen; what waits to go out is withdrawn."""
    row = await row_by_id(ctx, cmd, clues, problem="campaigns/problem_needs_clue_id", unknown="campaigns/clue_unknown")
    clue = _view(row)
    withdrawn = await cancel_clue(ctx, clue.campaign_id, clue)
    if withdrawn is None:
        raise UserFacingError("campaigns/clue_not_scheduled", clue=clue.id, status=clue.status)
    told = await _heads_ups_out(ctx, clue)
    ctx.note_audit(campaign=clue.campaign_id, clue=clue.id, withdrawn=withdrawn)
    await ctx.reply("campaigns/clue_cancelled", id=clue.campaign_id, clue=clue.id, withdrawn=withdrawn, told=told)


async def cancel_clue(ctx: Context, campaign_id: int, clue: ClueView) -> int | None:
    """Cancel a clue that is still to drop (or whose posts still wait to go out): its jobs go, its
    waiting posts and heads-ups are withdrawn. Returns how many were withdrawn; None: nothing to cancel."""
    if clue.status not in (ClueStatus.SCHEDULED.value, ClueStatus.POSTED.value):
        return None
    withdrawn = await withdraw_pending(ctx.db, post_key(campaign_id, clue.id))
    withdrawn += await withdraw_pending(ctx.db, heads_up_key(campaign_id, clue.id))
    if clue.status == ClueStatus.POSTED.value and not withdrawn:  # it all went out already
        return None
    for job_id in (heads_up_job_id(clue.id), clue_job_id(clue.id)):
        await unschedule_job(ctx.db, job_id)
    if clue.status == ClueStatus.SCHEDULED.value or not await _posts_out(ctx, clue):
        # A clue that reached some rooms before the rest were withdrawn stays posted: reports count it.
        await ctx.db.execute(update(clues).where(clues.c.id == clue.id).values(status=ClueStatus.CANCELLED.value))
    ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    _LOGGER.info("campaign #%d: clue #%d cancelled, %d waiting messages withdrawn", campaign_id, clue.id, withdrawn)
    return withdrawn


async def _heads_ups_out(ctx: Context, clue: ClueView) -> int:
    """How many KOCs have had this clue's heads-up already (it cannot be taken back)."""
    return await _gone_out(ctx, heads_up_key(clue.campaign_id, clue.id))


async def _posts_out(ctx: Context, clue: ClueView) -> int:
    """In how many rooms this clue has been posted already."""
    return await _gone_out(ctx, post_key(clue.campaign_id, clue.id))


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
    bodies: dict[int, str] = {}
    directory = ctx.services.directory
    for member_id, rooms in audience.items():
        member = await directory.find_member_by_id(ctx.db, member_id)
        if member is None:
            continue
        if rooms[0].community_id not in bodies:
            bodies[rooms[0].community_id] = await render_clue(
                ctx, clue.template, clue.text, await store.community_of(ctx, rooms[0])
            )
        await _tell(ctx, member, campaign, clue, rooms, bodies[rooms[0].community_id])
    await ctx.db.execute(update(clues).where(clues.c.id == clue.id).values(heads_up_sent=len(audience)))
    _LOGGER.info("campaign #%d: %d KOCs told of clue #%d", campaign.id, len(audience), clue.id)


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
        _LOGGER.warning("campaign #%d: clue #%d missed (the bot was down), not posted late", campaign.id, clue.id)
        return
    for room in campaign.rooms:
        community = await store.community_of(ctx, room)
        body = await render_clue(ctx, clue.template, clue.text, community)
        await ctx.post(
            community, "campaigns/clue", text=body, dedupe_key=post_key(campaign.id, clue.id) + room.platform_id
        )
    await ctx.db.execute(
        update(clues).where(clues.c.id == clue.id).values(status=ClueStatus.POSTED.value, posted_at=run.now)
    )
    _LOGGER.info(
        "campaign #%d: clue #%d posted in %d rooms (%s late)", campaign.id, clue.id, len(campaign.rooms), run.late
    )
