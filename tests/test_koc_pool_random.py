"""The KOC pool's grouped queries (and the monthly report's most thanked) against a plain computation over the same rows: a seeded random world
(commands, private messages, the bot's echoes, messages after `now`, moves of feedback in and out of the
window), read once in SQL and once row by row in Python."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.bootstrap import build_services
from bot.clock import FakeClock
from bot.config import CoreSettings
from bot.db import schema
from bot.db.engine import create_engine
from bot.db.schema import Role
from bot.members import MemberRef
from bot.stamped import StampedCache
from handlers import REGISTRIES
from handlers.feedback.tables import history, items, people
from handlers.koc import pool
from handlers.koc.config import KocSection
from handlers.koc.weeks import WEEKS, active_weeks
from handlers.recognition.tables import thanks
from handlers.reports import queries
from handlers.reports.month import window
from web.data.kocs import reading_context

NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)
MEMBERS, ROOMS, MESSAGES, ITEMS, THANKS = 40, 3, 600, 60, 300
ROUTES = (None, None, None, "thanks", "/top", "/?", "feedback")
NAMES = ("thanks", "feedback", "threads", "weeks", "discussion")
STATUSES = ("submitted", "acknowledged", "reproduced", "adopted", "shipped", "declined")


@pytest.fixture
def settings_overrides() -> dict:
    """Active weeks weigh as much as a thank-you: a member's weeks can lift them past others on the short list."""
    return {"koc": {"weight_active_weeks": 1.0}}


async def _world(conn: AsyncConnection, rnd: random.Random) -> None:
    await conn.execute(
        insert(schema.communities),
        [{"platform_id": f"room{i}@chatroom", "name": f"room {i}", "created_at": NOW} for i in range(ROOMS)],
    )
    await conn.execute(
        insert(schema.members),
        [
            {"platform_id": f"wxid_{i}", "display_name": f"m{i % 7}", "role": "member", "stage": "member"}
            # Some of the most thanked are no candidates: KOCs already, or a moderator.
            | ({"stage": "active"} if i in (0, 2, 5) else {})
            | ({"role": "moderator"} if i == 1 else {})
            | {"created_at": NOW}
            for i in range(MEMBERS)
        ],
    )
    # Some moments fall on a week's boundary exactly, some after `now`, some before the ten weeks.
    boundaries = [NOW - timedelta(weeks=k) for k in range(12)]
    moments = [
        rnd.choice(boundaries) + timedelta(microseconds=rnd.choice((-1, 0, 1)))
        if rnd.random() < 0.2
        else NOW - timedelta(minutes=rnd.randrange(-600, 12 * 7 * 1440))
        for _ in range(MESSAGES)
    ]
    await conn.execute(
        insert(schema.messages),
        [
            {
                "platform_msg_id": f"m{n}",
                "community_id": None if rnd.random() < 0.1 else rnd.randrange(ROOMS) + 1,
                "member_id": rnd.randrange(MEMBERS) + 1,
                "kind": "text",
                "text": "hi",
                "mentions": [],
                "routed_to": rnd.choice(ROUTES),
                "received_at": when,
            }
            for n, when in enumerate(moments)
        ],
    )
    # The bot's own member: the author of a logged message the outbox sent (its echo).
    await conn.execute(
        insert(schema.outbox).values(
            created_at=NOW,
            not_before=NOW,
            status="sent",
            room_platform_id="room0@chatroom",
            text="hi",
            mentions=[],
            template="t",
            locale="zh_CN",
            platform_msg_id="m0",
            sent_at=NOW,
        )
    )
    await _feedback(conn, rnd)
    await conn.execute(
        insert(thanks),
        [
            {
                "giver_id": rnd.randrange(MEMBERS) + 1,
                "receiver_id": int(MEMBERS * rnd.random() ** 3) + 1,  # a few members thanked often
                "community_id": rnd.randrange(ROOMS) + 1,
                "month": (when := NOW - timedelta(minutes=rnd.randrange(40 * 1440))).strftime("%Y-%m"),
                "created_at": when,
                "reason": "",
                "via": "message",
                "counted": rnd.random() < 0.9,
                "why_not": None,
                "platform_msg_id": None,
            }
            for _ in range(THANKS)
        ],
    )


