"""Reading campaigns: one campaign with its rooms, as every part of the capability sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.lookup import row_by_id
from bot.members import CommunityRef
from handlers.campaigns.tables import CampaignStatus, campaign_rooms, campaigns


@dataclass(frozen=True, slots=True)
class Room:
    community_id: int
    platform_id: str
    name: str
    timezone: str | None  # None: the bot's

    @property
    def label(self) -> str:
        return self.name or self.platform_id


@dataclass(frozen=True, slots=True)
class CampaignView:
    id: int
    name: str
    launch_on: date
    timezone: str
    starts_at: datetime
    ends_at: datetime
    keywords: tuple[str, ...]
    talking_points: tuple[str, ...]
    status: str
    created_by: int
    rooms: tuple[Room, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN.value

    def measured_until(self, now: datetime) -> datetime:
        """The end of what can be measured now: the campaign's end, or now while it runs."""
        return min(self.ends_at, now)


async def load(conn: AsyncConnection, campaign_id: int) -> CampaignView | None:
    row = (await conn.execute(select(campaigns).where(campaigns.c.id == campaign_id))).one_or_none()
    if row is None:
        return None
    return (await _views(conn, [row]))[0]


async def load_all(conn: AsyncConnection, *, status: CampaignStatus | None = None) -> list[CampaignView]:
    query = select(campaigns).order_by(campaigns.c.id)
    if status is not None:
        query = query.where(campaigns.c.status == status.value)
    return await _views(conn, list((await conn.execute(query)).all()))


async def _views(conn: AsyncConnection, rows: list[Row[Any]]) -> list[CampaignView]:
    communities = schema.communities
    found = (
        await conn.execute(
            select(
                campaign_rooms.c.campaign_id,
                communities.c.id,
                communities.c.platform_id,
                communities.c.name,
                communities.c.timezone,
            )
            .join(communities, communities.c.id == campaign_rooms.c.community_id)
            .where(campaign_rooms.c.campaign_id.in_([row.id for row in rows]))
            .order_by(campaign_rooms.c.campaign_id, communities.c.id)
        )
    ).all()
    rooms: dict[int, list[Room]] = {}
    for r in found:
        rooms.setdefault(r.campaign_id, []).append(Room(r.id, r.platform_id, r.name, r.timezone))
    return [
        CampaignView(
            id=row.id,
            name=row.name,
            launch_on=row.launch_on,
            timezone=row.timezone,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            keywords=tuple(row.keywords or ()),
            talking_points=tuple(row.talking_points or ()),
            status=row.status,
            created_by=row.created_by,
            rooms=tuple(rooms.get(row.id, ())),
        )
        for row in rows
    ]


async def campaign_named(ctx: Context, cmd: Invocation) -> CampaignView:
    """The campaign whose number is the command's first word (polite errors otherwise)."""
    row = await row_by_id(ctx, cmd, campaigns, problem="campaigns/problem_needs_id", unknown="campaigns/unknown")
    found = await load(ctx.db, row.id)
    assert found is not None  # row_by_id found its row in this transaction
    return found


async def community_of(ctx: Context, room: Room) -> CommunityRef:
    """A campaign room as handlers address it (its language and time zone)."""
    return await ctx.services.directory.ensure_community(ctx.uow, room.platform_id, room.name, ctx.now)
