"""Rooms as listening reads them back from the database."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.db import schema
from bot.members import CommunityRef


async def community_by_id(ctx: Context, community_id: int) -> CommunityRef:
    c = schema.communities
    row = (await ctx.db.execute(select(c.c.id, c.c.platform_id, c.c.name).where(c.c.id == community_id))).one()
    bot, configured = ctx.settings.bot, ctx.settings.community(row.platform_id)
    return CommunityRef(
        row.id,
        row.platform_id,
        row.name,
        locale=(configured.locale if configured and configured.locale else bot.locale),
        timezone=(configured.timezone if configured and configured.timezone else bot.timezone),
    )
