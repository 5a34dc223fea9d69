"""Points and titles: the append-only ledger, title events, and the service API other capabilities call."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import month_of
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.hooks import HookPoint
from bot.members import MemberRef
from handlers.recognition.tables import ActionKind, Source, actions, ledger, title_events

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Named:
    """A member as recognition messages name them: their name and the titles they hold."""

    id: int
    platform_id: str
    name: str
    titles: tuple[str, ...] = ()


def timezone_of(ctx: Context) -> str:
    """The time zone of this event: its room's, or the bot's in private."""
    return ctx.community.timezone if ctx.community else ctx.settings.bot.timezone


def current_month(ctx: Context) -> str:
    return month_of(ctx.now, ctx.room_zone)


@dataclass(frozen=True, slots=True)
class Rewarded:
    """Points or a title newly given to a member (not a deduction, revocation or undo)."""

    member_id: int
    source: Source
    key: str  # unique per award: the idempotency key, else the ledger or title event id
    reason: str
    points: int = 0
    title: str = ""


# Other capabilities listen (`registry.listen`): e.g. the KOC capability, for which a reward to a KOC
# is a promise to deliver it.
REWARDED: HookPoint[Rewarded] = HookPoint("recognition.rewarded")


async def _rewarded(ctx: Context, rewarded: Rewarded) -> None:
    await ctx.emit(REWARDED, rewarded)


async def record_action(ctx: Context, kind: ActionKind, *, undoes: int | None = None) -> int:
    """Open a moderator action; the rows it adds point to it, so /undo can reverse them together."""
    stmt = (
        insert(actions)
        .values(
            kind=kind.value,
            actor_id=ctx.actor.id,
            community_id=ctx.community.id if ctx.community else None,
            created_at=ctx.now,
            undoes_id=undoes,
        )
        .returning(actions.c.id)
    )
    action_id: int = (await ctx.db.execute(stmt)).scalar_one()
    return action_id


async def award_points(
    ctx: Context,
    member_id: int,
    amount: int,
    source: Source,
    reason: str,
    *,
    key: str | None = None,
    by: MemberRef | None = None,
    action_id: int | None = None,
    reverses_id: int | None = None,
) -> int | None:
    """Append a ledger row (negative amounts deduct). With a `key`, awarded at most once: a key used
    before returns None and adds nothing. `by` is the member who granted it; None for a rule."""
    values = {
        "member_id": member_id,
        "amount": amount,
        "reason": reason,
        "source": source.value,
        "community_id": ctx.community.id if ctx.community else None,
        "month": current_month(ctx),
        "granted_by": by.id if by else None,
        "action_id": action_id,
        "reverses_id": reverses_id,
        "key": key,
        "created_at": ctx.now,
    }
    stmt = insert_for(ctx.db, ledger).values(**values).returning(ledger.c.id)
    if key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    entry_id = (await ctx.db.execute(stmt)).scalar_one_or_none()
    if entry_id is not None:
        _LOGGER.info("points %+d for member %s (%s, %s)", amount, member_id, source.value, key or reason)
        if amount > 0 and reverses_id is None:
            await _rewarded(ctx, Rewarded(member_id, source, key or f"ledger:{entry_id}", reason, points=amount))
    return entry_id


async def grant_title(
    ctx: Context,
    member_id: int,
    title: str,
    source: Source,
    *,
    key: str | None = None,
    by: MemberRef | None = None,
    action_id: int | None = None,
) -> bool:
    """Give `member_id` the title; False when they hold it already or `key` was used before."""
    if title in await titles_held(ctx.db, member_id):
        return False
    return await _title_event(ctx, member_id, title, True, source, key=key, by=by, action_id=action_id)


async def revoke_title(
    ctx: Context, member_id: int, title: str, *, by: MemberRef | None = None, action_id: int | None = None
) -> bool:
    """Take the title back; False when they do not hold it."""
    if title not in await titles_held(ctx.db, member_id):
        return False
    return await _title_event(ctx, member_id, title, False, Source.MANUAL, by=by, action_id=action_id)


async def _title_event(
    ctx: Context,
    member_id: int,
    title: str,
    granted: bool,
    source: Source,
    *,
    key: str | None = None,
    by: MemberRef | None = None,
    action_id: int | None = None,
    reverses_id: int | None = None,
) -> bool:
    stmt = (
        insert_for(ctx.db, title_events)
        .values(
            member_id=member_id,
            title=title,
            granted=granted,
            source=source.value,
            granted_by=by.id if by else None,
            action_id=action_id,
            reverses_id=reverses_id,
            key=key,
            created_at=ctx.now,
        )
        .returning(title_events.c.id)
    )
    if key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    event_id = (await ctx.db.execute(stmt)).scalar_one_or_none()
    if event_id is not None:
        _LOGGER.info("title %r %s member %s", title, "granted to" if granted else "revoked from", member_id)
        if granted and reverses_id is None:
            await _rewarded(ctx, Rewarded(member_id, source, f"title:{key or event_id}", title, title=title))
    return event_id is not None


async def reverse_title_event(ctx: Context, event_id: int, action_id: int) -> None:
    """Undo one title event with its opposite, pointing back to it."""
    row = (await ctx.db.execute(select(title_events).where(title_events.c.id == event_id))).one()
    await _title_event(
        ctx,
        row.member_id,
        row.title,
        not row.granted,
        Source(row.source),
        by=ctx.actor,
        action_id=action_id,
        reverses_id=row.id,
    )


async def titles_of(conn: AsyncConnection, member_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The titles each member holds now: those whose latest event is a grant, oldest first."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    latest = (
        select(func.max(title_events.c.id))
        .where(title_events.c.member_id.in_(ids))
        .group_by(title_events.c.member_id, title_events.c.title)
    )
    rows = (
        await conn.execute(
            select(title_events.c.member_id, title_events.c.title)
            .where(title_events.c.id.in_(latest), title_events.c.granted.is_(True))
            .order_by(title_events.c.id)
        )
    ).all()
    held: dict[int, tuple[str, ...]] = {}
    for row in rows:
        held[row.member_id] = (*held.get(row.member_id, ()), row.title)
    return held


async def titles_held(conn: AsyncConnection, member_id: int) -> tuple[str, ...]:
    return (await titles_of(conn, [member_id])).get(member_id, ())


async def named(conn: AsyncConnection, member_ids: Iterable[int]) -> dict[int, Named]:
    """Members by id with their current names and titles, for templates."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    members = schema.members
    rows = (
        await conn.execute(
            select(members.c.id, members.c.platform_id, members.c.display_name).where(members.c.id.in_(ids))
        )
    ).all()
    titles = await titles_of(conn, ids)
    return {row.id: Named(row.id, row.platform_id, row.display_name, titles.get(row.id, ())) for row in rows}


async def balance(conn: AsyncConnection, member_id: int) -> int:
    total = select(func.coalesce(func.sum(ledger.c.amount), 0)).where(ledger.c.member_id == member_id)
    return int((await conn.execute(total)).scalar_one())


async def points_by_source(conn: AsyncConnection, member_id: int) -> dict[str, int]:
    """How a member's points were earned: the net sum per source, reversals included."""
    rows = (
        await conn.execute(
            select(ledger.c.source, func.sum(ledger.c.amount))
            .where(ledger.c.member_id == member_id)
            .group_by(ledger.c.source)
        )
    ).all()
    return {source: int(total) for source, total in rows if total}
