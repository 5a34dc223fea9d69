"""/undo: reverse the caller's last moderator action with new rows that point back to the old ones."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists, insert, select

from bot.commands import Invocation
from bot.context import Context
from bot.errors import UserFacingError
from handlers.recognition.ledger import award_points, named, record_action, reverse_title_event
from handlers.recognition.tables import ActionKind, Source, actions, ledger, revocations, thanks, title_events
from handlers.recognition.thanks import announce_reached, reached_for, reward_threshold

_LOGGER = logging.getLogger(__name__)


async def undo(ctx: Context, cmd: Invocation) -> None:
    """Undo the newest of the caller's actions not undone yet; another /undo goes one further back."""
    action = await _last_undoable(ctx)
    if action is None:
        raise UserFacingError("recognition/nothing_to_undo")
    undo_id = await record_action(ctx, ActionKind.UNDO, undoes=action.id)
    points = await _reverse_points(ctx, action.id, undo_id)
    titles = await _reverse_titles(ctx, action.id, undo_id)
    reinstated = await _reverse_revocations(ctx, action.id, undo_id)
    affected = [r.member_id for r in points + titles] + [r.receiver_id for r in reinstated]
    target = await ctx.services.directory.find_member_by_id(ctx.db, affected[0]) if affected else None
    ctx.note_audit(target=target, action_id=undo_id, undoes=action.id, undone=action.kind)
    when = action.created_at.astimezone(ctx.room_zone)
    await ctx.reply(
        "recognition/undone", kind=action.kind, when=when, **await _describe(ctx, points, titles, reinstated)
    )
    await _reward_reinstated(ctx, reinstated)


async def _last_undoable(ctx: Context) -> Any:
    later = actions.alias("later")
    stmt = (
        select(actions)
        .where(
            actions.c.actor_id == ctx.actor.id,
            actions.c.kind != ActionKind.UNDO.value,
            ~exists().where(later.c.undoes_id == actions.c.id),
        )
        .order_by(actions.c.id.desc())
        .limit(1)
    )
    return (await ctx.db.execute(stmt)).one_or_none()


async def _reverse_points(ctx: Context, action_id: int, undo_id: int) -> list[Any]:
    rows = (await ctx.db.execute(select(ledger).where(ledger.c.action_id == action_id).order_by(ledger.c.id))).all()
    for row in rows:
        await award_points(
            ctx,
            row.member_id,
            -row.amount,
            Source(row.source),
            row.reason,
            by=ctx.actor,
            action_id=undo_id,
            reverses_id=row.id,
        )
    return list(rows)


async def _reverse_titles(ctx: Context, action_id: int, undo_id: int) -> list[Any]:
    stmt = select(title_events).where(title_events.c.action_id == action_id).order_by(title_events.c.id)
    rows = (await ctx.db.execute(stmt)).all()
    for row in rows:
        await reverse_title_event(ctx, row.id, undo_id)
    return list(rows)


async def _reverse_revocations(ctx: Context, action_id: int, undo_id: int) -> list[Any]:
    """Undoing a revocation reinstates the thank-you; the thank-yous are returned."""
    stmt = (
        select(
            revocations.c.id.label("revocation_id"),
            thanks.c.id,
            thanks.c.giver_id,
            thanks.c.receiver_id,
            thanks.c.month,
        )
        .join(thanks, thanks.c.id == revocations.c.thanks_id)
        .where(revocations.c.action_id == action_id)
    )
    rows = (await ctx.db.execute(stmt)).all()
    for row in rows:
        await ctx.db.execute(
            insert(revocations).values(
                thanks_id=row.id, action_id=undo_id, reverses_id=row.revocation_id, created_at=ctx.now
            )
        )
    return list(rows)


async def _describe(ctx: Context, points: list[Any], titles: list[Any], reinstated: list[Any]) -> dict[str, Any]:
    ids = [r.member_id for r in points + titles] + [i for r in reinstated for i in (r.giver_id, r.receiver_id)]
    names = await named(ctx.db, ids)
    return {
        "points": [{"member": names[r.member_id], "amount": r.amount} for r in points],
        "titles": [{"member": names[r.member_id], "title": r.title, "granted": r.granted} for r in titles],
        "thanks": [{"id": r.id, "giver": names[r.giver_id], "receiver": names[r.receiver_id]} for r in reinstated],
    }


async def _reward_reinstated(ctx: Context, reinstated: list[Any]) -> None:
    """A reinstated thank-you may complete a month's threshold: rewarded as if it had never gone."""
    for row in reinstated:
        award = await reward_threshold(ctx, row.receiver_id, row.month)
        if award is not None:
            await announce_reached(ctx, await reached_for(ctx, [award]))
