"""The overview: per room, today and this week: messages, active members, thanks, feedback, threads, the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from bot.db import schema
from bot.db.schema import OutboxStatus
from bot.talk import community_message
from handlers.feedback.tables import items
from handlers.listening.matching import Kind
from handlers.listening.tables import flags as listening_flags
from handlers.recognition.tables import thanks
from handlers.threads.tables import Status as ThreadStatus
from handlers.threads.tables import rooms as thread_rooms
from handlers.threads.tables import threads
from web.auth import Visit
from web.console import console_of, staff

FIGURES = ("messages", "active", "thanks", "feedback", "questions")
# Where each figure's items are listed (questions have no page of their own: /listening in chat lists them).
LINKS = {"messages": "/members", "active": "/members", "thanks": "/members", "feedback": "/feedback"}


@dataclass(slots=True)
class RoomRow:
    id: int
    name: str
    today: dict[str, int] = field(default_factory=dict)
    week: dict[str, int] = field(default_factory=dict)
    open_threads: int = 0


def day_and_week(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The start of today and of this week (Monday), local midnight."""
    local = now.astimezone(zone)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return today, today - timedelta(days=today.weekday())


async def _per_room(conn: AsyncConnection, today: datetime, week: datetime) -> dict[str, dict[int, tuple[int, int]]]:
    """Each figure per room as (today, this week), in one pass over the week's rows each."""
    m, t, f = schema.messages.c, thanks.c, items.c
    is_today = m.received_at >= today
    # `+ 0`: read the week's rows by time (an index range), not every message of each room in turn.
    messages = select(
        m.community_id + literal_column("0"),
        func.count().filter(is_today),
        func.count(),
        func.count(distinct(case((is_today, m.member_id)))),
        func.count(distinct(m.member_id)),
    ).where(m.received_at >= week, community_message(schema.messages))
    rows = (await conn.execute(messages.group_by(m.community_id + literal_column("0")))).all()
    found = {"messages": {r[0]: (r[1], r[2]) for r in rows}, "active": {r[0]: (r[3], r[4]) for r in rows}}
    counted = select(t.community_id + literal_column("0"), func.count().filter(t.created_at >= today), func.count())
    counted = counted.where(t.created_at >= week, t.counted.is_(True)).group_by(t.community_id + literal_column("0"))
    found["thanks"] = {r[0]: (r[1], r[2]) for r in await conn.execute(counted)}
    new = select(f.community_id, func.count().filter(f.created_at >= today), func.count())
    new = new.where(f.created_at >= week).group_by(f.community_id)
    found["feedback"] = {r[0]: (r[1], r[2]) for r in await conn.execute(new)}
    found["questions"] = await _unanswered(conn, today, week)
    return found


async def _unanswered(conn: AsyncConnection, today: datetime, week: datetime) -> dict[int, tuple[int, int]]:
    """Questions the listening capability flagged today and this week that nobody has answered yet."""
    q = listening_flags.c
    asked = select(q.community_id, func.count().filter(q.flagged_at >= today), func.count()).where(
        q.kind == Kind.QUESTION.value, q.answered_at.is_(None), q.flagged_at >= week
    )
    return {r[0]: (r[1], r[2]) for r in await conn.execute(asked.group_by(q.community_id))}


async def _open_threads(conn: AsyncConnection) -> dict[int, int]:
    r, th = thread_rooms.c, threads.c
    stmt = (
        select(r.community_id, func.count())
        .join_from(thread_rooms, threads, th.id == r.thread_id)
        .where(th.status != ThreadStatus.RESOLVED.value)
        .group_by(r.community_id)
    )
    return dict((await conn.execute(stmt)).all())


async def outbox_counts(conn: AsyncConnection, now: datetime) -> dict[str, int]:
    """Held (pending, not before later), due, sending and failed; each count uses the status index."""
    o = schema.outbox.c
    pending = o.status == OutboxStatus.PENDING.value
    held = (await conn.execute(select(func.count()).where(pending, o.not_before > now))).scalar_one()
    due = (await conn.execute(select(func.count()).where(pending, o.not_before <= now))).scalar_one()
    others = select(o.status, func.count()).where(o.status.in_(["sending", "failed"])).group_by(o.status)
    counted: dict[str, int] = dict((await conn.execute(others)).all())
    return {"held": held, "due": due, "sending": counted.get("sending", 0), "failed": counted.get("failed", 0)}


async def overview(conn: AsyncConnection, now: datetime, zone: ZoneInfo) -> tuple[list[RoomRow], dict[str, Any]]:
    today, week = day_and_week(now, zone)
    c = schema.communities.c
    rooms = {
        r.id: RoomRow(r.id, r.name or r.platform_id) for r in await conn.execute(select(c.id, c.name, c.platform_id))
    }
    for figure, counts in (await _per_room(conn, today, week)).items():
        for room_id, (on_the_day, in_the_week) in counts.items():
            if room_id in rooms:
                rooms[room_id].today[figure], rooms[room_id].week[figure] = on_the_day, in_the_week
    for room_id, count in (await _open_threads(conn)).items():
        if room_id in rooms:
            rooms[room_id].open_threads = count
    ordered = sorted(rooms.values(), key=lambda r: (-r.week.get("messages", 0), r.name))
    extra = {"today": today, "week": week, "outbox": await outbox_counts(conn, now)}
    return ordered, extra


@staff
async def overview_page(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    async with console.engine.connect() as conn:
        rooms, extra = await overview(conn, console.services.clock.now(), console.pages.zone)
    return console.page(visit, "overview.html", rooms=rooms, figures=FIGURES, links=LINKS, **extra)
