"""Counting what is recorded: thank-yous that count (revocations subtracted), and the leaderboards."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, case, func, literal, literal_column, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from handlers.recognition.rules import Board
from handlers.recognition.tables import ledger, revocations, thanks

_LOGGER = logging.getLogger(__name__)


def revoked_ids(before: datetime | None = None) -> Select[Any]:
    """The thank-yous revoked now (or just `before` then): more revocations than reinstatements (the
    difference is 1 or 0)."""
    change = case((revocations.c.reverses_id.is_(None), -1), else_=1)
    stmt = select(revocations.c.thanks_id)
    if before is not None:
        stmt = stmt.where(revocations.c.created_at < before)
    return stmt.group_by(revocations.c.thanks_id).having(func.sum(change) < 0)


def thanks_units(side: str, *where: Any, by_time: bool = False) -> Subquery:
    """Rows (member_id, n) whose `n`s, summed per member, are the thank-yous that count now: the
    counted ones matching `where`, less those revoked. `side` is "receiver_id" or "giver_id";
    `where` are conditions on the thanks table. The counted ones are grouped on their own, in
    index order; the revoked ones are few and looked up by id. `by_time`: `where` bounds
    `created_at`, and the rows are read by that range (ix_thanks_created_cover holds every
    column needed), not member by member over the whole table."""
    return union_all(*thanks_unit_parts(side, *where, by_time=by_time)).subquery("units")


def thanks_unit_parts(side: str, *where: Any, by_time: bool = False) -> tuple[Select[Any], Select[Any]]:
    """`thanks_units`' two halves: (member_id, n) of the counted ones per member, and (member_id, -1) per
    revoked one; for a caller that sums them itself (many members: no second grouping of the first)."""
    member = thanks.c[side]
    # `+ 0` hides the member column from the planner: grouping in its index order would read every row.
    key = member + literal_column("0") if by_time else member
    counted = (
        select(key.label("member_id"), func.count().label("n")).where(thanks.c.counted == true(), *where).group_by(key)
    )
    revoked = select(member.label("member_id"), literal(-1).label("n")).where(thanks.c.id.in_(revoked_ids()), *where)
    return counted, revoked


async def thanks_count(conn: AsyncConnection, side: str, member_id: int, month: str | None = None) -> int:
    """Thank-yous that count, received or given by a member, in a month or all time."""
    where = [thanks.c[side] == member_id]
    if month is not None:
        where.append(thanks.c.month == month)
    units = thanks_units(side, *where)
    return int((await conn.execute(select(func.coalesce(func.sum(units.c.n), 0)))).scalar_one())


async def uncounted_given(conn: AsyncConnection, member_id: int, month: str) -> int:
    """Thank-yous a member gave in a month that did not count (shown in /me, for transparency)."""
    stmt = select(func.count()).where(
        thanks.c.giver_id == member_id, thanks.c.month == month, thanks.c.counted.is_(False)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def counted_since(conn: AsyncConnection, giver_id: int, since: datetime) -> int:
    """Counted thank-yous given since `since` (the daily cap; revoked ones were given all the same)."""
    stmt = select(func.count()).where(
        thanks.c.giver_id == giver_id, thanks.c.created_at >= since, thanks.c.counted == true()
    )
    return int((await conn.execute(stmt)).scalar_one())


async def last_counted(conn: AsyncConnection, giver_id: int, receiver_id: int) -> datetime | None:
    stmt = select(func.max(thanks.c.created_at)).where(
        thanks.c.giver_id == giver_id, thanks.c.receiver_id == receiver_id, thanks.c.counted == true()
    )
    last: datetime | None = (await conn.execute(stmt)).scalar_one_or_none()
    return last


async def is_revoked(conn: AsyncConnection, thanks_id: int) -> bool:
    return bool(await revoked_among(conn, [thanks_id]))


async def revoked_among(conn: AsyncConnection, thanks_ids: list[int]) -> set[int]:
    """Which of these thank-yous are revoked now."""
    stmt = revoked_ids().where(revocations.c.thanks_id.in_(thanks_ids))
    return set((await conn.execute(stmt)).scalars())


async def monthly_reachers(conn: AsyncConnection, month: str, threshold: int) -> list[tuple[int, int]]:
    """(member id, counted thanks received) of everyone who reached `threshold` in `month`, most first."""
    units = thanks_units("receiver_id", thanks.c.month == month)
    total = func.sum(units.c.n).label("total")
    stmt = (
        select(units.c.member_id, total)
        .group_by(units.c.member_id)
        .having(func.sum(units.c.n) >= threshold)
        .order_by(total.desc(), units.c.member_id)
    )
    return [(row.member_id, int(row.total)) for row in (await conn.execute(stmt)).all()]


@dataclass(frozen=True, slots=True)
class Standing:
    place: int
    member_id: int
    name: str
    score: int


@dataclass(frozen=True, slots=True)
class Standings:
    """The top places (ties share a place: 1, 2, 2, 4), the caller's own if outside, and how many
    more share the last place shown."""

    top: list[Standing] = field(default_factory=list)
    caller: Standing | None = None
    more_tied: int = 0


def _filters(table: Any, month: str | None, community_id: int | None) -> list[Any]:
    where = []
    if month is not None:
        where.append(table.c.month == month)
    if community_id is not None:
        where.append(table.c.community_id == community_id)
    return where


def _scores(board: Board, month: str | None, community_id: int | None) -> Subquery:
    if board is Board.THANKS:
        units = thanks_units("receiver_id", *_filters(thanks, month, community_id))
    else:
        units = (
            select(ledger.c.member_id, ledger.c.amount.label("n"))
            .where(*_filters(ledger, month, community_id))
            .subquery("units")
        )
    total = func.sum(units.c.n)
    return (
        select(units.c.member_id, total.label("score")).group_by(units.c.member_id).having(total > 0).subquery("scores")
    )


def leaderboard_query(
    board: Board, month: str | None, community_id: int | None, caller_id: int, size: int
) -> Select[Any]:
    """The places up to `size` (ties included) and the caller's, best first. `month` None is all
    time, `community_id` None the whole brand."""
    scores = _scores(board, month, community_id)
    place = func.rank().over(order_by=scores.c.score.desc()).label("place")
    ranked = select(scores.c.member_id, scores.c.score, place).subquery("ranked")
    members = schema.members
    return (
        select(ranked.c.place, ranked.c.member_id, ranked.c.score, members.c.display_name)
        .join(members, members.c.id == ranked.c.member_id)
        .where(or_(ranked.c.place <= size, ranked.c.member_id == caller_id))
        .order_by(ranked.c.place, members.c.display_name, ranked.c.member_id)
    )


async def leaderboard(
    conn: AsyncConnection, board: Board, month: str | None, community_id: int | None, caller_id: int, size: int
) -> Standings:
    rows = (await conn.execute(leaderboard_query(board, month, community_id, caller_id, size))).all()
    ranked = [Standing(r.place, r.member_id, r.display_name, int(r.score)) for r in rows]
    within = [s for s in ranked if s.place <= size]
    top = within[:size]
    caller = next((s for s in ranked if s.member_id == caller_id and s not in top), None)
    return Standings(top, caller, len(within) - len(top))
