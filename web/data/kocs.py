"""KOCs for the console: the roster, promises due, agreements and title terms ending, the pool, health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import Context, Services
from bot.db import schema
from bot.db.schema import Stage
from bot.members import MemberRef
from bot.stamped import StampedCache
from bot.uow import UnitOfWork
from handlers.koc.health import Trend, trends
from handlers.koc.pool import Candidate, rank
from handlers.koc.tables import PromiseStatus, agreements, koc_records, promises, title_terms
from web.data.common import member_names

SOON_DAYS = 30
KOC_STAGES = tuple(stage.value for stage in Stage if stage is not Stage.MEMBER)
POOL_SHOWN = 20


class _Reading:
    """Just enough of a unit of work for the KOC capability's own read functions: a connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn


def reading_context(services: Services, conn: AsyncConnection, moderator: MemberRef) -> Context:
    """A context to call a capability's read functions (the pool, health) with; it writes nothing."""
    return Context(services, cast(UnitOfWork, _Reading(conn)), None, moderator, None)


@dataclass(slots=True)
class KocPage:
    roster: list[Any]
    promises: list[Any]
    agreements: list[Any]
    terms: list[Any]
    pool: list[Candidate]
    health: list[Trend]
    names: dict[int, str]
    today: date


async def _all(conn: AsyncConnection, stmt: Any) -> list[Any]:
    return list((await conn.execute(stmt)).all())


async def koc_page(ctx: Context, today: date, kept: StampedCache | None = None) -> KocPage:
    conn, m, k = ctx.db, schema.members.c, koc_records.c
    roster = await _all(
        conn,
        select(m.id, m.display_name, m.stage, k.owner_id, k.since, k.domain)
        .join_from(schema.members, koc_records, k.member_id == m.id)
        .where(m.stage.in_(KOC_STAGES))  # ix_members_stage (`!= member` would read every member)
        .order_by(m.stage, k.owner_id, m.display_name),
    )
    p, a, t = promises.c, agreements.c, title_terms.c
    owed = await _all(
        conn,
        select(promises)
        .where(p.status == PromiseStatus.OPEN.value, p.due <= today + timedelta(days=7))
        .order_by(p.due),
    )
    ending = await _all(
        conn,
        select(agreements).where(a.status == "active", a.ends <= today + timedelta(days=SOON_DAYS)).order_by(a.ends),
    )
    terms = await _all(conn, select(title_terms).where(t.status == "active").order_by(t.ends).limit(50))
    pool = await rank(ctx, limit=POOL_SHOWN, kept=kept)
    health = await trends(ctx)
    ids = [
        *(r.owner_id for r in roster),
        *(r.member_id for r in owed),
        *(r.member_id for r in ending),
        *(r.member_id for r in terms),
    ]
    return KocPage(
        roster, owed, ending, terms, pool, health, await member_names(conn, [*ids, *(r.id for r in roster)]), today
    )
