"""Issue threads for the console: the open ones by department, room and age; one thread whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.threads.tables import Status, events, people, rooms, threads
from web.data.common import PAGE_SIZE, member_names


async def thread_list(
    conn: AsyncConnection, *, resolved: bool, department: str, room: int | None, page: int
) -> tuple[list[Any], dict[int, int], bool]:
    """Threads (oldest first while open: they have waited longest), and how many rooms raised each."""
    t = threads.c
    stmt = select(t.id, t.title, t.status, t.department, t.created_at, t.updated_at, t.resolved_at)
    stmt = stmt.where((t.status == Status.RESOLVED.value) if resolved else (t.status != Status.RESOLVED.value))
    if department:
        stmt = stmt.where(t.department == department)
    if room is not None:
        stmt = stmt.where(t.id.in_(select(rooms.c.thread_id).where(rooms.c.community_id == room)))
    order = t.resolved_at.desc() if resolved else t.created_at
    found = list(
        (await conn.execute(stmt.order_by(order, t.id).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE))).all()
    )
    ids = [r.id for r in found[:PAGE_SIZE]]
    counted = select(rooms.c.thread_id, func.count()).where(rooms.c.thread_id.in_(ids)).group_by(rooms.c.thread_id)
    return found[:PAGE_SIZE], dict((await conn.execute(counted)).all()), len(found) > PAGE_SIZE


@dataclass(slots=True)
class ThreadPage:
    thread: Any
    rooms: list[Any]
    people: list[Any]
    events: list[Any]
    names: dict[int, str]


async def thread_page(conn: AsyncConnection, thread_id: int, room_names: dict[int, str]) -> ThreadPage | None:
    thread = (await conn.execute(select(threads).where(threads.c.id == thread_id))).one_or_none()
    if thread is None:
        return None
    raised = list((await conn.execute(select(rooms).where(rooms.c.thread_id == thread_id))).all())
    persons = list((await conn.execute(select(people).where(people.c.thread_id == thread_id))).all())
    history = list(
        (await conn.execute(select(events).where(events.c.thread_id == thread_id).order_by(events.c.id))).all()
    )
    names = await member_names(
        conn, [thread.opened_by, *(p.member_id for p in persons), *(e.actor_id for e in history)]
    )
    return ThreadPage(
        thread, [(room_names.get(r.community_id, "?"), r.raised_at) for r in raised], persons, history, names
    )
