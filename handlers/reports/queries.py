"""The month's figures, read from the database: a dozen grouped queries, never one query per row.

Everything is counted as it stood at the month's end (or now, for the month in progress): a
report made again later gives the same figures. Thank-yous are counted by their own month (their
room's time zone), as the honour roll and /top count them.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true, union
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import CoreSettings
from bot.db import schema
from bot.db.schema import Stage
from bot.stamped import StampedCache
from handlers.feedback.tables import Status as FeedbackStatus
from handlers.feedback.tables import history as fb_history
from handlers.feedback.tables import items as fb_items
from handlers.koc.tables import koc_events
from handlers.listening.tables import flags as listening_flags
from handlers.recognition.stats import revoked_ids
from handlers.recognition.tables import revocations, thanks
from handlers.reports.config import ReportsSection
from handlers.reports.figures import (
    KOC_CHANGES,
    CommunityFigures,
    FeedbackRow,
    Helper,
    KocChange,
    MonthFigures,
    MonthSummary,
    QuestionRoom,
    ThreadRow,
    TitleRule,
)
from handlers.reports.month import Window
from handlers.reports.talk import Talk, month_talk
from handlers.threads.tables import EventKind, threads
from handlers.threads.tables import events as thread_events
from handlers.threads.tables import rooms as thread_rooms

_LOGGER = logging.getLogger(__name__)


async def month_figures(
    conn: AsyncConnection, settings: CoreSettings, when: Window, months: StampedCache | None = None
) -> MonthFigures:
    """Every figure of the month, in a dozen grouped queries; `months` keeps a finished month's counts (the
    console's, across visits)."""
    rooms, communities, talk, thanked = await _communities(conn, settings, when, months)
    top = settings.section(ReportsSection).top_helpers
    helpers, title_rule = await _most_thanked(conn, when, list(rooms), top, getattr(settings, "recognition", None))
    return MonthFigures(
        when,
        communities,
        talk.anywhere,
        helpers,
        thanked,
        await _feedback_rows(conn, when, rooms),
        await _thread_rows(conn, when, rooms),
        await _threads_open(conn, when),
        await _koc_changes(conn, when),
        await _stages(conn, when),
        talk.days,
        title_rule,
        await _questions(conn, when, rooms),
    )


async def month_summary(
    conn: AsyncConnection, settings: CoreSettings, when: Window, months: StampedCache | None = None
) -> MonthSummary:
    """What the console's page of the month shows: the report's figures per community and per day and its
    totals, read as `month_figures` reads them, without the lists the page does not show (helpers, feedback,
    threads, KOC changes)."""
    _, communities, talk, thanked = await _communities(conn, settings, when, months)
    return MonthSummary(when, communities, talk.anywhere, thanked, await _feedback_count(conn, when), talk.days)


async def _communities(
    conn: AsyncConnection, settings: CoreSettings, when: Window, months: StampedCache | None
) -> tuple[dict[int, str], tuple[CommunityFigures, ...], Talk, int]:
    """The rooms, each one's figures, the month's messages and the thank-yous counted in the rooms."""
    rooms = await _rooms(conn, settings)
    members = await _memberships(conn, when)
    talk = await month_talk(conn, when, list(rooms), months)
    thanked = await _thanks_by_room(conn, when, months)
    feedback_rooms = await _feedback_by_room(conn, when)
    raised = await _threads_by_room(conn, when)
    communities = tuple(
        CommunityFigures(
            name,
            *members.get(room_id, (0, 0, 0)),
            *talk.by_room.get(room_id, (0, 0)),
            thanked.get(room_id, 0),
            feedback_rooms.get(room_id, 0),
            raised.get(room_id, 0),
        )
        for room_id, name in rooms.items()
    )
    return rooms, communities, talk, sum(thanked.get(r, 0) for r in rooms)


