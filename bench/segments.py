"""Segments and outreach sends: a segment over 100,000 members, and a 10,000-member send.

Each figure is wall-clock time and, beside it, the CPU time of the process (SQLite's thread
included), which other work on a shared machine inflates less.

(a) 100,000 members in 20 rooms with 300,000 thank-yous, 50,000 feedback reporters and +1s and
some opt-outs, on a SQLite file: the segment "in room 3, thanked at least twice in the last 30 days,
no feedback yet" compiled to its one query, counted and listed (target < 200 ms).
(b) 10,000 members sent a moderator's template through the real path (/outreach send's heavy work:
segment, each member's own values, rendering in the sandbox; then its delivery: recipient and outbox
rows in one transaction through the unit of work, with quiet hours and the contact budget), timed
from the request to the committed outbox (target < 2 s).
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import FakeClock
from bot.config import load_settings
from bot.db import schema
from bot.heavy import requests
from bot.transports.memory import InMemoryTransport
from bot.uow import UnitOfWork
from handlers import REGISTRIES, config_sections
from handlers.feedback.tables import items as feedback_items
from handlers.feedback.tables import people as feedback_people
from handlers.outreach.segment_query import count_and_first, segment_query
from handlers.outreach.tables import consent, custom_templates, outreach_sends, segments
from handlers.recognition.tables import thanks

_RNG = random.Random(18)  # the same population every run
MEMBERS = int(os.environ.get("KOCBOT_BENCH_SEGMENT_MEMBERS", "100000"))
SEND = int(os.environ.get("KOCBOT_BENCH_SEND_MEMBERS", "10000"))
ROOMS = 20
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai: outside quiet hours
EXPRESSION = "群=room3 且 近30天收到感谢>=2 且 非 反馈>=1"
TEMPLATE = "{{ member.name }}，你好！你现在有 {{ member.points }} 积分，下周的新品体验会给你留了位置 🌱"


async def _app(data_dir: Path, clock: FakeClock) -> App:
    settings = load_settings(
        environ={},
        data_dir=data_dir,
        overrides={"heavy": {"processes": 0}, "outreach": {"confirm_over": 1_000_000}},
        capability_sections=config_sections(),
    )
    app = await open_app(settings, transport=InMemoryTransport(), registries=REGISTRIES, clock=clock)
    await app.start()
    return app


async def _population(app: App, count: int) -> dict[str, int]:
    now = app.clock.now()
    async with app.engine.begin() as conn:
        rooms = [{"platform_id": f"room{r}", "name": f"room{r}", "created_at": now} for r in range(ROOMS)]
        await conn.execute(insert(schema.communities), rooms)
        people = [{"platform_id": f"wxid_{n}", "display_name": f"会员{n}", "created_at": now} for n in range(count)]
        await conn.execute(insert(schema.members), [{"platform_id": "mod", "created_at": now}, *people])
        ids = dict((await conn.execute(select(schema.members.c.platform_id, schema.members.c.id))).all())
        await conn.execute(
            insert(schema.memberships),
            [{"community_id": n % ROOMS + 1, "member_id": ids[f"wxid_{n}"], "joined_at": now} for n in range(count)],
        )
        await conn.execute(insert(thanks), [_thanks(n, ids, count, now) for n in range(3 * count)])
        await conn.execute(
            insert(feedback_items),
            [
                {
                    "id": i + 1,
                    "kind": "bug",
                    "status": "submitted",
                    "title": "t",
                    "scenario": "s",
                    "expected": "e",
                    "reporter_id": ids[f"wxid_{_RNG.randrange(count)}"],
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(count // 10)
            ],
        )
        await conn.execute(
            insert(feedback_people),
            [
                {
                    "item_id": i // 5 + 1,
                    "member_id": ids[f"wxid_{i * 7 % count}"],
                    "role": "reporter",
                    "created_at": now,
                }
                for i in range(count // 2)
            ],
        )
        await conn.execute(
            insert(consent),
            [
                {"member_id": ids[f"wxid_{n}"], "opted_out": True, "changed_at": now, "words": "TD"}
                for n in range(0, count, 97)
            ],
        )
    return ids


def _thanks(n: int, ids: dict[str, int], count: int, now: datetime) -> dict[str, object]:
    return {
        "giver_id": ids[f"wxid_{_RNG.randrange(count)}"],
        "receiver_id": ids[f"wxid_{_RNG.randrange(count)}"],
        "community_id": n % ROOMS + 1,
        "month": "2026-11",
        "created_at": now - timedelta(days=n % 60),
        "via": "message",
        "counted": True,
    }


async def bench_segment(data_dir: Path) -> None:
    app = await _app(data_dir, FakeClock(START))
    try:
        await _population(app, MEMBERS)
        async with app.engine.connect() as conn:
            timings, cpu = [], []
            for _ in range(5):
                started, started_cpu = time.perf_counter(), time.process_time()
                query = await segment_query(conn, EXPRESSION, START, app.services.settings)
                everyone = (await conn.execute(query)).all()
                timings.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            started = time.perf_counter()
            total, _first = await count_and_first(conn, EXPRESSION, START, app.services.settings)
            shown = time.perf_counter() - started
    finally:
        await app.close()
    print(
        f"segments: '{EXPRESSION}' over {MEMBERS} members ({3 * MEMBERS} thanks, {MEMBERS // 2} feedback "
        f"reporters) on SQLite: {len(everyone)} members evaluated in {min(timings) * 1000:.0f} ms "
        f"(best of 5; worst {max(timings) * 1000:.0f} ms; CPU {min(cpu) * 1000:.0f} ms; target < 200 ms); "
        f"/segment show's count and first 10 ({total}) in one query, {shown * 1000:.0f} ms"
    )


async def bench_send(data_dir: Path) -> None:
    clock = FakeClock(START)
    app = await _app(data_dir, clock)
    try:
        ids = await _population(app, SEND)
        who = {"created_at": START, "created_by": ids["mod"], "updated_at": START, "updated_by": ids["mod"]}
        async with UnitOfWork(app.database, clock) as uow:
            await uow.conn.execute(insert(custom_templates).values(name="hi", source=TEMPLATE, **who))
            await uow.conn.execute(insert(segments).values(name="all", expression="阶段=成员", **who))
            values = {
                "segment": "all",
                "template": "hi",
                "status": "scheduled",
                "created_at": START,
                "created_by": ids["mod"],
            }
            send = (
                await uow.conn.execute(insert(outreach_sends).values(**values).returning(outreach_sends.c.id))
            ).scalar_one()
            request = await requests.record(
                uow.conn,
                "outreach send",
                {"send": send},
                account=app.services.settings.bot.account,
                actor_id=ids["mod"],
                community_id=None,
                message_id=None,
                now=START,
            )
            await uow.commit()
        started, started_cpu = time.perf_counter(), time.process_time()
        app.handoffs.start(request)
        while not await _done(app):
            await asyncio.sleep(0.05)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        async with app.engine.connect() as conn:
            queued = (
                await conn.execute(
                    select(func.count())
                    .select_from(schema.outbox)
                    .where(schema.outbox.c.dedupe_key.startswith("outreach:"))
                )
            ).scalar_one()
            held = (
                await conn.execute(
                    select(func.count()).select_from(schema.outbox).where(schema.outbox.c.not_before > START)
                )
            ).scalar_one()
    finally:
        await app.close()
    print(
        f"segments: /outreach send to {SEND} members (segment, own values, sandbox rendering, recipient and "
        f"outbox rows with quiet hours and the contact budget) in {elapsed:.2f} s (CPU {elapsed_cpu:.2f} s; "
        f"target < 2 s); "
        f"{queued} queued, {held} held for later"
    )


async def _done(app: App) -> bool:
    async with app.engine.connect() as conn:
        return (await conn.execute(select(outreach_sends.c.status))).scalar_one() == "done"


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await bench_segment(Path(tmp) / "segment")
    with tempfile.TemporaryDirectory() as tmp:
        await bench_send(Path(tmp) / "send")


if __name__ == "__main__":
    asyncio.run(main())
