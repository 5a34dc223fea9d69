"""What is scheduled (announcements, clue drops, built-in jobs: their next runs) and the outbox's queues."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.schema import OutboxStatus
from handlers.outreach.tables import AnnouncementStatus, announcements

LISTED = 50


@dataclass(frozen=True, slots=True)
class Run:
    at: datetime
    job_id: str
    announcement: Any | None  # the announcement this job posts, if it is one


async def calendar(conn: AsyncConnection, zone: ZoneInfo) -> dict[date, list[Run]]:
    """Every job's next run, by local day, soonest first."""
    j, a = schema.scheduler_jobs.c, announcements.c
    jobs = (
        await conn.execute(select(j.id, j.next_run_time).where(j.next_run_time.isnot(None)).order_by(j.next_run_time))
    ).all()
    scheduled = (await conn.execute(select(announcements).where(a.status == AnnouncementStatus.SCHEDULED.value))).all()
    by_job = {f"announce:{row.id}": row for row in scheduled}
    days: dict[date, list[Run]] = defaultdict(list)
    for job in jobs:
        at = datetime.fromtimestamp(job.next_run_time, UTC)
        days[at.astimezone(zone).date()].append(Run(at, job.id, by_job.get(job.id)))
    return dict(days)


async def scheduled_announcements(conn: AsyncConnection) -> list[Any]:
    a = announcements.c
    return list(
        (
            await conn.execute(
                select(announcements).where(a.status == AnnouncementStatus.SCHEDULED.value).order_by(a.id)
            )
        ).all()
    )


async def outbox_rows(conn: AsyncConnection, now: datetime) -> dict[str, list[Any]]:
    """Held (waiting for quiet hours or the budget), failed (parked), and the last sent."""
    o = schema.outbox.c
    columns = (
        o.id,
        o.room_platform_id,
        o.contact_platform_id,
        o.text,
        o.template,
        o.not_before,
        o.attempts,
        o.last_error,
        o.sent_at,
        o.delivery,
    )
    pending = o.status == OutboxStatus.PENDING.value
    held = select(*columns).where(pending, o.not_before > now).order_by(o.not_before).limit(LISTED)
    failed = select(*columns).where(o.status == OutboxStatus.FAILED.value).order_by(o.id.desc()).limit(LISTED)
    sent = select(*columns).where(o.status == OutboxStatus.SENT.value).order_by(o.sent_at.desc(), o.id.desc()).limit(20)
    return {
        name: list((await conn.execute(stmt)).all())
        for name, stmt in (("held", held), ("failed", failed), ("sent", sent))
    }
