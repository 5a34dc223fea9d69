"""The monthly honour roll: posted once per month and community, by a moderator's /honour-roll or the scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, true

from bot.commands import Invocation, parse_month
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.errors import UsageError, UserFacingError
from bot.members import CommunityRef, MemberRef
from bot.scheduling.jobs import JobRun
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import balance, current_month, named
from handlers.recognition.rules import QuoteCandidate, choose_quotes, previous_month
from handlers.recognition.stats import monthly_reachers, revoked_among
from handlers.recognition.tables import honour_rolls, thanks
from handlers.recognition.thanks import reward_threshold

_LOGGER = logging.getLogger(__name__)


@dataclass
class HonourReport:
    """Where a month's honour roll went: posted, nobody to honour, or posted before (with when)."""

    month: str
    posted: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    already: list[tuple[str, datetime]] = field(default_factory=list)


async def honour_roll(ctx: Context, cmd: Invocation) -> None:
    """/honour-roll [YYYY-MM]: last month's by default."""
    month = _month(ctx, cmd)
    report = await post_honour_roll(ctx, month, by=ctx.actor)
    zone = ctx.room_zone
    await ctx.reply(
        "recognition/honour_roll_done",
        month=month,
        posted=report.posted,
        empty=report.empty,
        already=[(name, when.astimezone(zone)) for name, when in report.already],
        threshold=ctx.settings.section(RecognitionSection).monthly_thanks_threshold,
    )


def _month(ctx: Context, cmd: Invocation) -> str:
    current = current_month(ctx)
    if not cmd.args:
        return previous_month(current)
    month = parse_month(cmd.args[0])
    if month is None:
        raise UsageError("recognition/problem_month", text=cmd.args[0])
    if month >= current:
        raise UserFacingError("recognition/month_not_over", month=month)
    return month


async def monthly_honour_roll(run: JobRun) -> None:
    """The scheduler's job (`honour_roll`, on the 1st): last month's roll, in every community."""
    if run.run_time is None:  # missed while the bot was down: a moderator can still post it with /honour-roll
        return
    ctx = run.context()
    await post_honour_roll(ctx, previous_month(ctx.month_of(run.run_time)))


async def post_honour_roll(ctx: Context, month: str, *, by: MemberRef | None = None) -> HonourReport:
    """Post `month`'s honour roll in every community that has not had it yet. Members who reached
    the threshold are rewarded first if they were not yet (never twice). Safe to run again."""
    section = ctx.settings.section(RecognitionSection)
    reachers = dict(await monthly_reachers(ctx.db, month, section.monthly_thanks_threshold))
    for member_id in reachers:
        await reward_threshold(ctx, member_id, month)
    report = HonourReport(month)
    for community in await _communities(ctx):
        await _post_in(ctx, community, month, reachers, report, by)
    _LOGGER.info(
        "honour roll %s: posted in %s, nobody in %s, already in %s",
        month,
        report.posted,
        report.empty,
        [name for name, _ in report.already],
    )
    return report


async def _communities(ctx: Context) -> list[CommunityRef]:
    table = schema.communities
    rows = (await ctx.db.execute(select(table.c.platform_id, table.c.name).order_by(table.c.id))).all()
    directory = ctx.services.directory
    return [
        await directory.ensure_community(ctx.uow, row.platform_id, row.name, ctx.now)
        for row in rows
        if ctx.settings.serves_room(row.platform_id)
    ]


async def _post_in(
    ctx: Context,
    community: CommunityRef,
    month: str,
    reachers: dict[int, int],
    report: HonourReport,
    by: MemberRef | None,
) -> None:
    honoured = await _honoured(ctx, community, month, reachers)
    claimed = (
        insert_for(ctx.db, honour_rolls)
        .values(
            month=month,
            community_id=community.id,
            posted_at=ctx.now,
            posted_by=by.id if by else None,
            honoured=len(honoured),
        )
        .on_conflict_do_nothing(index_elements=["month", "community_id"])
        .returning(honour_rolls.c.month)
    )
    if (await ctx.db.execute(claimed)).scalar_one_or_none() is None:
        report.already.append((community.name, await _posted_at(ctx, community, month)))
        return
    if not honoured:
        report.empty.append(community.name)
        return
    await ctx.post(
        community,
        "recognition/honour_roll",
        month=month,
        honoured=honoured,
        threshold=ctx.settings.section(RecognitionSection).monthly_thanks_threshold,
        mentions=tuple(h["member"].platform_id for h in honoured),
        dedupe_key=f"recognition:honour-roll:{month}:{community.platform_id}",
    )
    report.posted.append(community.name)


async def _posted_at(ctx: Context, community: CommunityRef, month: str) -> datetime:
    stmt = select(honour_rolls.c.posted_at).where(
        honour_rolls.c.month == month, honour_rolls.c.community_id == community.id
    )
    posted_at: datetime = (await ctx.db.execute(stmt)).scalar_one()
    return posted_at


async def _honoured(
    ctx: Context, community: CommunityRef, month: str, reachers: dict[int, int]
) -> list[dict[str, Any]]:
    """The reachers thanked in this community that month who have not left it, most thanked first."""
    memberships = schema.memberships
    left = select(memberships.c.member_id).where(
        memberships.c.community_id == community.id, memberships.c.left_at.is_not(None)
    )
    helped_here = select(thanks.c.receiver_id).where(
        thanks.c.community_id == community.id,
        thanks.c.month == month,
        thanks.c.counted == true(),
        thanks.c.receiver_id.in_(list(reachers)),
        thanks.c.receiver_id.not_in(left),
    )
    present = set((await ctx.db.execute(helped_here.distinct())).scalars())
    ids = [member_id for member_id in reachers if member_id in present]
    names = await named(ctx.db, ids)
    return [
        {
            "member": names[m],
            "count": reachers[m],
            "points": await balance(ctx.db, m),
            "quotes": await _quotes(ctx, community, month, m),
        }
        for m in ids
    ]


async def _quotes(ctx: Context, community: CommunityRef, month: str, member_id: int) -> list[dict[str, Any]]:
    """Words from the member's thank-yous in this community that month (never another group's)."""
    rows = (
        await ctx.db.execute(
            select(thanks.c.id, thanks.c.giver_id, thanks.c.reason).where(
                thanks.c.receiver_id == member_id,
                thanks.c.month == month,
                thanks.c.community_id == community.id,
                thanks.c.counted == true(),
            )
        )
    ).all()
    revoked = await revoked_among(ctx.db, [r.id for r in rows])
    candidates = [QuoteCandidate(r.id, r.giver_id, r.reason) for r in rows if r.id not in revoked]
    chosen = choose_quotes(candidates, ctx.settings.section(RecognitionSection).honour_roll_quotes)
    givers = await named(ctx.db, [c.giver_id for c in chosen])
    return [{"reason": c.reason, "giver": givers[c.giver_id]} for c in chosen]
