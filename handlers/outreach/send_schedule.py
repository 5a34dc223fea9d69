"""Outreach sends at a time or on a cron: the job in the scheduler's store, each run, and cancelling.

A scheduled send is its row (the truth) and a job `outreach:<id>` written in the same transaction,
as announcements are. Each run is numbered when it starts (the job's transaction, recorded once by
the scheduler) and handed off as heavy work: the segment is evaluated again at every run, and the
run's recipient and outbox rows carry the run's number in their key, so a run goes out once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.context import Context
from bot.outbox import withdraw_pending
from bot.scheduling.jobs import JobRun
from bot.scheduling.scheduler import next_run_time, schedule_job, unschedule_job
from handlers.outreach.announce import upcoming
from handlers.outreach.send_parse import SendRequest, trigger_of
from handlers.outreach.tables import SendStatus, outreach_sends

_LOGGER = logging.getLogger(__name__)
SHOWN_RUNS = 3  # upcoming run times a reply lists


def job_id(send_id: int) -> str:
    return f"outreach:{send_id}"


def zone_of(ctx: Context) -> ZoneInfo:
    """Outreach is private: its times are read and shown in the bot's time zone, where private
    messages keep their quiet hours."""
    return ZoneInfo(ctx.settings.bot.timezone)


def times_of(at: datetime | None, cron: str | None, zone: ZoneInfo, now: datetime) -> list[datetime]:
    """The next runs (local), at most SHOWN_RUNS."""
    if at is None and cron is None:
        return []
    return [t.astimezone(zone) for t in upcoming(trigger_of(at, cron, zone), now, SHOWN_RUNS)]


async def schedule(ctx: Context, send_id: int, request: SendRequest, count: int, awaiting: bool) -> None:
    """The send's job, and the moderator told when it runs (and that it waits for a confirmation)."""
    zone = zone_of(ctx)
    trigger = trigger_of(request.at, request.cron, zone)
    await schedule_job(ctx.db, job_id(send_id), fire, trigger, now=ctx.now, args=(send_id,), name=job_id(send_id))
    ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    section = ctx.settings.outreach  # type: ignore[attr-defined]  # (see bot.config)
    await ctx.reply_privately(
        "outreach/send_scheduled",
        id=send_id,
        segment=request.segment,
        template=request.template,
        count=count,
        cron=request.cron,
        times=times_of(request.at, request.cron, zone, ctx.now),
        timezone=zone.key,
        awaiting=awaiting,
        confirm_over=section.confirm_over,
    )


async def start_run(ctx: Context, row: Any, *, confirmed: bool = False) -> int:
    """Number the send's next run and hand it off; returns the number."""
    run = int(row.runs) + 1
    await ctx.db.execute(
        update(outreach_sends).where(outreach_sends.c.id == row.id).values(runs=run, last_run_at=ctx.now)
    )
    await ctx.hand_off("outreach send", send=row.id, run=run, confirmed=confirmed)
    return run


async def fire(run: JobRun, send_id: int) -> None:
    """The scheduler's job for send `send_id`: start this run, unless the send waits or is over."""
    conn = run.uow.conn
    row = (await conn.execute(select(outreach_sends).where(outreach_sends.c.id == send_id))).one_or_none()
    if row is None or row.status not in (SendStatus.SCHEDULED.value, SendStatus.AWAITING.value):
        return
    one_off = row.cron is None
    if run.run_time is None:  # missed beyond the grace time: the scheduler tells the moderators
        if one_off:
            await _set(run, send_id, status=SendStatus.DONE.value)
        return
    if row.status == SendStatus.AWAITING.value:
        # Not confirmed yet: the run waits for /outreach confirm, which starts it (a run already
        # waiting stays the one that goes out: a recurring send never sends a backlog).
        if row.waiting_run is None:
            await _set(run, send_id, waiting_run=int(row.runs) + 1, runs=int(row.runs) + 1, last_run_at=run.now)
        _LOGGER.info("outreach #%d: run due at %s waits for a confirmation", send_id, run.run_time)
        return
    creator = await run.services.directory.find_member_by_id(conn, row.created_by)
    ctx = run.context(creator)
    number = await start_run(ctx, row, confirmed=row.confirmed_at is not None)
    _LOGGER.info("outreach #%d: run %d started (due %s)", send_id, number, run.run_time)


async def _set(run: JobRun, send_id: int, **values: Any) -> None:
    await run.uow.conn.execute(update(outreach_sends).where(outreach_sends.c.id == send_id).values(**values))


async def stop(ctx: Context, row: Any) -> int:
    """Cancel a send: no further runs, and its messages not sent yet taken back; how many."""
    withdrawn = await withdraw_pending(ctx.db, f"outreach:{row.id}:")
    await ctx.db.execute(
        update(outreach_sends)
        .where(outreach_sends.c.id == row.id)
        .values(status=SendStatus.CANCELLED.value, cancelled_at=ctx.now, cancelled_by=ctx.actor.id, waiting_run=None)
    )
    if await unschedule_job(ctx.db, job_id(row.id)):
        ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    return withdrawn


async def next_runs(ctx: Context, row: Any) -> list[datetime]:
    """When the send runs next (local), from its job; nothing once it is done or cancelled."""
    following = await next_run_time(ctx.db, job_id(row.id))
    if following is None or row.status in (SendStatus.DONE.value, SendStatus.CANCELLED.value):
        return []
    zone = zone_of(ctx)
    if row.cron is None:
        return [following.astimezone(zone)]
    return times_of(None, row.cron, zone, following)  # from the next run on
