"""One daily job enforces the retention of every kind of personal data the config names; the digest says what it did."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import Context
from bot.db import schema
from bot.scheduling.jobs import JobRun
from handlers.feedback.rules import CLOSED
from handlers.feedback.tables import items, people
from handlers.outreach.tables import AnnouncementStatus, announcements, welcomes
from handlers.privacy.config import PrivacySection, privacy_section
from handlers.privacy.erase import REDACTED
from handlers.privacy.tables import sweeps
from handlers.threads.tables import Status as ThreadStatus
from handlers.threads.tables import events as issue_events
from handlers.threads.tables import people as issue_people
from handlers.threads.tables import threads
from handlers.web.tables import links, sessions

_LOGGER = logging.getLogger(__name__)
EXPORT_FILE_DAYS = 7  # a /mydata file stays in the outbox row this long after it is made, then only its caption


def _before(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days else None


async def _feedback(conn: AsyncConnection, cutoff: datetime) -> int:
    i = items.c
    old = and_(i.status.in_([s.value for s in CLOSED]), i.updated_at < cutoff, i.scenario != REDACTED)
    ids = select(i.id).where(old).scalar_subquery()
    await conn.execute(update(people).where(people.c.item_id.in_(ids)).values(details=""))
    done = await conn.execute(update(items).where(old).values(scenario=REDACTED, steps="", expected=REDACTED))
    return done.rowcount or 0


async def _threads(conn: AsyncConnection, cutoff: datetime) -> int:
    t = threads.c
    old = select(t.id).where(t.status == ThreadStatus.RESOLVED.value, t.updated_at < cutoff).scalar_subquery()
    e = issue_events.c
    await conn.execute(
        update(issue_people)
        .where(issue_people.c.thread_id.in_(old), issue_people.c.answer_text.is_not(None))
        .values(answer_text=None)
    )
    done = await conn.execute(update(issue_events).where(e.thread_id.in_(old), e.text != "").values(text=""))
    return done.rowcount or 0


async def _outreach(conn: AsyncConnection, cutoff: datetime) -> int:
    a = announcements.c
    finished = (AnnouncementStatus.DONE.value, AnnouncementStatus.CANCELLED.value)
    stale = and_(a.status.in_(finished), a.created_at < cutoff, a.text != "")
    texts = await conn.execute(update(announcements).where(stale).values(text=""))
    welcomed = await conn.execute(delete(welcomes).where(welcomes.c.welcomed_at < cutoff))
    return (texts.rowcount or 0) + (welcomed.rowcount or 0)


async def _audit(conn: AsyncConnection, cutoff: datetime) -> int:
    return (await conn.execute(delete(schema.audit_log).where(schema.audit_log.c.at < cutoff))).rowcount or 0


async def _sessions(conn: AsyncConnection, cutoff: datetime) -> int:
    gone = await conn.execute(delete(links).where(links.c.expires_at < cutoff))
    ended = or_(sessions.c.expires_at < cutoff, sessions.c.ended_at < cutoff)
    return (gone.rowcount or 0) + ((await conn.execute(delete(sessions).where(ended))).rowcount or 0)


async def _export_files(conn: AsyncConnection, cutoff: datetime) -> int:
    o = schema.outbox.c
    made = and_(o.template == "privacy/export_file", o.image_data.is_not(None), o.created_at < cutoff)
    return (await conn.execute(update(schema.outbox).where(made).values(image_data=None))).rowcount or 0


async def sweep(conn: AsyncConnection, section: PrivacySection, now: datetime) -> dict[str, int]:
    """Apply every retention rule at `now`; what was removed, by kind."""
    rules = (
        ("feedback", section.feedback_text_days, _feedback),
        ("threads", section.thread_notes_days, _threads),
        ("outreach", section.outreach_days, _outreach),
        ("audit", section.audit_days, _audit),
        ("sessions", section.sessions_days, _sessions),
        ("export_files", EXPORT_FILE_DAYS, _export_files),
    )
    counts: dict[str, int] = {}
    for kind, days, rule in rules:
        cutoff = _before(now, days)
        if cutoff is not None:
            removed = await rule(conn, cutoff)
            if removed:
                counts[kind] = removed
    await conn.execute(insert(sweeps).values(ran_at=now, counts=counts))
    return counts


async def retention_job(run: JobRun) -> None:
    """The scheduler's `privacy_retention` job (daily); a missed day is caught up by the next one."""
    if run.run_time is None:
        return
    counts = await sweep(run.uow.conn, privacy_section(run.services.settings), run.now)
    _LOGGER.info("privacy retention: %s", counts or "nothing past its time")


async def digest_section(ctx: Context) -> tuple[str, dict[str, Any]] | None:
    """What the retention job removed in the last 7 days (nothing to say when it removed nothing)."""
    found = await ctx.db.execute(select(sweeps.c.counts).where(sweeps.c.ran_at >= ctx.now - timedelta(days=7)))
    totals: dict[str, int] = {}
    for counts in found.scalars():
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + n
    runs = await ctx.db.execute(select(func.count()).where(sweeps.c.ran_at >= ctx.now - timedelta(days=7)))
    if not totals:
        return None
    return "privacy/digest", {"totals": totals, "runs": runs.scalar_one()}
