"""What members and moderators see: /me, /top and /thanks list."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from bot.commands import Invocation, parse_month
from bot.context import Context
from bot.errors import UsageError
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import Named, balance, current_month, named, points_by_source
from handlers.recognition.moderation import mentioned_members
from handlers.recognition.rules import Period, UnknownWord, parse_top
from handlers.recognition.stats import Standing, leaderboard, revoked_among, thanks_count, uncounted_given
from handlers.recognition.tables import Source, ledger, thanks

_LOGGER = logging.getLogger(__name__)
LISTED_THANKS = 20


async def show_me(ctx: Context, cmd: Invocation) -> None:
    """/me [YYYY-MM], answered privately wherever it is asked: everything recorded about the caller, every
    ledger line of the month (this one, or the month asked for), and every rule that earns points."""
    section = ctx.settings.section(RecognitionSection)
    month, me = current_month(ctx), ctx.actor.id
    shown = parse_month(cmd.args[0]) if cmd.args else month
    if shown is None:
        raise UsageError()
    counts = await _thanks_counts(ctx, month)
    if ctx.community is not None:
        await ctx.reply("recognition/me_sent")
    await ctx.reply_privately(
        "recognition/me",
        me=(await named(ctx.db, [me]))[me],
        month=month,
        counts=counts,
        rules=section,
        to_go=max(0, section.monthly_thanks_threshold - counts["received_month"]),
        earning=_earning_rules(ctx),
        **await _points(ctx, shown),
    )


async def _thanks_counts(ctx: Context, month: str) -> dict[str, int]:
    me = ctx.actor.id
    return {
        "received_month": await thanks_count(ctx.db, "receiver_id", me, month),
        "received_all": await thanks_count(ctx.db, "receiver_id", me),
        "given_month": await thanks_count(ctx.db, "giver_id", me, month),
        "given_all": await thanks_count(ctx.db, "giver_id", me),
        "uncounted_month": await uncounted_given(ctx.db, me, month),
    }


async def _points(ctx: Context, month: str) -> dict[str, Any]:
    """The balance by source, every ledger line of `month` with its real kind, and how many lines other
    months hold (the member reads them with /me YYYY-MM)."""
    by_source = await points_by_source(ctx.db, ctx.actor.id)
    zone = ctx.room_zone
    rows = (
        await ctx.db.execute(
            select(ledger.c.id, ledger.c.amount, ledger.c.source, ledger.c.reason, ledger.c.created_at)
            .add_columns(ledger.c.month, ledger.c.reverses_id)
            .where(ledger.c.member_id == ctx.actor.id)
            .order_by(ledger.c.id)
        )
    ).all()
    undone = {r.reverses_id for r in rows if r.reverses_id is not None}
    earlier = [r.month for r in rows if r.month < month]
    return {
        "points": await balance(ctx.db, ctx.actor.id),
        "by_source": [(source.value, by_source[source.value]) for source in Source if source.value in by_source],
        "shown_month": month,
        "lines": [_ledger_line(r, r.id in undone, zone) for r in rows if r.month == month],
        "earlier": {"count": len(earlier), "month": max(earlier) if earlier else None},
    }


def _ledger_line(row: Any, undone: bool, zone: ZoneInfo) -> dict[str, Any]:
    """A ledger row as the member reads it: an undo is an undo, a negative manual line a deduction."""
    if row.reverses_id is not None:
        kind = "undo"
    elif row.source == Source.MANUAL.value and row.amount < 0:
        kind = "deduction"
    else:
        kind = row.source
    when = row.created_at.astimezone(zone)
    return {
        "amount": row.amount,
        "kind": kind,
        "source": row.source,
        "reason": row.reason,
        "when": when,
        "undone": undone,
    }


def _earning_rules(ctx: Context) -> dict[str, Any]:
    """The other capabilities' rules that earn points, for /me's "how to earn more" (None: not installed)."""
    return {
        "feedback": getattr(ctx.settings, "feedback", None),
        "campaigns": [
            r for r in getattr(getattr(ctx.settings, "campaigns", None), "rewards", []) if r.points or r.title
        ],
    }


async def show_top(ctx: Context, cmd: Invocation) -> None:
    """/top [month|all] [thanks|points] [brand]: this group's board, or the whole brand's."""
    try:
        request = parse_top(cmd.args)
    except UnknownWord as exc:
        raise UsageError("recognition/problem_top_word", word=exc.word) from None
    brand = request.brand or ctx.community is None
    month = current_month(ctx) if request.period is Period.MONTH else None
    size = ctx.settings.section(RecognitionSection).top_size
    standings = await leaderboard(
        ctx.db, request.board, month, None if brand or ctx.community is None else ctx.community.id, ctx.actor.id, size
    )
    names = await named(ctx.db, [s.member_id for s in standings.top] + [ctx.actor.id])
    await ctx.reply(
        "recognition/top",
        board=request.board.value,
        month=month,
        brand=brand,
        community=ctx.community.name if ctx.community else "",
        me=ctx.actor.id,
        top=[_row(s, names) for s in standings.top],
        more_tied=standings.more_tied,
        caller=_row(standings.caller, names) if standings.caller else None,
    )


def _row(standing: Standing, names: dict[int, Named]) -> dict[str, Any]:
    return {"place": standing.place, "member": names[standing.member_id], "score": standing.score}


async def list_thanks(ctx: Context, cmd: Invocation) -> None:
    """/thanks list @x: the member's latest thank-yous, given and received, counted or not, and why."""
    member = (await mentioned_members(ctx, cmd))[0]
    involved = or_(thanks.c.giver_id == member.id, thanks.c.receiver_id == member.id)
    rows = (
        await ctx.db.execute(select(thanks).where(involved).order_by(thanks.c.id.desc()).limit(LISTED_THANKS))
    ).all()
    revoked = await revoked_among(ctx.db, [r.id for r in rows])
    names = await named(ctx.db, [member.id] + [i for r in rows for i in (r.giver_id, r.receiver_id) if i])
    zone = ctx.room_zone
    entries = [
        {
            "id": r.id,
            "when": r.created_at.astimezone(zone),
            "giver": names[r.giver_id],
            "receiver": names.get(r.receiver_id),
            "counted": r.counted and r.id not in revoked,
            "why": "revoked" if r.id in revoked else r.why_not,
            "reason": r.reason,
        }
        for r in rows
    ]
    ctx.note_audit(target=member)
    await ctx.reply(
        "recognition/thanks_list",
        member=names[member.id],
        entries=entries,
        limit=LISTED_THANKS,
        received=await thanks_count(ctx.db, "receiver_id", member.id),
        given=await thanks_count(ctx.db, "giver_id", member.id),
    )
