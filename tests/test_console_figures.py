"""The KOC pool's signals and the monthly report's figures, read by the queries the console's pages use, equal
plain counts over the rows of a small random world: commands, DMs, the bot's own echoes, mentions, quotes,
thank-yous to nobody, uncounted and revoked ones, feedback moved in and out of the window."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, update

from bot.db import schema
from bot.outbox import Draft
from bot.stamped import StampedCache
from handlers.feedback.tables import history, items, people
from handlers.koc import pool
from handlers.koc import weeks as weeks_module
from handlers.koc.weeks import WEEKS, active_weeks, everyone_weeks
from handlers.recognition.tables import actions, revocations, thanks
from handlers.reports.config import ReportsSection
from handlers.reports.month import window
from handlers.reports.queries import month_figures, month_summary
from tests.support import enqueue

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)
ROOMS, MEMBERS = 3, 14
ROUTES = (None, None, None, "thanks", "/fb", "/?", "listening")
EXPERTISE = ("reproduced", "adopted", "shipped")


def _when(rnd: random.Random) -> datetime:
    """Anywhere from October to a little after NOW (a row from the future counts in no window)."""
    return NOW - timedelta(minutes=rnd.randrange(-600, 75 * 1440))


def _world(rnd: random.Random) -> dict[str, list[dict[str, Any]]]:
    names = [f"m{i}" for i in range(MEMBERS)] + ["kocbot"]  # the last is the bot's own member
    world: dict[str, list[dict[str, Any]]] = {
        "communities": [
            {"id": i + 1, "platform_id": f"r{i}", "name": f"群{i}", "created_at": NOW} for i in range(ROOMS)
        ],
        "members": [
            {"id": i + 1, "platform_id": name, "display_name": name, "created_at": NOW} for i, name in enumerate(names)
        ],
    }
    bot_id = len(names)
    world["messages"] = [
        {
            "id": n + 1,
            "platform_msg_id": f"msg-{n}",
            "community_id": None if rnd.random() < 0.1 else rnd.randrange(ROOMS) + 1,
            "member_id": bot_id if n % 17 == 0 else rnd.randrange(MEMBERS) + 1,
            "kind": "text",
            "text": "…",
            "mentions": rnd.sample([*names[:-1], "stranger"], rnd.choice((0, 0, 0, 1, 2))),
            "quote_member_id": rnd.choice((None, None, rnd.randrange(MEMBERS) + 1)),
            "routed_to": rnd.choice(ROUTES),
            "received_at": _when(rnd),
        }
        for n in range(400)
    ]
    world["thanks"] = []
    for n in range(300):
        at = _when(rnd)
        world["thanks"].append(
            {
                "id": n + 1,
                "giver_id": rnd.randrange(MEMBERS) + 1,
                "receiver_id": None if n % 23 == 0 else int(MEMBERS * rnd.random() ** 2) + 1,
                "community_id": rnd.randrange(ROOMS) + 1,
                "month": at.astimezone(ZONE).strftime("%Y-%m"),
                "created_at": at,
                "via": "message",
                "counted": rnd.random() < 0.85,
            }
        )
    world["items"] = [
        {
            "id": n + 1,
            "kind": "bug",
            "status": "submitted",
            "title": "t",
            "scenario": "s",
            "expected": "e",
            "reporter_id": rnd.randrange(MEMBERS) + 1,
            "community_id": rnd.choice((None, 1, 2, 3)),
            "created_at": (at := _when(rnd)),
            "updated_at": at,
        }
        for n in range(40)
    ]
    world["people"] = [
        {"item_id": i["id"], "member_id": i["reporter_id"], "role": "reporter", "created_at": i["created_at"]}
        for i in world["items"]
    ]
    world["history"] = [
        {
            "item_id": rnd.randrange(40) + 1,
            "what": "status",
            "to_status": rnd.choice(("acknowledged", *EXPERTISE)),
            "created_at": _when(rnd),
        }
        for _ in range(60)
    ]
    return world


async def _store(app: Any, world: dict[str, list[dict[str, Any]]], revoked: list[int]) -> None:
    tables = {
        "communities": schema.communities,
        "members": schema.members,
        "messages": schema.messages,
        "thanks": thanks,
        "items": items,
        "people": people,
        "history": history,
    }
    async with app.engine.begin() as conn:
        for name, table in tables.items():
            await conn.execute(insert(table), world[name])
        await conn.execute(insert(actions).values(id=1, kind="revoke", actor_id=1, created_at=NOW))
        row_id = 0
        for n, thanks_id in enumerate(revoked):
            row_id += 1
            await conn.execute(insert(revocations).values(id=row_id, thanks_id=thanks_id, action_id=1, created_at=NOW))
            if n % 3 == 0:  # revoked, then reinstated: it counts again
                row = {
                    "id": row_id + 1,
                    "thanks_id": thanks_id,
                    "action_id": 1,
                    "reverses_id": row_id,
                    "created_at": NOW,
                }
                await conn.execute(insert(revocations).values(**row))
                row_id += 1
        # The bot's own messages came back as echoes of what the outbox sent.
        for message in world["messages"]:
            if message["member_id"] == len(world["members"]):
                draft = Draft("…", "t", "zh_CN", room_id="r0")
                outbox_id = await enqueue(conn, draft, NOW, app.database.addressing)
                await conn.execute(
                    update(schema.outbox)
                    .where(schema.outbox.c.id == outbox_id)
                    .values(status="sent", platform_msg_id=message["platform_msg_id"], sent_at=NOW)
                )


def _revoked_now(world: dict[str, list[dict[str, Any]]], revoked: list[int]) -> set[int]:
    return {thanks_id for n, thanks_id in enumerate(revoked) if n % 3 != 0}


def _nonzero(counts: dict[int, int]) -> dict[int, int]:
    return {k: v for k, v in counts.items() if v}


def _community(m: dict[str, Any], bot_id: int) -> bool:
    """bot.talk's community message: in a room, not a command, not the bot's."""
    routed = m["routed_to"]
    return m["community_id"] is not None and (routed is None or not routed.startswith("/")) and m["member_id"] != bot_id


def _plain_talk(m: dict[str, Any], bot_id: int) -> bool:
    return _community(m, bot_id) and m["routed_to"] != "thanks"


async def test_the_pools_signals_are_plain_counts_of_the_rows(app) -> None:
    rnd = random.Random(20261210)
    world = _world(rnd)
    revoked = rnd.sample(range(1, 301), 30)
    await _store(app, world, revoked)
    gone = _revoked_now(world, revoked)
    ids = {m["platform_id"]: m["id"] for m in world["members"]}

    thanked: Counter[int] = Counter()
    for t in world["thanks"]:
        if t["created_at"] >= SINCE and t["receiver_id"] is not None:
            thanked[t["receiver_id"]] += (1 if t["counted"] else 0) - (1 if t["id"] in gone else 0)
    weeks: dict[int, set[int]] = defaultdict(set)
    bot_id = len(world["members"])
    for m in world["messages"]:
        if not _community(m, bot_id):
            continue
        for k in range(WEEKS):
            if NOW - timedelta(weeks=k + 1) < m["received_at"] <= NOW - timedelta(weeks=k):
                weeks[m["member_id"]].add(k)
    talk: Counter[int] = Counter()
    for m in world["messages"]:
        if m["received_at"] < SINCE or not _plain_talk(m, bot_id):
            continue
        if m["quote_member_id"] is not None and m["quote_member_id"] != m["member_id"]:
            talk[m["quote_member_id"]] += 1
        for named in m["mentions"]:
            who = ids.get(named)
            if who is not None and who != m["member_id"] and m["quote_member_id"] != who:
                talk[who] += 1
    reporter = {i["id"]: i["reporter_id"] for i in world["items"]}
    expert: dict[int, set[int]] = defaultdict(set)
    for h in world["history"]:
        if h["to_status"] in EXPERTISE and h["created_at"] >= SINCE:
            expert[reporter[h["item_id"]]].add(h["item_id"])

    kept = StampedCache()
    async with app.engine.connect() as conn:
        assert _nonzero(await pool._thanks(conn, SINCE, NOW, None)) == _nonzero(dict(thanked))
        for _ in range(2):  # counted, then the window's whole days kept: the same
            assert _nonzero(await pool._thanks(conn, SINCE, NOW, kept)) == _nonzero(dict(thanked))
        assert await active_weeks(conn, NOW) == {member: len(found) for member, found in weeks.items()}
        assert _nonzero(dict(await pool._discussion(conn, SINCE))) == dict(talk)
        assert await pool._feedback(conn, SINCE) == {member: len(found) for member, found in expert.items()}
    assert sum(thanked.values()) and weeks and talk and expert  # the world exercises every signal
    # A thank-you logged into one of the kept days (as no bot would, but a restored backup might): counted.
    async with app.engine.begin() as conn:
        row = {**world["thanks"][0], "id": len(world["thanks"]) + 1, "receiver_id": 1, "counted": True}
        await conn.execute(insert(thanks).values(**{**row, "created_at": NOW - timedelta(days=10)}))
    thanked[1] += 1
    async with app.engine.connect() as conn:
        assert _nonzero(await pool._thanks(conn, SINCE, NOW, kept)) == _nonzero(dict(thanked))


def _plain_weeks(messages: list[dict[str, Any]], bot_id: int, now: datetime) -> dict[int, int]:
    """Each member's rolling weeks (of the last ten) with a community message, counted over the rows."""
    found: dict[int, set[int]] = defaultdict(set)
    for m in messages:
        if _community(m, bot_id):
            for k in range(WEEKS):
                if now - timedelta(weeks=k + 1) < m["received_at"] <= now - timedelta(weeks=k):
                    found[m["member_id"]].add(k)
    return {member: len(weeks) for member, weeks in found.items()}


