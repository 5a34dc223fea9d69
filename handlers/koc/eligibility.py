"""Who may be made a KOC (invited, promoted, given a KOC's title or agreement): a member the bot has
seen in the community, never its staff, whose voice would be the brand's (seed 000, 真实性)."""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import Context
from bot.db import schema
from bot.db.schema import Role
from bot.errors import UserFacingError
from bot.members import MemberRef


async def must_be_eligible(ctx: Context, member: MemberRef) -> None:
    """Raises the polite refusal, with the reason, for staff and for someone never seen."""
    if member.role >= Role.MODERATOR:
        raise UserFacingError("koc/refused_staff", name=member.name, role=member.role.label)
    if not await seen(ctx.db, member.id):
        raise UserFacingError("koc/refused_unseen", name=member.name)


async def seen(conn: AsyncConnection, member_id: int) -> bool:
    """In a group the bot serves (joined, spoke, or left one), or ever wrote to the bot."""
    in_a_group = exists().where(schema.memberships.c.member_id == member_id)
    spoke = exists().where(schema.messages.c.member_id == member_id)
    return bool((await conn.execute(select(or_(in_a_group, spoke)))).scalar())