async def _feedback(conn: AsyncConnection, rnd: random.Random) -> None:
    await conn.execute(
        insert(items),
        [
            {
                "kind": "bug",
                "status": "submitted",
                "title": f"item {n}",
                "scenario": "",
                "steps": "",
                "expected": "",
                "product": "",
                "reporter_id": rnd.randrange(MEMBERS) + 1,
                "community_id": 1,
                "department": None,
                "version": None,
                "duplicate_of": None,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(ITEMS)
        ],
    )
    found = set()
    for item in range(1, ITEMS + 1):  # one or two reporters (a merge), and +1s
        for member in rnd.sample(range(1, MEMBERS + 1), rnd.randrange(1, 4)):
            found.add((item, member, rnd.choice(("reporter", "reporter", "plus_one"))))
    await conn.execute(
        insert(people),
        [{"item_id": i, "member_id": m, "role": r, "details": "", "created_at": NOW} for i, m, r in sorted(found)],
    )
    await conn.execute(
        insert(history),
        [
            {
                "item_id": rnd.randrange(ITEMS) + 1,
                "what": "status",
                "to_status": rnd.choice(STATUSES),
                "note": "",
                "actor_id": 1,
                "created_at": NOW - timedelta(days=rnd.randrange(60)),
            }
            for _ in range(4 * ITEMS)
        ],
    )


def _week(when: datetime) -> int | None:
    for k in range(WEEKS):
        if NOW - timedelta(weeks=k + 1) < when <= NOW - timedelta(weeks=k):
            return k
    return None


async def _plain_weeks(conn: AsyncConnection) -> dict[int, int]:
    m = schema.messages.c
    rows = (
        await conn.execute(select(m.platform_msg_id, m.member_id, m.community_id, m.routed_to, m.received_at))
    ).all()
    bots = {r.member_id for r in rows if r.platform_msg_id == "m0"}
    weeks = defaultdict(set)
    for r in rows:
        talk = r.community_id is not None and not (r.routed_to or "").startswith("/") and r.member_id not in bots
        if talk and (week := _week(r.received_at)) is not None:
            weeks[r.member_id].add(week)
    return {member: len(found) for member, found in weeks.items()}


async def _plain_feedback(conn: AsyncConnection, since: datetime) -> dict[int, int]:
    moved = {
        r.item_id
        for r in (await conn.execute(select(history))).all()
        if r.to_status in pool.EXPERTISE and r.created_at >= since
    }
    items_of = defaultdict(set)
    for r in (await conn.execute(select(people))).all():
        if r.role == "reporter" and r.item_id in moved:
            items_of[r.member_id].add(r.item_id)
    return {member: len(found) for member, found in items_of.items()}


async def test_pool_signals_and_ranking_match_a_plain_computation(
    settings: CoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(settings.database.url)
    try:
        async with engine.begin() as conn:
            await _world(conn, random.Random(20261210))
        services = build_services(settings, FakeClock(NOW), REGISTRIES)
        async with engine.connect() as conn:
            ctx = reading_context(services, conn, MemberRef(0, "staff", "staff", Role.MODERATOR))
            since = NOW - timedelta(days=settings.section(KocSection).candidate_window_days)
            weeks, feedback = await active_weeks(conn, NOW), await pool._feedback(conn, since)
            assert weeks == await _plain_weeks(conn)
            assert feedback == await _plain_feedback(conn, since)
            assert len(weeks) > MEMBERS // 2 and any(n > 1 for n in feedback.values())  # the world is not empty
            found = await pool.rank(ctx)
            signals = [
                await pool._thanks(conn, since, NOW, None),
                feedback,
                await pool._threads(conn, since),
                weeks,
                await pool._discussion(conn, since),
            ]
            expected = []
            for row in (await conn.execute(select(schema.members))).all():  # every member, one by one
                if row.stage not in ("member", "candidate") or row.role in ("moderator", "admin"):
                    continue
                counts = {name: int(values.get(row.id, 0)) for name, values in zip(NAMES, signals, strict=True)}
                score = pool._scorer(settings.section(KocSection))(*counts.values())  # in NAMES' order
                if score > 0:
                    expected.append(pool.Candidate(row.id, row.display_name, row.stage, None, score=score, **counts))
            assert found == sorted(expected, key=lambda c: (-c.score, c.name, c.member_id))
            # The best few, read with the weeks of only those who could make it, are the pool's first few.
            others = (signals[0], feedback, signals[2], signals[4])
            assert await pool._short_list(ctx, pool._eligibility([], None), others, set(), 3) is not None
            without = [c for c in found if c.member_id != found[0].member_id]
            for chunk in (2, pool.ELIGIBLE_CHUNK):  # eligibility read a few at a time, or all at once
                monkeypatch.setattr(pool, "ELIGIBLE_CHUNK", chunk)
                monkeypatch.setattr(pool, "TIED_CHUNK", chunk)
                kept = StampedCache()  # as the console ranks: the past days' thank-yous and weeks kept
                for limit in (*range(1, 10), 20, MEMBERS):
                    assert await pool.rank(ctx, limit=limit) == found[:limit]
                    assert await pool.rank(ctx, limit=limit, kept=kept) == found[:limit]
                    assert await pool.rank(ctx, limit=limit, exclude=[found[0].member_id]) == without[:limit]
    finally:
        await engine.dispose()


async def test_most_thanked_of_a_month_match_a_plain_computation(settings: CoreSettings) -> None:
    """The monthly report's most thanked (counted per receiver, then named) against a count row by row: names
    repeat, so ties go by name, then by member."""
    engine = create_engine(settings.database.url)
    try:
        async with engine.begin() as conn:
            await _world(conn, random.Random(20261130))
        when = window("2026-11", NOW, settings.bot.timezone)
        async with engine.connect() as conn:
            helpers, _ = await queries._most_thanked(conn, when, [1, 2], MEMBERS, None)
            names = dict((await conn.execute(select(schema.members.c.id, schema.members.c.display_name))).all())
            counts: dict[int, int] = defaultdict(int)
            for row in (await conn.execute(select(thanks))).all():
                if (
                    row.month == "2026-11"
                    and row.counted
                    and row.created_at < when.as_of
                    and row.community_id in (1, 2)
                ):
                    counts[row.receiver_id] += 1
        best = sorted(counts, key=lambda m: (-counts[m], names[m], m))
        assert [(h.name, h.thanks) for h in helpers] == [(names[m], counts[m]) for m in best]
        assert len(helpers) > 10
    finally:
        await engine.dispose()
