"""The documented variables of moderator-authored templates, computed only when a template uses them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import CoreSettings
from bot.db import schema
from bot.members import CommunityRef, MemberRef
from bot.sandbox.engine import View
from bot.templates import TemplateRenderer
from handlers.feedback.rules import OPEN
from handlers.feedback.tables import items as feedback_items
from handlers.outreach.member_values import member_values, status_namer
from handlers.outreach.sandbox import MEMBER_FIELDS, VARIABLES, community_view, stats_view
from handlers.recognition.stats import thanks_units
from handlers.recognition.tables import thanks


def local_zone(settings: CoreSettings, community: CommunityRef | None) -> ZoneInfo:
    """The room's time zone, or the bot's for a private message."""
    return ZoneInfo(community.timezone if community is not None else settings.bot.timezone)


async def documented_context(
    conn: AsyncConnection,
    settings: CoreSettings,
    *,
    community: CommunityRef | None,
    member: MemberRef | None,
    now: datetime,
    uses: Iterable[str] = tuple(VARIABLES),
    renderer: TemplateRenderer | None = None,
) -> dict[str, Any]:
    """The values of the documented variables in `uses` (all by default). `community` and `member`
    are left out when there is none: a template that needs them cannot be rendered there. Statuses
    are named in the member's language by `renderer` (without one, by their keys)."""
    wanted = set(uses)
    local = now.astimezone(local_zone(settings, community)).replace(second=0, microsecond=0)
    context: dict[str, Any] = {"bot_name": settings.bot.name, "now": local, "date": local.date()}
    if "community" in wanted and community is not None:
        context["community"] = community_view(community.name, await _members(conn, community))
    if "member" in wanted and member is not None:
        values = await member_values(conn, [member.id], MEMBER_FIELDS)
        names = status_namer(renderer) if renderer is not None else _keys
        locale = renderer.locale_or_default(member.locale) if renderer is not None else settings.bot.locale
        context["member"] = values.view(member.id, member.name, locale, names)
    if "stats" in wanted:
        context["stats"] = await _stats(conn, community, local)
    return {key: value for key, value in context.items() if key in wanted}


def _keys(kind: str, status: str, locale: str) -> str:
    return status


async def _members(conn: AsyncConnection, community: CommunityRef) -> int:
    table = schema.memberships
    stmt = select(func.count()).where(table.c.community_id == community.id, table.c.left_at.is_(None))
    return int((await conn.execute(stmt)).scalar_one())


async def _stats(conn: AsyncConnection, community: CommunityRef | None, local: datetime) -> View:
    """This month's counted thank-yous and joins (in the room, or in every room), and open feedback."""
    month_start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=local.tzinfo)
    where_thanks = [thanks.c.month == f"{local:%Y-%m}"]
    memberships = schema.memberships
    joined = select(func.count(distinct(memberships.c.member_id))).where(  # joins seen, not first words
        memberships.c.join_seen, memberships.c.joined_at >= month_start
    )
    if community is not None:
        where_thanks.append(thanks.c.community_id == community.id)
        joined = joined.where(memberships.c.community_id == community.id)
    units = thanks_units("receiver_id", *where_thanks)
    thanked = (await conn.execute(select(func.coalesce(func.sum(units.c.n), 0)))).scalar_one()
    open_items = (
        await conn.execute(select(func.count()).where(feedback_items.c.status.in_(sorted(s.value for s in OPEN))))
    ).scalar_one()
    return stats_view(int(thanked), int(open_items), int((await conn.execute(joined)).scalar_one()))