async def _questions(conn: AsyncConnection, when: Window, rooms: dict[int, str]) -> tuple[QuestionRoom, ...]:
    """Per room: the month's flagged questions, the share answered (by the month's end) and the median
    minutes to the first answer."""
    f = listening_flags
    rows = await conn.execute(
        select(f.c.community_id, f.c.flagged_at, f.c.answered_at).where(
            f.c.kind == "question", _between(f.c.flagged_at, when)
        )
    )
    waits: dict[int, list[float | None]] = {}
    for row in rows:
        answered = row.answered_at is not None and row.answered_at < when.as_of
        wait = (row.answered_at - row.flagged_at).total_seconds() / 60 if answered else None
        waits.setdefault(row.community_id, []).append(wait)
    return tuple(
        QuestionRoom(
            name, len(waits[room_id]), len(done := [w for w in waits[room_id] if w is not None]), _median(done)
        )
        for room_id, name in rooms.items()
        if room_id in waits
    )


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _between(column: Any, when: Window) -> Any:
    return and_(column >= when.start, column < when.as_of)


async def _rooms(conn: AsyncConnection, settings: CoreSettings) -> dict[int, str]:
    """The communities the bot serves, by id, oldest first; the moderators' room is not one of them."""
    table = schema.communities
    rows = (await conn.execute(select(table.c.id, table.c.platform_id, table.c.name).order_by(table.c.id))).all()
    room = settings.section(ReportsSection).room
    result = {}
    for row in rows:
        if settings.serves_room(row.platform_id) and row.platform_id != room:
            configured = settings.community(row.platform_id)
            result[row.id] = (configured.name if configured and configured.name else "") or row.name or row.platform_id
    return result


async def _memberships(conn: AsyncConnection, when: Window) -> dict[int, tuple[int, int, int]]:
    """Per room: members at the end, joined and left in the month (a room keeps each member's latest
    join). Joined: joins the platform reported; a member first seen writing was there already."""
    m = schema.memberships
    present = and_(m.c.joined_at < when.as_of, or_(m.c.left_at.is_(None), m.c.left_at >= when.as_of))
    stmt = select(
        m.c.community_id,
        _count_if(present),
        _count_if(and_(m.c.join_seen, _between(m.c.joined_at, when))),
        _count_if(_between(m.c.left_at, when)),
    ).group_by(m.c.community_id)
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in (await conn.execute(stmt)).all()}


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _counted_thanks(when: Window) -> list[Any]:
    """Thank-yous of the month that count, less those revoked by its end."""
    return [
        thanks.c.month == when.month,
        thanks.c.counted == true(),
        thanks.c.created_at < when.as_of,
        thanks.c.id.not_in(revoked_ids(before=when.as_of)),
    ]


async def _thanks_by_room(conn: AsyncConnection, when: Window, months: StampedCache | None) -> dict[int, int]:
    """Per room, the month's thank-yous that count; a finished month's kept in `months` while its stamp holds."""
    if months is None or not when.complete:
        return await _count_thanks_by_room(conn, when)
    stamp = await _thanks_stamp(conn, when)
    return await months.remember(("thanks", when.month, when.as_of), stamp, lambda: _count_thanks_by_room(conn, when))


async def _count_thanks_by_room(conn: AsyncConnection, when: Window) -> dict[int, int]:
    stmt = select(thanks.c.community_id, func.count()).where(*_counted_thanks(when)).group_by(thanks.c.community_id)
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}


async def _thanks_stamp(conn: AsyncConnection, when: Window) -> tuple[Any, ...]:
    """How many thank-yous the month has (made by its end or after: a few hours of it may still be running in
    a room's time zone) and the revocations by its end, the last of them: rows only ever added, never edited.
    The month's are counted from ix_thanks_month_cover's first column alone."""
    given = select(func.count()).where(thanks.c.month == when.month)
    undone = select(func.count(), func.max(revocations.c.id)).where(revocations.c.created_at < when.as_of)
    return ((await conn.execute(given)).scalar_one(), *(await conn.execute(undone)).one())