async def test_everyones_weeks_kept_across_visits_are_the_rolling_weeks_of_the_rows(app, monkeypatch) -> None:
    rnd = random.Random(20261203)
    world = _world(rnd)
    messages, bot_id = world["messages"], len(world["members"])
    # Members who wrote once, each at an edge of NOW's weeks: on `NOW - 3 weeks` (week 3) and just after it
    # (week 2), today before NOW (week 0) and after it (no week yet), on `NOW - 10 weeks` (no week) and just
    # after it (week 9).
    edges = (
        NOW - timedelta(weeks=3),
        NOW - timedelta(weeks=3, microseconds=-1),
        NOW - timedelta(hours=1),
        NOW + timedelta(hours=1),
        NOW - timedelta(weeks=10),
        NOW - timedelta(weeks=10, microseconds=-1),
    )
    expected = {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 1}
    await _store(app, world, [])
    first = bot_id + 1
    async with app.engine.begin() as conn:
        for n, at in enumerate(edges):
            member = {"id": first + n, "platform_id": f"edge{n}", "display_name": f"edge{n}", "created_at": NOW}
            await conn.execute(insert(schema.members).values(**member))
            message = {**messages[0], "id": 1001 + n, "platform_msg_id": f"edge-{n}", "member_id": first + n}
            messages.append(message | {"community_id": 1, "routed_to": None, "received_at": at})
            await conn.execute(insert(schema.messages).values(**messages[-1]))
    counted = []
    inner = weeks_module._inner_weeks

    async def counting(*args: Any) -> dict[int, int]:
        counted.append(args)
        return await inner(*args)

    monkeypatch.setattr(weeks_module, "_inner_weeks", counting)
    kept = StampedCache()

    async def check(now: datetime) -> None:
        async with app.engine.connect() as conn:
            found = await everyone_weeks(conn, now, kept)
            assert found == _plain_weeks(messages, bot_id, now) == await active_weeks(conn, now), now

    # Through a day and into the next: the days no boundary falls in are counted once a day.
    moments = [NOW, NOW + timedelta(minutes=1), NOW + timedelta(hours=19, minutes=59, seconds=59)]
    for now in moments:
        await check(now)
    assert len(counted) == 1
    async with app.engine.connect() as conn:
        found = await everyone_weeks(conn, NOW, kept)
    assert {n + 1: found.get(first + n, 0) for n in range(len(edges))} == expected
    for now in (NOW + timedelta(hours=20), NOW + timedelta(days=1, hours=7), NOW - timedelta(days=4, hours=3)):
        await check(now)
    assert len(counted) == 3  # 10, 11 and 6 December
    # A message logged into a kept day (a restored backup), then one deleted from it: counted again.
    later = {**messages[1], "id": 2001, "platform_msg_id": "late", "member_id": 2, "community_id": 2, "routed_to": None}
    later["received_at"] = NOW - timedelta(days=4, hours=3) - timedelta(days=30)
    messages.append(later)
    async with app.engine.begin() as conn:
        await conn.execute(insert(schema.messages).values(**later))
    await check(NOW - timedelta(days=4, hours=3))
    today = date(2026, 12, 6)
    gone = next(
        m
        for m in messages
        if _community(m, bot_id)
        and m is not later
        and 0 < (gap := (today - m["received_at"].date()).days) < 70
        and gap % 7  # on a day no boundary falls in
    )
    messages.remove(gone)
    async with app.engine.begin() as conn:
        await conn.execute(delete(schema.messages).where(schema.messages.c.id == gone["id"]))
    await check(NOW - timedelta(days=4, hours=3))
    assert len(counted) == 5
    assert await _weeks_differ(app, kept)


