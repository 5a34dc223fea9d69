"""Outreach: render and enqueue 10,000 personalised private messages, and a paced fan-out to 500 rooms.

(a) 10,000 members (20 rooms, each member in one or two), each sent a private message rendered
from a brand template with their name, points and titles, written through the real unit of work
(quiet hours, contact budget, accounts) into the outbox of a SQLite file.
(b) One announcement to 500 rooms through the real sender with WeChat's default pacing (3 s per
room, 20 messages a minute per account of which 5 are kept for replies, 20 % jitter), in travelled
time on a fake clock: the achieved rate against the configured bulk rate, the busiest 10 seconds
and minute, the closest two sends, and that every room got it exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import FakeClock
from bot.config import load_settings
from bot.db import schema
from bot.db.schema import Delivery
from bot.events import OutgoingMessage
from bot.outbox import Draft
from bot.transports.memory import InMemoryTransport
from bot.transports.wechaty import WechatyTransport
from bot.uow import UnitOfWork
from handlers import REGISTRIES, config_sections

MESSAGES = int(os.environ.get("KOCBOT_BENCH_OUTREACH", "10000"))
FAN_OUT_ROOMS = 500
ROOMS = 20
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai: outside quiet hours
TEMPLATE = "bench/koc_note"
TEMPLATE_TEXT = (
    "{{ name }}，你好！这个月你在社群里已经攒了 {{ points }} 积分"
    "{% if titles %}，还获得了{% for t in titles %}「{{ t }}」{% endfor %}称号{% endif %}。\n"
    "下周的新品体验会给你留了位置，回复“报名”就可以参加 🌱\n"
)
TITLES = ("热心答主", "活动组织者", "荣誉产品顾问")


class _TimedTransport(InMemoryTransport):
    """WeChat's pacing limits, and when (on the fake clock) each message went out."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(WechatyTransport.default_pacing, WechatyTransport.max_text_length)
        self._clock = clock
        self.times: list[datetime] = []

    async def send(self, message: OutgoingMessage) -> str:
        self.times.append(self._clock.now())
        return await super().send(message)


async def _app(data_dir: Path, transport: InMemoryTransport, clock: FakeClock) -> App:
    templates = data_dir / "brand-templates"
    for locale in ("zh_CN", "en"):
        path = templates / locale / f"{TEMPLATE}.j2"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TEMPLATE_TEXT, encoding="utf-8")
    settings = load_settings(
        environ={},
        data_dir=data_dir,
        overrides={"bot": {"templates_dir": str(templates)}},
        capability_sections=config_sections(),
    )
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    return app


async def _members(app: App, count: int) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """`count` members in ROOMS rooms (one in three in two), with names, points and titles."""
    now = app.clock.now()
    async with app.engine.begin() as conn:
        await conn.execute(
            insert(schema.communities),
            [
                {"platform_id": f"room{r}@chatroom", "name": f"KOC {r} 群", "created_at": now, "account": "main"}
                for r in range(ROOMS)
            ],
        )
        await conn.execute(
            insert(schema.members),
            [
                {
                    "platform_id": f"wxid_{n}",
                    "display_name": f"会员{n}",
                    "role": "member",
                    "stage": "member",
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        ids = dict((await conn.execute(select(schema.members.c.platform_id, schema.members.c.id))).all())
        await conn.execute(
            insert(schema.memberships),
            [
                {"community_id": room + 1, "member_id": ids[f"wxid_{n}"], "joined_at": now - timedelta(days=n % 90)}
                for n in range(count)
                for room in {n % ROOMS, (n * 7) % ROOMS if n % 3 == 0 else n % ROOMS}
            ],
        )
    return [(f"wxid_{n}", f"会员{n}", (n * 37) % 500, TITLES[: n % 4]) for n in range(count)]


async def bench_enqueue(data_dir: Path) -> None:
    clock = FakeClock(START)
    app = await _app(data_dir, InMemoryTransport(), clock)
    try:
        members = await _members(app, MESSAGES)
        renderer = app.services.renderer
        started = time.perf_counter()
        async with UnitOfWork(app.database, app.clock) as uow:
            for platform_id, name, points, titles in members:
                text = renderer.render(TEMPLATE, "zh_CN", name=name, points=points, titles=titles)
                uow.send(Draft(text, TEMPLATE, "zh_CN", contact_id=platform_id, delivery=Delivery.ROUTINE))
            rendered = time.perf_counter()
            await uow.commit()
        done = time.perf_counter()
        async with app.engine.connect() as conn:
            stored = len(
                (await conn.execute(select(schema.outbox.c.id).where(schema.outbox.c.template == TEMPLATE))).all()
            )
    finally:
        await app.close()
    print(
        f"outreach: rendered and enqueued {MESSAGES} personalised private messages on SQLite in "
        f"{done - started:.2f} s (render {rendered - started:.2f} s, write and commit {done - rendered:.2f} s; "
        f"target < 2 s); {stored} outbox rows"
    )


async def bench_fan_out(data_dir: Path) -> None:
    clock = FakeClock(START)
    transport = _TimedTransport(clock)
    app = await _app(data_dir, transport, clock)
    bulk_per_minute = app.sender._pacer.others_per_minute  # the account's ceiling less the replies' reserve
    try:
        rooms = [f"fan{r:03d}@chatroom" for r in range(FAN_OUT_ROOMS)]
        async with UnitOfWork(app.database, app.clock) as uow:
            for room in rooms:
                uow.send(
                    Draft(
                        "【公告】本周六下午两点新品体验会，欢迎报名！",
                        "bench/announce",
                        "zh_CN",
                        room_id=room,
                        dedupe_key=f"announce:bench:{room}",
                        delivery=Delivery.ROUTINE,
                    )
                )
            await uow.commit()
        started = time.perf_counter()
        await app.advance_to(START + timedelta(hours=2))
        elapsed = time.perf_counter() - started
    finally:
        await app.close()
    _report_fan_out(transport, rooms, bulk_per_minute, elapsed)


def _busiest(times: list[datetime], span: timedelta) -> int:
    return max(sum(1 for t in times if start <= t < start + span) for start in times)


def _report_fan_out(transport: _TimedTransport, rooms: list[str], per_minute: int, elapsed: float) -> None:
    got = Counter(m.room_id for m in transport.sent)
    lost, doubled = len(set(rooms) - set(got)), sum(n - 1 for n in got.values())
    times = transport.times
    span = (times[-1] - times[0]).total_seconds()
    achieved = (len(times) - 1) / span * 60  # sends after the first, over the time they took
    closest = min((b - a).total_seconds() for a, b in itertools.pairwise(times))
    print(
        f"outreach: fan-out to {len(rooms)} rooms with WeChat pacing (20/min per account of which {per_minute} for "
        f"bulk, 3 s per room, 20 % jitter) in travelled time: {len(times)} sent over {span / 60:.1f} min, achieved "
        f"{achieved:.2f}/min vs {per_minute}/min configured ({(achieved / per_minute - 1) * 100:+.1f} %, target "
        f"within 5 %); busiest 10 s {_busiest(times, timedelta(seconds=10))} vs {per_minute / 6:.1f} at the "
        f"configured rate, busiest minute {_busiest(times, timedelta(minutes=1))}, closest two sends "
        f"{closest:.1f} s apart; {lost} lost, {doubled} doubled ({elapsed:.1f} s real time)"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await bench_enqueue(Path(tmp) / "enqueue")
    with tempfile.TemporaryDirectory() as tmp:
        await bench_fan_out(Path(tmp) / "fan-out")


if __name__ == "__main__":
    asyncio.run(main())
