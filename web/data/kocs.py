"""KOCs for the console: the roster, promises due, agreements and title terms ending, the pool, health."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Select, bindparam, select
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

SOON_DAYS = 30  # agreements ending within
PROMISES_DAYS = 7  # promises due within (and every overdue one)
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


@functools.cache
def _lists() -> tuple[Select[Any], ...]:
    """The roster, the promises due by `soon_due`, the agreements ending by `soon_ending` and the title terms
    ending first: built once (the page is visited again and again), bound to the day at each visit."""
    m, k, p, a, t = schema.members.c, koc_records.c, promises.c, agreements.c, title_terms.c
    roster = (
        select(m.id, m.display_name, m.stage, k.owner_id, k.since, k.domain)
        .join_from(schema.members, koc_records, k.member_id == m.id)
        .where(m.stage.in_(KOC_STAGES))  # ix_members_stage (`!= member` would read every member)
        .order_by(m.stage, k.owner_id, m.display_name)
    )
    owed = select(promises).where(p.status == PromiseStatus.OPEN.value, p.due <= bindparam("soon_due")).order_by(p.due)
    ending = select(agreements).where(a.status == "active", a.ends <= bindparam("soon_ending")).order_by(a.ends)
    terms = select(title_terms).where(t.status == "active").order_by(t.ends).limit(50)
    return roster, owed, ending, terms


async def koc_page(ctx: Context, today: date, kept: StampedCache | None = None) -> KocPage:
    conn = ctx.db
    bound = {"soon_due": today + timedelta(days=PROMISES_DAYS), "soon_ending": today + timedelta(days=SOON_DAYS)}
    roster, owed, ending, terms = [list((await conn.execute(stmt, bound)).all()) for stmt in _lists()]
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
