"""Reading and writing threads: one place for the queries the commands share."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.errors import UserFacingError
from bot.members import CommunityRef, MemberRef
from handlers.threads.tables import Answer, EventKind, Part, Status, events, people, rooms, threads

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Person:
    member_id: int
    platform_id: str
    name: str
    part: str
    community_id: int | None
    answer: str | None


async def get_thread(conn: AsyncConnection, thread_id: int) -> Any:
    row = (await conn.execute(select(threads).where(threads.c.id == thread_id))).one_or_none()
    if row is None:
        raise UserFacingError("threads/no_such_thread", id=thread_id)
    return row


async def create_thread(ctx: Context, title: str) -> int:
    stmt = insert(threads).values(
        title=title,
        status=Status.OPEN.value,
        opened_by=ctx.actor.id,
        created_at=ctx.now,
        updated_at=ctx.now,
        resolutions=0,
        flagged=False,
    )
    thread_id: int = (await ctx.db.execute(stmt.returning(threads.c.id))).scalar_one()
    return thread_id


async def update_thread(ctx: Context, thread_id: int, **values: Any) -> None:
    await ctx.db.execute(update(threads).where(threads.c.id == thread_id).values(updated_at=ctx.now, **values))


async def add_room(ctx: Context, thread_id: int, community: CommunityRef) -> bool:
    """Add the room where the thread is raised; False when it was already there."""
    stmt = insert_for(ctx.db, rooms).values(thread_id=thread_id, community_id=community.id, raised_at=ctx.now)
    stmt = stmt.on_conflict_do_nothing(index_elements=["thread_id", "community_id"]).returning(rooms.c.thread_id)
    return (await ctx.db.execute(stmt)).scalar_one_or_none() is not None


async def add_person(
    ctx: Context, thread_id: int, member: MemberRef, part: Part, community: CommunityRef | None
) -> bool:
    """Add a reporter or follower; a follower who reports becomes a reporter. False: nothing new."""
    found = (
        await ctx.db.execute(
            select(people.c.part).where(people.c.thread_id == thread_id, people.c.member_id == member.id)
        )
    ).scalar_one_or_none()
    community_id = community.id if community else None
    if found is None:
        await ctx.db.execute(
            insert(people).values(
                thread_id=thread_id, member_id=member.id, part=part.value, community_id=community_id, added_at=ctx.now
            )
        )
        return True
    if found == Part.FOLLOWER and part is Part.REPORTER:
        await ctx.db.execute(
            update(people)
            .where(people.c.thread_id == thread_id, people.c.member_id == member.id)
            .values(part=part.value, community_id=community_id)
        )
        return True
    return False


async def record(
    ctx: Context, thread_id: int, kind: EventKind, text: str = "", actor: MemberRef | None = None, **details: Any
) -> None:
    actor_id = (actor or ctx.actor).id or None
    await ctx.db.execute(
        insert(events).values(
            thread_id=thread_id, at=ctx.now, kind=kind.value, actor_id=actor_id, text=text, details=details
        )
    )


async def thread_people(conn: AsyncConnection, thread_id: int) -> list[Person]:
    m = schema.members
    rows = (
        await conn.execute(
            select(
                people.c.member_id,
                m.c.platform_id,
                m.c.display_name,
                people.c.part,
                people.c.community_id,
                people.c.answer,
            )
            .join(m, m.c.id == people.c.member_id)
            .where(people.c.thread_id == thread_id)
            .order_by(people.c.added_at, people.c.member_id)
        )
    ).all()
    return [Person(r.member_id, r.platform_id, r.display_name, r.part, r.community_id, r.answer) for r in rows]


async def thread_rooms(ctx: Context, thread_id: int) -> list[tuple[CommunityRef, datetime]]:
    """The rooms where the thread was raised, in the order it reached them, with when."""
    c = schema.communities
    rows = (
        await ctx.db.execute(
            select(c.c.id, c.c.platform_id, c.c.name, rooms.c.raised_at)
            .join(c, c.c.id == rooms.c.community_id)
            .where(rooms.c.thread_id == thread_id)
            .order_by(rooms.c.raised_at, c.c.id)
        )
    ).all()
    return [(_community(ctx, r), r.raised_at) for r in rows]


def _community(ctx: Context, row: Any) -> CommunityRef:
    bot, configured = ctx.settings.bot, ctx.settings.community(row.platform_id)
    return CommunityRef(
        row.id,
        row.platform_id,
        row.name,
        locale=(configured.locale if configured and configured.locale else bot.locale),
        timezone=(configured.timezone if configured and configured.timezone else bot.timezone),
    )


async def thread_events(conn: AsyncConnection, thread_id: int) -> list[Any]:
    return list(
        (
            await conn.execute(select(events).where(events.c.thread_id == thread_id).order_by(events.c.at, events.c.id))
        ).all()
    )


async def confirmed_count(conn: AsyncConnection, thread_id: int) -> tuple[int, int]:
    """Reporters who confirmed the fix, and reporters in all."""
    rows = await conn.execute(
        select(people.c.answer, func.count())
        .where(people.c.thread_id == thread_id, people.c.part == Part.REPORTER.value)
        .group_by(people.c.answer)
    )
    counts: dict[str, int] = dict(rows.all())
    return counts.get(Answer.YES.value, 0), sum(counts.values())


async def names_of(conn: AsyncConnection, member_ids: list[int]) -> dict[int, str]:
    m = schema.members
    if not member_ids:
        return {}
    rows = (await conn.execute(select(m.c.id, m.c.display_name).where(m.c.id.in_(member_ids)))).all()
    return {r.id: r.display_name for r in rows}
