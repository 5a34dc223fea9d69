"""Members for the console: a search by name or room, and one member's whole record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.talk import community_message
from handlers.feedback.tables import items
from handlers.feedback.tables import people as feedback_people
from handlers.koc.tables import agreements, koc_events, koc_records, promises
from handlers.recognition.tables import ledger, thanks, title_events
from handlers.threads.tables import people as thread_people
from handlers.threads.tables import threads
from web.data.common import PAGE_SIZE, member_names

RECENT = 20


async def search(
    conn: AsyncConnection, words: str, room: int | None, since: datetime | None, by_thanks: bool, page: int
) -> tuple[list[Any], bool]:
    """Members by name (or id), or a room's members active since a day, with their messages and thanks there."""
    m, msg, t = schema.members.c, schema.messages.c, thanks.c
    where_msg = [msg.member_id == m.id, community_message(schema.messages)] + (
        [msg.community_id == room] if room is not None else []
    )
    where_thx = [t.receiver_id == m.id, t.counted.is_(True)] + ([t.community_id == room] if room is not None else [])
    if since is not None:
        where_msg.append(msg.received_at >= since)
        where_thx.append(t.created_at >= since)
    messages = select(func.count()).where(*where_msg).scalar_subquery()
    received = select(func.count()).where(*where_thx).scalar_subquery()
    stmt = select(
        m.id, m.display_name, m.platform_id, m.role, m.stage, messages.label("messages"), received.label("thanks")
    )
    if words:
        stmt = stmt.where(or_(m.display_name.like(f"%{words}%"), m.platform_id == words))
    if room is not None:
        active = select(msg.member_id).where(msg.community_id == room, community_message(schema.messages))
        if since is not None:
            active = active.where(msg.received_at >= since)
        stmt = stmt.where(m.id.in_(active))
    order = (
        (received.desc(), m.id)
        if by_thanks
        else ((messages.desc(), m.id) if room is not None else (m.display_name, m.id))
    )
    found = list((await conn.execute(stmt.order_by(*order).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE))).all())
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


@dataclass(slots=True)
class MemberPage:
    member: Any
    thanks_received: int
    thanks_given: int
    recent_thanks: list[Any]
    points: int
    ledger: list[Any]
    titles: list[Any]
    feedback: list[Any]
    threads: list[Any]
    koc: Any
    koc_history: list[Any]
    promises: list[Any]
    agreement: Any
    names: dict[int, str]


async def _all(conn: AsyncConnection, stmt: Any) -> list[Any]:
    return list((await conn.execute(stmt)).all())


async def member_page(conn: AsyncConnection, member_id: int) -> MemberPage | None:
    m = schema.members.c
    member = (await conn.execute(select(schema.members).where(m.id == member_id))).one_or_none()
    if member is None:
        return None
    t = thanks.c
    counted = (t.counted.is_(True),)
    received = (await conn.execute(select(func.count()).where(t.receiver_id == member_id, *counted))).scalar_one()
    given = (await conn.execute(select(func.count()).where(t.giver_id == member_id, *counted))).scalar_one()
    recent = await _all(
        conn,
        select(thanks)
        .where(or_(t.receiver_id == member_id, t.giver_id == member_id))
        .order_by(t.id.desc())
        .limit(RECENT),
    )
    points = (
        await conn.execute(select(func.coalesce(func.sum(ledger.c.amount), 0)).where(ledger.c.member_id == member_id))
    ).scalar_one()
    entries = await _all(
        conn, select(ledger).where(ledger.c.member_id == member_id).order_by(ledger.c.id.desc()).limit(50)
    )
    titles = await _all(
        conn, select(title_events).where(title_events.c.member_id == member_id).order_by(title_events.c.id)
    )
    fb = await _all(
        conn,
        select(items.c.id, items.c.title, items.c.status, feedback_people.c.role)
        .join_from(feedback_people, items, items.c.id == feedback_people.c.item_id)
        .where(feedback_people.c.member_id == member_id)
        .order_by(items.c.id.desc())
        .limit(50),
    )
    th = await _all(
        conn,
        select(threads.c.id, threads.c.title, threads.c.status, thread_people.c.part)
        .join_from(thread_people, threads, threads.c.id == thread_people.c.thread_id)
        .where(thread_people.c.member_id == member_id)
        .order_by(threads.c.id.desc()),
    )
    koc = (await conn.execute(select(koc_records).where(koc_records.c.member_id == member_id))).one_or_none()
    history = await _all(conn, select(koc_events).where(koc_events.c.member_id == member_id).order_by(koc_events.c.id))
    owed = await _all(conn, select(promises).where(promises.c.member_id == member_id).order_by(promises.c.id.desc()))
    agreement = (
        await conn.execute(
            select(agreements).where(agreements.c.member_id == member_id).order_by(agreements.c.id.desc()).limit(1)
        )
    ).one_or_none()
    ids = [
        *(r.giver_id for r in recent),
        *(r.receiver_id for r in recent),
        *(e.actor_id for e in history),
        koc.owner_id if koc else None,
    ]
    return MemberPage(
        member,
        received,
        given,
        recent,
        points,
        entries,
        titles,
        fb,
        th,
        koc,
        history,
        owed,
        agreement,
        await member_names(conn, ids),
    )