async def _weeks_differ(app: Any, kept: StampedCache) -> bool:
    """The world has members whose weeks differ (a test of nothing if every count were equal)."""
    async with app.engine.connect() as conn:
        return len(set((await everyone_weeks(conn, NOW, kept)).values())) > 2


async def test_the_months_figures_are_plain_counts_of_the_rows(app) -> None:
    rnd = random.Random(20261130)
    world = _world(rnd)
    revoked = rnd.sample(range(1, 301), 30)
    await _store(app, world, revoked)
    when = window("2026-11", NOW, "Asia/Shanghai")
    bots = {m["member_id"] for m in world["messages"] if m["member_id"] == len(world["members"])}
    said = [
        m
        for m in world["messages"]
        if m["community_id"] is not None
        and (m["routed_to"] is None or not m["routed_to"].startswith("/"))
        and m["member_id"] not in bots
        and when.start <= m["received_at"] < when.as_of
    ]
    per_room = {
        room: (len(found := [m for m in said if m["community_id"] == room]), len({m["member_id"] for m in found}))
        for room in range(1, ROOMS + 1)
    }
    days = []
    for day, begin, finish in when.days():
        found = [m for m in said if begin <= m["received_at"] < finish]
        days.append((day, len(found), len({m["member_id"] for m in found})))
    gone = _revoked_now(world, revoked)  # every revocation is dated NOW, after the month: none counts
    assert gone
    counted = Counter(
        t["receiver_id"]
        for t in world["thanks"]
        if t["month"] == "2026-11" and t["counted"] and t["created_at"] < when.as_of and t["receiver_id"] is not None
    )
    names = {m["id"]: m["display_name"] for m in world["members"]}
    ranked = sorted(counted.items(), key=lambda kv: (-kv[1], names[kv[0]], kv[0]))
    moved = {
        h["item_id"]
        for h in world["history"]
        if h["to_status"] in ("adopted", "shipped") and when.start <= h["created_at"] < when.as_of
    }
    listed = sorted(i["id"] for i in world["items"] if when.start <= i["created_at"] < when.as_of or i["id"] in moved)

    kept = StampedCache()
    async with app.engine.connect() as conn:
        figures = await month_figures(conn, app.services.settings, when)
        for _ in range(2):  # counted, then kept: the same
            assert await month_figures(conn, app.services.settings, when, kept) == figures
            summary = await month_summary(conn, app.services.settings, when, kept)
            assert (summary.communities, summary.active_members, summary.thanks, summary.days) == (
                figures.communities,
                figures.active_members,
                figures.thanks,
                figures.days,
            )
            assert (summary.messages, summary.feedback_items) == (figures.messages, len(figures.feedback))
    assert [(c.messages, c.active) for c in figures.communities] == [per_room[r] for r in range(1, ROOMS + 1)]
    assert figures.active_members == len({m["member_id"] for m in said})
    assert [(d.day, d.messages, d.active) for d in figures.days] == days
    top = len(figures.helpers)
    assert [(h.name, h.thanks) for h in figures.helpers] == [(names[m], n) for m, n in ranked[:top]]
    assert top == min(len(ranked), app.services.settings.section(ReportsSection).top_helpers)
    rule = figures.title_rule
    assert rule is not None
    assert rule.reached == tuple(names[m] for m, n in ranked if n >= rule.threshold)
    assert rule.reached  # someone reached it in this world
    assert [row.id for row in figures.feedback] == listed