async def _most_thanked(
    conn: AsyncConnection, when: Window, rooms: list[int], top: int, recognition: Any
) -> tuple[tuple[Helper, ...], TitleRule | None]:
    """The members most thanked in the communities that month (ties by name), and the monthly thanks title
    (recognition's threshold rule) with who reached it; None: no such title. One grouped pass serves both:
    they are read in the same order and it stops once both are complete."""
    m = schema.members
    threshold = recognition.monthly_thanks_threshold if recognition and recognition.threshold_title else None
    # Counted per receiver first, in ix_thanks_month_cover's order, then named: a name looked up per member,
    # not per thank-you.
    counts = (
        select(thanks.c.receiver_id, func.count().label("n"))
        .where(*_counted_thanks(when), thanks.c.community_id.in_(rooms))
        .group_by(thanks.c.receiver_id)
        .subquery("counts")
    )
    stmt = (
        select(m.c.display_name, counts.c.n)
        .join(m, m.c.id == counts.c.receiver_id)
        .order_by(counts.c.n.desc(), m.c.display_name, m.c.id)
    )
    helpers: list[Helper] = []
    reached: list[str] = []
    async with conn.stream(stmt) as rows:
        async for name, n in rows:
            if len(helpers) < top:
                helpers.append(Helper(name, int(n)))
            if threshold is not None and n >= threshold:
                reached.append(name)
            elif len(helpers) >= top:
                break
    title = None if threshold is None else TitleRule(recognition.threshold_title, threshold, tuple(reached))
    return tuple(helpers), title


async def _feedback_by_room(conn: AsyncConnection, when: Window) -> dict[int, int]:
    stmt = (
        select(fb_items.c.community_id, func.count())
        .where(_between(fb_items.c.created_at, when))
        .group_by(fb_items.c.community_id)
    )
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all() if row[0] is not None}


async def _feedback_rows(conn: AsyncConnection, when: Window, rooms: dict[int, str]) -> tuple[FeedbackRow, ...]:
    """Items received, adopted or shipped in the month, with their first answer and those moves."""
    h = fb_history
    status = h.c.what == "status"

    def first(condition: Any) -> Any:
        return func.min(case((and_(status, condition), h.c.created_at)))

    stmt = (
        select(
            fb_items.c.id,
            fb_items.c.kind,
            fb_items.c.community_id,
            fb_items.c.created_at,
            first(h.c.created_at < when.as_of),
            first(and_(h.c.to_status == FeedbackStatus.ADOPTED.value, _between(h.c.created_at, when))),
            first(and_(h.c.to_status == FeedbackStatus.SHIPPED.value, _between(h.c.created_at, when))),
        )
        .select_from(fb_items.outerjoin(h, h.c.item_id == fb_items.c.id))
        .where(fb_items.c.id.in_(_feedback_ids(when)))
        .group_by(fb_items.c.id, fb_items.c.kind, fb_items.c.community_id, fb_items.c.created_at)
        .order_by(fb_items.c.id)
    )
    return tuple(
        FeedbackRow(r[0], r[1], rooms.get(r[2], ""), r[3], r[4], r[5], r[6]) for r in (await conn.execute(stmt)).all()
    )


def _feedback_ids(when: Window) -> Any:
    """The ids of the items received, adopted or shipped in the month (the report's feedback rows), as one
    list: an OR of the two would read every item."""
    h = fb_history
    moved = select(h.c.item_id).where(
        h.c.what == "status",
        h.c.to_status.in_([FeedbackStatus.ADOPTED.value, FeedbackStatus.SHIPPED.value]),
        _between(h.c.created_at, when),
    )
    return union(select(fb_items.c.id).where(_between(fb_items.c.created_at, when)), moved)


async def _feedback_count(conn: AsyncConnection, when: Window) -> int:
    """How many feedback rows the month's report has, from the indexes alone."""
    return int((await conn.execute(select(func.count()).select_from(_feedback_ids(when).subquery()))).scalar_one())


