"""The monthly communication brief: points for active KOCs to make in their own words, never a script.

A moderator sets a month's points (`/brief set 2026-12` and the points, one per line); on
the 1st the scheduler's `monthly_brief` job sends them privately to every active KOC, once
per member and month. `/brief send` sends a brief set too late for the 1st.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from bot.commands import Invocation, parse_month
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import OutboxStatus, Stage
from bot.errors import UsageError, UserFacingError
from bot.members import MemberRef
from bot.scheduling.jobs import JobRun
from bot.scheduling.scheduler import next_run_time
from handlers.outreach.tables import briefs, consent

_LOGGER = logging.getLogger(__name__)
KEY = "outreach:brief:{month}:"
JOB_ID = "builtin:monthly_brief"


def this_month(ctx: Context) -> str:
    return ctx.month_of()


def points_of(text: str) -> list[str]:
    """One point per line; bullets and numbering a moderator types are dropped."""
    return [re.sub(r"^\s*(?:[-*·•]|\d+[.、)）])\s*", "", line).strip() for line in text.splitlines() if line.strip()]


async def set_brief(ctx: Context, cmd: Invocation) -> None:
    """/brief set 2026-12 followed by the points, one per line."""
    month = parse_month(cmd.args[0]) if cmd.args else None
    if month is None:
        raise UsageError("outreach/problem_brief_month")
    points = points_of(cmd.text[len(cmd.args[0]) :].strip())
    if not points:
        raise UsageError("outreach/problem_brief_points")
    values = {"points": "\n".join(points), "set_by": ctx.actor.id, "set_at": ctx.now, "details": {}}
    await ctx.db.execute(
        insert_for(ctx.db, briefs)
        .values(month=month, **values)
        .on_conflict_do_update(index_elements=["month"], set_=values)
    )
    ctx.note_audit(month=month, points=len(points))
    sent = await _sent(ctx, month)
    await ctx.reply("outreach/brief_saved", month=month, points=points, late=await _job_passed(ctx, month), sent=sent)


async def _job_passed(ctx: Context, month: str) -> bool:
    """Has the monthly_brief run for `month` already been (or is the job switched off)?"""
    following = await next_run_time(ctx.db, JOB_ID)
    if following is None:
        return True
    return month < ctx.month_of(following)


async def show_brief(ctx: Context, cmd: Invocation) -> None:
    """/brief show [2026-12]: the points and how many KOCs have them."""
    month = parse_month(cmd.args[0]) if cmd.args else this_month(ctx)
    if month is None:
        raise UsageError("outreach/problem_brief_month")
    row = (await ctx.db.execute(select(briefs).where(briefs.c.month == month))).one_or_none()
    if row is None:
        raise UserFacingError("outreach/brief_none", month=month)
    await ctx.reply_privately(
        "outreach/brief_show",
        month=month,
        points=row.points.splitlines(),
        sent=await _sent(ctx, month),
        kocs=len(await active_kocs(ctx)),
    )


async def send_now(ctx: Context, cmd: Invocation) -> None:
    """/brief send 2026-12: to active KOCs who do not have it yet."""
    month = parse_month(cmd.args[0]) if cmd.args else None
    if month is None:
        raise UsageError("outreach/problem_brief_month")
    count = await deliver(ctx, month)
    if count is None:
        raise UserFacingError("outreach/brief_none", month=month)
    # A brief is unsolicited: active KOCs who opted out do not get it, and the moderator hears how many.
    opted_out = len(await active_kocs(ctx)) - len(await active_kocs(ctx, reachable=True))
    ctx.note_audit(month=month, sent=count, opted_out=opted_out)
    await ctx.reply("outreach/brief_sent", month=month, count=count, opted_out=opted_out)


async def active_kocs(ctx: Context, *, reachable: bool = False) -> list[MemberRef]:
    """The active KOCs; `reachable`: only those who have not opted out of unsolicited messages."""
    members = schema.members
    stmt = select(members.c.platform_id).where(members.c.stage == Stage.ACTIVE.value).order_by(members.c.id)
    if reachable:
        stmt = stmt.where(members.c.id.not_in(select(consent.c.member_id).where(consent.c.opted_out.is_(True))))
    rows = (await ctx.db.execute(stmt)).scalars().all()
    directory = ctx.services.directory
    return [found for platform_id in rows if (found := await directory.find_member(ctx.db, platform_id))]


async def deliver(ctx: Context, month: str) -> int | None:
    """Send `month`'s brief to each active KOC once (None: no brief for that month); how many it newly reached."""
    row = (await ctx.db.execute(select(briefs).where(briefs.c.month == month))).one_or_none()
    if row is None:
        return None
    outbox = schema.outbox
    prefix = KEY.format(month=month)
    have = set(
        (await ctx.db.execute(select(outbox.c.dedupe_key).where(outbox.c.dedupe_key.startswith(prefix)))).scalars()
    )
    count = 0
    for member in await active_kocs(ctx, reachable=True):
        if prefix + member.platform_id in have:
            continue
        await ctx.dm(
            member,
            "outreach/brief",
            month=month,
            points=row.points.splitlines(),
            name=member.name,
            dedupe_key=prefix + member.platform_id,
        )
        count += 1
    return count


async def _sent(ctx: Context, month: str) -> int:
    outbox = schema.outbox
    return (
        await ctx.db.execute(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.dedupe_key.startswith(KEY.format(month=month)), outbox.c.status != OutboxStatus.FAILED.value
            )
        )
    ).scalar_one()


async def monthly_brief(run: JobRun) -> None:
    """The scheduler's `monthly_brief` job (on the 1st): this month's brief, if one is set."""
    if run.run_time is None:
        return
    ctx = run.context()
    month = ctx.month_of(run.run_time)
    count = await deliver(ctx, month)
    if count is None:
        _LOGGER.info("no communication brief set for %s: nothing sent", month)
    else:
        _LOGGER.info("communication brief %s sent to %d KOCs", month, count)
