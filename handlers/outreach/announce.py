"""Scheduled announcements: /announce at|every|list|show|cancel|preview, and the job that posts them.

An announcement is a row (the truth: its text or template, rooms, status) and a job in the
scheduler's job store, written in the same transaction. Each run posts once per room: the
run is recorded with its posts (see bot.scheduling.scheduler), and every post carries the
dedupe key `announce:<id>:<run>:<room>` besides. A moderator's template is rendered after the
run's transaction, in a worker process (custom_templates.texts_then); the posts follow in a
transaction of their own, and a room where the template fails is skipped, the staff told once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import insert, select, update

from bot.commands import Invocation, first_word, parse_id
from bot.context import Context
from bot.db import schema
from bot.delivery import QuietHours
from bot.errors import UserFacingError
from bot.lookup import row_by_id
from bot.members import CommunityRef
from bot.outbox import withdraw_pending
from bot.scheduling.jobs import JobRun
from bot.scheduling.scheduler import next_run_time, schedule_job, unschedule_job
from bot.scheduling.triggers import cron_trigger
from handlers.outreach.announce_parse import Request, parse_at, parse_every, read_rooms_and_body, trigger_for
from handlers.outreach.custom_templates import (
    Rendering,
    SkipNotice,
    all_texts,
    tell_staff_skipped,
    texts_then,
)
from handlers.outreach.sandbox import CustomTemplateError
from handlers.outreach.tables import AnnouncementStatus, announcements

_LOGGER = logging.getLogger(__name__)
PREVIEW_RUNS = 3


def job_id(announcement_id: int) -> str:
    return f"announce:{announcement_id}"


# Previews


def in_quiet_hours(ctx: Context, local: datetime, zone: ZoneInfo) -> bool:
    quiet = QuietHours.parse(ctx.settings.delivery.quiet_hours)
    return quiet is not None and quiet.release(local, zone) is not None


def upcoming(trigger: BaseTrigger, now: datetime, count: int) -> list[datetime]:
    times, previous = [], None
    for _ in range(count):
        following = trigger.get_next_fire_time(previous, now if previous is None else previous)
        if following is None:
            break
        times.append(following)
        previous = following
    return times


# Commands


async def announce_at(ctx: Context, cmd: Invocation) -> None:
    """/announce at 2026-12-01 10:00 [#room ...] [--urgent] text | --template NAME"""
    await _create(ctx, await parse_at(ctx, cmd, cmd.text))


async def announce_every(ctx: Context, cmd: Invocation) -> None:
    """/announce every <minute hour day month weekday> [#room ...] [--urgent] text | --template NAME"""
    await _create(ctx, await parse_every(ctx, cmd, cmd.text))


async def _create(ctx: Context, request: Request) -> None:
    """Scheduled once its sample (the first room's text) has rendered: a template that cannot is refused."""
    trigger = trigger_for(request)

    async def store(ctx: Context, samples: list[Rendering]) -> None:
        await _store(ctx, request, trigger, (all_texts(samples) or [""])[0])

    await texts_then(ctx, request.template, request.text, request.rooms[:1], store, "announce")


async def _store(ctx: Context, request: Request, trigger: BaseTrigger, sample: str) -> None:
    row_id = (
        await ctx.db.execute(
            insert(announcements)
            .values(
                created_at=ctx.now,
                created_by=ctx.actor.id,
                community_id=ctx.community.id if ctx.community else None,
                run_at=request.local_at,
                cron=request.cron,
                rooms=[room.platform_id for room in request.rooms],
                template=request.template,
                text=request.text,
                urgent=request.urgent,
                status=AnnouncementStatus.SCHEDULED.value,
                runs=0,
            )
            .returning(announcements.c.id)
        )
    ).scalar_one()
    first = await schedule_job(ctx.db, job_id(row_id), fire, trigger, now=ctx.now, args=(row_id,), name=job_id(row_id))
    ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    ctx.note_audit(announcement=row_id, rooms=[room.platform_id for room in request.rooms])
    zone = ZoneInfo(request.zone)
    times = [t.astimezone(zone) for t in upcoming(trigger, ctx.now, PREVIEW_RUNS)]
    quiet = [t for t in times if in_quiet_hours(ctx, t, zone)] if not request.urgent else []
    _LOGGER.info("announcement #%d scheduled, first run %s", row_id, first)
    await ctx.reply(
        "outreach/announce_scheduled",
        id=row_id,
        times=times,
        rooms=[r.name for r in request.rooms],
        cron=request.cron,
        quiet=bool(quiet),
        quiet_hours=ctx.settings.delivery.quiet_hours,
        sample=sample,
        timezone=request.zone,
    )


async def announce_list(ctx: Context, cmd: Invocation) -> None:
    """/announce list: the scheduled ones, each with its next run."""
    rows = (
        await ctx.db.execute(
            select(announcements)
            .where(announcements.c.status == AnnouncementStatus.SCHEDULED.value)
            .order_by(announcements.c.id)
        )
    ).all()
    items = [await _summary(ctx, row) for row in rows]
    await ctx.reply_privately("outreach/announce_list", items=items)


async def _summary(ctx: Context, row: Any) -> dict[str, Any]:
    following = await next_run_time(ctx.db, job_id(row.id))
    zone = ZoneInfo(await _zone_of(ctx, row))
    return {
        "id": row.id,
        "cron": row.cron,
        "run_at": row.run_at,
        "rooms": await _room_names(ctx, row.rooms),
        "next": following.astimezone(zone) if following else None,
        "template": row.template,
        "text": row.text,
        "status": row.status,
        "runs": row.runs,
        "urgent": row.urgent,
        "last": row.last_run_at.astimezone(zone) if row.last_run_at else None,
    }


async def _zone_of(ctx: Context, row: Any) -> str:
    rooms = await _communities(ctx, row.rooms[:1])
    return rooms[0].timezone if rooms else ctx.settings.bot.timezone


async def _communities(ctx: Context, platform_ids: list[str]) -> list[CommunityRef]:
    table = schema.communities
    rows = {
        r.platform_id: r.name
        for r in (
            await ctx.db.execute(select(table.c.platform_id, table.c.name).where(table.c.platform_id.in_(platform_ids)))
        ).all()
    }
    directory = ctx.services.directory
    return [await directory.ensure_community(ctx.uow, room, rows.get(room, ""), ctx.now) for room in platform_ids]


async def _room_names(ctx: Context, platform_ids: list[str]) -> list[str]:
    return [c.name or c.platform_id for c in await _communities(ctx, platform_ids)]


async def _get(ctx: Context, cmd: Invocation) -> Any:
    return await row_by_id(
        ctx, cmd, announcements, problem="outreach/problem_needs_id", unknown="outreach/announce_unknown"
    )


async def announce_show(ctx: Context, cmd: Invocation) -> None:
    """/announce show ID: everything about one announcement, with its next runs."""
    row = await _get(ctx, cmd)
    summary = await _summary(ctx, row)
    times: list[datetime] = []
    if row.status == AnnouncementStatus.SCHEDULED.value and summary["next"] is not None:
        zone = ZoneInfo(await _zone_of(ctx, row))
        trigger = cron_trigger(row.cron, zone) if row.cron else None
        times = (
            [summary["next"]]
            if trigger is None
            else [t.astimezone(zone) for t in upcoming(trigger, summary["next"], PREVIEW_RUNS)]
        )
    await ctx.reply_privately("outreach/announce_show", a=summary, times=times)


async def announce_cancel(ctx: Context, cmd: Invocation) -> None:
    """/announce cancel ID: no further runs; posts not yet sent (waiting for pacing or quiet hours) are
    withdrawn, also those of a one-off that has fired but not gone out yet."""
    row = await _get(ctx, cmd)
    if row.status == AnnouncementStatus.CANCELLED.value:
        raise UserFacingError("outreach/announce_not_scheduled", id=row.id, status=row.status)
    withdrawn = await withdraw_pending(ctx.db, f"announce:{row.id}:")
    if row.status == AnnouncementStatus.DONE.value and not withdrawn:  # it all went out already
        raise UserFacingError("outreach/announce_not_scheduled", id=row.id, status=row.status)
    await ctx.db.execute(
        update(announcements)
        .where(announcements.c.id == row.id)
        .values(status=AnnouncementStatus.CANCELLED.value, cancelled_at=ctx.now, cancelled_by=ctx.actor.id)
    )
    await unschedule_job(ctx.db, job_id(row.id))
    ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    ctx.note_audit(announcement=row.id, withdrawn=withdrawn)
    await ctx.reply("outreach/announce_cancelled", id=row.id, withdrawn=withdrawn)


async def announce_preview(ctx: Context, cmd: Invocation) -> None:
    """/announce preview ID | at ... | every ... | [#room] text|--template NAME: privately, sends nothing."""
    word, rest = first_word(cmd.text.strip())
    names_one = not rest or word[:1] not in "#＃"  # "#3 some text": a preview of the text for room "#3"
    if names_one and parse_id(word) is not None:
        row = await _get(ctx, cmd)
        await _preview(ctx, row.template, row.text, await _communities(ctx, row.rooms), [], row.cron)
        return
    if word.lower() in ("at", "定时"):
        request = await parse_at(ctx, cmd, rest)
    elif word.lower() in ("every", "每", "循环"):
        request = await parse_every(ctx, cmd, rest)
    else:
        request = Request()
        await read_rooms_and_body(ctx, cmd, cmd.text, request)
    times: list[datetime] = []
    if request.run_at is not None or request.cron is not None:
        zone = ZoneInfo(request.zone)
        times = [t.astimezone(zone) for t in upcoming(trigger_for(request), ctx.now, PREVIEW_RUNS)]
    await _preview(ctx, request.template, request.text, request.rooms, times, request.cron)


async def _preview(
    ctx: Context, template: str | None, text: str, rooms: list[CommunityRef], times: list[datetime], cron: str | None
) -> None:
    async def show(ctx: Context, texts: list[Rendering]) -> None:
        bodies = [(room.name or room.platform_id, body) for room, body in zip(rooms, all_texts(texts), strict=True)]
        await ctx.reply_privately("outreach/announce_preview", bodies=bodies, times=times, cron=cron)

    await texts_then(ctx, template, text, rooms, show, "announce preview")


# The job


async def fire(run: JobRun, announcement_id: int) -> None:
    """Post announcement `announcement_id` in each of its rooms, once for this run."""
    ctx = run.context()
    row = (await ctx.db.execute(select(announcements).where(announcements.c.id == announcement_id))).one_or_none()
    if row is None or row.status != AnnouncementStatus.SCHEDULED.value:
        return
    one_off = row.cron is None
    if run.run_time is None:  # missed beyond the grace time: the scheduler tells the moderators
        if one_off:
            await ctx.db.execute(
                update(announcements).where(announcements.c.id == row.id).values(status=AnnouncementStatus.DONE.value)
            )
        return
    stamp = run.run_time.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M")
    rooms = await _communities(ctx, row.rooms)
    await ctx.db.execute(
        update(announcements)
        .where(announcements.c.id == row.id)
        .values(
            runs=announcements.c.runs + 1,
            last_run_at=run.now,
            status=AnnouncementStatus.DONE.value if one_off else AnnouncementStatus.SCHEDULED.value,
        )
    )

    async def post(ctx: Context, texts: list[Rendering]) -> None:
        await _post_run(ctx, row, rooms, texts, stamp)

    try:
        await texts_then(ctx, row.template, row.text, rooms, post, f"announcement #{row.id}")
    except UserFacingError:  # the template was deleted since: the scheduler tells the moderators
        _LOGGER.error("announcement #%d: template %r is gone; nothing posted", row.id, row.template)
        raise


async def _post_run(ctx: Context, row: Any, rooms: list[CommunityRef], texts: list[Rendering], stamp: str) -> None:
    """Post in each room whose text is ready; a room where the template failed is skipped, and the
    staff are told once, privately."""
    skipped = []
    for room, body in zip(rooms, texts, strict=True):
        if isinstance(body, CustomTemplateError):
            skipped.append((room, body))
            continue
        key = f"announce:{row.id}:{stamp}:{room.platform_id}"
        await ctx.post(room, "outreach/announcement", text=body, urgent=row.urgent, dedupe_key=key)
    if skipped:
        notice = SkipNotice(
            "announcement", row.id, row.template or "", f"announce:skipped:{row.id}:{stamp}", len(rooms)
        )
        await tell_staff_skipped(ctx, notice, skipped)
    _LOGGER.info(
        "announcement #%d posted in %d of %d rooms (run %s)", row.id, len(rooms) - len(skipped), len(rooms), stamp
    )