async def _thread_rows(conn: AsyncConnection, when: Window, names: dict[int, str]) -> tuple[ThreadRow, ...]:
    """Threads opened or resolved in the month, with their first resolution in it and the rooms they were raised in."""
    e = thread_events
    resolve = and_(e.c.kind == EventKind.RESOLVE.value, _between(e.c.at, when))
    resolved_here = select(e.c.thread_id).where(resolve)
    chosen = or_(_between(threads.c.created_at, when), threads.c.id.in_(resolved_here))
    stmt = (
        select(threads.c.id, threads.c.title, threads.c.created_at, func.min(case((resolve, e.c.at))))
        .select_from(threads.outerjoin(e, e.c.thread_id == threads.c.id))
        .where(chosen)
        .group_by(threads.c.id, threads.c.title, threads.c.created_at)
        .order_by(threads.c.id)
    )
    rows = (await conn.execute(stmt)).all()
    c = schema.communities
    named = (
        await conn.execute(
            select(thread_rooms.c.thread_id, c.c.id, c.c.name)
            .join(c, c.c.id == thread_rooms.c.community_id)
            .where(thread_rooms.c.thread_id.in_(select(threads.c.id).where(chosen)))
            .order_by(thread_rooms.c.raised_at, c.c.id)
        )
    ).all()
    rooms: dict[int, list[str]] = {}
    for thread_id, community_id, name in named:
        rooms.setdefault(thread_id, []).append(names.get(community_id, name))
    return tuple(ThreadRow(r[0], r[1], r[2], r[3], tuple(rooms.get(r[0], ()))) for r in rows)


async def _threads_by_room(conn: AsyncConnection, when: Window) -> dict[int, int]:
    stmt = (
        select(thread_rooms.c.community_id, func.count())
        .where(_between(thread_rooms.c.raised_at, when))
        .group_by(thread_rooms.c.community_id)
    )
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}


async def _threads_open(conn: AsyncConnection, when: Window) -> int:
    """Threads opened by the month's end and not resolved then (never resolved, or reopened since)."""
    e = thread_events
    before = e.c.at < when.as_of
    last = (
        select(
            threads.c.id,
            func.max(case((and_(e.c.kind == EventKind.RESOLVE.value, before), e.c.id))).label("resolved"),
            func.max(case((and_(e.c.kind == EventKind.REOPEN.value, before), e.c.id))).label("reopened"),
        )
        .select_from(threads.outerjoin(e, e.c.thread_id == threads.c.id))
        .where(threads.c.created_at < when.as_of)
        .group_by(threads.c.id)
        .subquery()
    )
    stmt = (
        select(func.count())
        .select_from(last)
        .where(or_(last.c.resolved.is_(None), and_(last.c.reopened.is_not(None), last.c.reopened > last.c.resolved)))
    )
    return int((await conn.execute(stmt)).scalar_one())


def _stage_change() -> Any:
    e = koc_events
    return and_(e.c.to_stage.is_not(None), or_(e.c.from_stage.is_(None), e.c.from_stage != e.c.to_stage))


async def _koc_changes(conn: AsyncConnection, when: Window) -> tuple[KocChange, ...]:
    e, m = koc_events, schema.members
    stmt = (
        select(e.c.at, m.c.display_name, e.c.kind, e.c.from_stage, e.c.to_stage)
        .join(m, m.c.id == e.c.member_id)
        .where(_between(e.c.at, when), _stage_change(), e.c.kind.in_(KOC_CHANGES))
        .order_by(e.c.at, e.c.id)
    )
    return tuple(KocChange(*row) for row in (await conn.execute(stmt)).all())


async def _stages(conn: AsyncConnection, when: Window) -> dict[str, int]:
    """Members per KOC stage at the month's end: each member's latest stage change before it."""
    e = koc_events
    latest = (
        select(func.max(e.c.id).label("id"))
        .where(e.c.at < when.as_of, _stage_change())
        .group_by(e.c.member_id)
        .subquery()
    )
    stmt = select(e.c.to_stage, func.count()).join(latest, latest.c.id == e.c.id).group_by(e.c.to_stage)
    counts = Counter({row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()})
    return {stage.value: counts.get(stage.value, 0) for stage in Stage if stage is not Stage.MEMBER}
