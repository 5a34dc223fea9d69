"""Delivery lanes: a 500-room announcement while members ask /ping in 20 other rooms, on the injected clock.

The real app (SQLite file, pipeline, real sender) with WeChat's pacing as shipped (3 s a room, bursts
of 3; 20 a minute for the account, 5 of them kept for replies; 20 % jitter), in travelled time on a
fake clock. One announcement fans out to 500 rooms; meanwhile a member in each of 20 other rooms
sends /ping at random moments (a Poisson process). Printed: the fan-out's rate against the configured
bulk rate and its time against the same fan-out alone, and the ping replies' waiting times (from the
ping to its answer leaving): p50, p95, max.

Two loads: the issue's, one ping a minute in each room (20 a minute: as much as the account's whole
ceiling, so it cannot be met together with the fan-out), and one every five minutes in each room
(4 a minute, within the reserve).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import FakeClock
from bot.config import load_settings
from bot.db.schema import Delivery, OutgoingKind
from bot.events import Contact, IncomingMessage, OutgoingMessage
from bot.outbox import Draft
from bot.transports.memory import InMemoryTransport
from bot.transports.wechaty import WechatyTransport
from bot.uow import UnitOfWork
from handlers import REGISTRIES, config_sections

START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai: outside quiet hours
FAN_OUT_ROOMS = 500
PING_ROOMS = 20
SEED = 15


class _TimedTransport(InMemoryTransport):
    """WeChat's limits; when (on the fake clock) each message went out."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(WechatyTransport.default_pacing, WechatyTransport.max_text_length)
        self._clock = clock
        self.log: list[tuple[datetime, OutgoingMessage]] = []

    async def send(self, message: OutgoingMessage) -> str:
        self.log.append((self._clock.now(), message))
        return await super().send(message)


@dataclass
class Outcome:
    fan_out_minutes: float
    fan_out_rate: float
    waits: list[float]


async def _app(data_dir: Path, transport: _TimedTransport, clock: FakeClock) -> App:
    settings = load_settings(environ={}, data_dir=data_dir, overrides={}, capability_sections=config_sections())
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    return app


async def _announce(app: App) -> None:
    async with UnitOfWork(app.database, app.clock) as uow:
        for r in range(FAN_OUT_ROOMS):
            room = f"fan{r:03d}@chatroom"
            text = "【公告】本周六下午两点新品体验会，欢迎报名！"
            uow.send(
                Draft(
                    text,
                    "bench/announce",
                    "zh_CN",
                    room_id=room,
                    dedupe_key=f"announce:bench:{room}",
                    delivery=Delivery.ROUTINE,
                    kind=OutgoingKind.UNSOLICITED,
                )
            )
        await uow.commit()


def _pings(per_room_per_minute: float, until: datetime) -> list[tuple[datetime, int]]:
    """(moment, room) of every ping: each room a Poisson process of the given rate."""
    rng = random.Random(SEED)
    pings = []
    for room in range(PING_ROOMS):
        at = START
        while per_room_per_minute and (at := at + timedelta(minutes=rng.expovariate(per_room_per_minute))) < until:
            pings.append((at, room))
    return sorted(pings)


def _ping(n: int, room: int) -> IncomingMessage:
    member = Contact(id=f"member{room}", name=f"会员{room}")
    return IncomingMessage(f"ping-{n}", member, "/ping", room_id=f"ping{room:02d}@chatroom", room_name=f"群 {room}")


async def run(data_dir: Path, per_room_per_minute: float) -> Outcome:
    clock = FakeClock(START)
    transport = _TimedTransport(clock)
    app = await _app(data_dir, transport, clock)
    try:
        await _announce(app)
        pings = _pings(per_room_per_minute, START + timedelta(minutes=34))
        for n, (at, room) in enumerate(pings):
            await app.advance_to(at)
            transport.inject(_ping(n, room))
        await app.advance_to(START + timedelta(hours=3))
    finally:
        await app.close()
    return _outcome(transport, pings)


def _outcome(transport: _TimedTransport, pings: list[tuple[datetime, int]]) -> Outcome:
    bulk = [at for at, m in transport.log if m.room_id and m.room_id.startswith("fan")]
    assert len(bulk) == FAN_OUT_ROOMS, f"{len(bulk)} of the {FAN_OUT_ROOMS} posts went out"
    span = (bulk[-1] - bulk[0]).total_seconds()
    answers: dict[str, list[datetime]] = {}
    for at, m in transport.log:
        if m.room_id and m.room_id.startswith("ping"):
            answers.setdefault(m.room_id, []).append(at)
    asked: dict[str, list[datetime]] = {}
    for at, room in pings:
        asked.setdefault(f"ping{room:02d}@chatroom", []).append(at)
    waits = [(a - q).total_seconds() for room in asked for q, a in zip(asked[room], answers[room], strict=True)]
    return Outcome((bulk[-1] - START).total_seconds() / 60, (len(bulk) - 1) / span * 60, waits)


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1] if len(values) > 1 else 0.0


async def main() -> None:
    limits = WechatyTransport.default_pacing
    bulk_rate = limits.account_per_minute - limits.reply_reserve
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        alone = await run(Path(tmp) / "alone", 0)
        for rate, label in ((1.0, "one a minute in each room"), (0.2, "one every 5 minutes in each room")):
            both = await run(Path(tmp) / f"pings-{rate}", rate)
            waits = both.waits
            print(
                f"lanes: 500-room announcement + /ping in {PING_ROOMS} other rooms, {label} "
                f"({len(waits)} pings): fan-out {both.fan_out_rate:.2f}/min vs {bulk_rate}/min configured for bulk, "
                f"done in {both.fan_out_minutes:.1f} min vs {alone.fan_out_minutes:.1f} min alone "
                f"({(both.fan_out_minutes / alone.fan_out_minutes - 1) * 100:+.1f} %, target within 10 %); ping "
                f"waits p50 {_quantile(waits, 0.5):.1f} s, p95 {_quantile(waits, 0.95):.1f} s, max {max(waits):.1f} s "
                f"(targets: p95 under 5 s, max under 10 s)"
            )
        print(f"lanes: ({time.perf_counter() - started:.0f} s real time for the three runs)")


if __name__ == "__main__":
    asyncio.run(main())
