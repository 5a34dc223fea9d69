"""/ping from other rooms while /campaign report runs over 200,000 messages, in the real-time app.

The campaign of `bench/ignition.py` (200,000 messages in 20 rooms over 14 days, 56,000 before it),
ended a day ago. The app runs as in production (SystemClock, `run_forever`, a SQLite file, the
in-memory transport); a moderator asks for the campaign report privately while /ping arrives from
five other rooms every 50 ms. Printed: how long the report took (to its chart's send) and the ping
replies' latency (from the platform event to the transport's send) while it ran: p50, p99, max.

First the pings alone (the baseline), then the report as the bot makes it (handed off to its
worker process): once with the process still to start (the first heavy work after a start), then
three times with it warm. Then, in the same run, for comparison: the same work handed off to the
heavy-work thread instead (`heavy.processes = 0`; a bench-only command), and the old way, a
bench-only command that computes the same report inside the pipeline's transaction, on the event
loop (what /campaign report did before), with the ratio of the p99s. The machine's
CPU pressure is printed too: on a shared machine, waiting for a CPU shows in every figure.
`KOCBOT_BENCH_CAMPAIGN_MESSAGES` sets the size.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.ignition import BASELINE, DAYS, MESSAGES, ROOMS, _fill
from bot import charts
from bot.app import App
from bot.bootstrap import open_app
from bot.clock import SystemClock
from bot.commands import Invocation
from bot.config import load_settings
from bot.context import Context
from bot.events import Contact, Image, IncomingMessage, OutgoingMessage
from bot.registry import HandlerRegistry
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES, config_sections
from handlers.campaigns import store
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.report import build, chart, make_report, send_made_report

PING_EVERY = 0.05  # seconds: 20 a second, round the rooms
PING_ROOMS = 5
TARGET_P99_MS = 50.0
WARM_RUNS, THREAD_RUNS, OLD_RUNS = 3, 2, 2
BASELINE_SECONDS = 3.0
COMMANDS = """[old_report]
usage = "/old report ID"
summary = "the campaign report, computed the old way (inside the transaction, on the event loop)"

[thread_report]
usage = "/thread report ID"
summary = "the campaign report, handed off to the heavy-work thread rather than a process"
"""


async def _old_report(ctx: Context, cmd: Invocation) -> None:
    """/campaign report as it was: measured and drawn in the handler, in the pipeline's transaction."""
    campaign = await store.campaign_named(ctx, cmd)
    section = ctx.settings.section(CampaignsSection)
    report = await build(ctx.db, campaign, section, ctx.now)
    png = await charts.render(chart, report, ctx.services.renderer, ctx.locale)
    assert png is not None, "the benchmark draws the chart: install the charts extra"
    await ctx.reply_privately("campaigns/report", **report.params(min(section.top_shown, 5)))
    await ctx.dm(
        ctx.actor, "campaigns/report_chart", image=Image(f"campaign-{campaign.id}.png", png), campaign=campaign
    )


async def _thread_report(ctx: Context, cmd: Invocation) -> None:
    campaign = await store.campaign_named(ctx, cmd)
    await ctx.hand_off("campaign report, in a thread", campaign=campaign.id, locale=ctx.locale)


old_way = HandlerRegistry("bench")
old_way.command("old report")(_old_report)
old_way.command("thread report")(_thread_report)
old_way.heavy("campaign report, in a thread", compute=make_report, deliver=send_made_report, in_process=False)


class _Watching(InMemoryTransport):
    """Notes when each member's reply and each picture went out."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: dict[str, float] = {}
        self.picture = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> str:
        at = time.perf_counter()
        self.answered.update((contact, at) for contact in message.mentions)
        if message.image is not None:
            self.picture.set()
        self.sent.clear()  # nobody reads them: keep memory flat
        return await super().send(message)


@dataclass
class Phase:
    name: str
    report_seconds: list[float]
    latencies_ms: list[float]  # pings sent while a report ran

    def line(self) -> str:
        ms = sorted(self.latencies_ms)
        p99 = ms[math.ceil(0.99 * len(ms)) - 1]
        took = ", ".join(f"{s:.1f}" for s in self.report_seconds)
        return (
            f"  {self.name}: {took} s; /ping meanwhile (n={len(ms)}): "
            f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms"
        )

    @property
    def p99(self) -> float:
        ms = sorted(self.latencies_ms)
        return ms[math.ceil(0.99 * len(ms)) - 1]


class Bench:
    def __init__(self, app: App, transport: _Watching, campaign: int) -> None:
        self.app, self.transport, self.campaign = app, transport, campaign
        self._ids = itertools.count()
        self._pinged: dict[str, float] = {}

    async def phase(self, name: str, command: str | None, runs: int) -> Phase:
        result = Phase(name, [], [])
        for _ in range(runs):
            took, pings = await self._one(command)
            result.report_seconds.append(took)
            result.latencies_ms += pings
        return result

    async def _one(self, command: str | None) -> tuple[float, list[float]]:
        stop = asyncio.Event()
        pinging = asyncio.create_task(self._ping(stop))
        await asyncio.sleep(0.5)
        self.transport.picture.clear()
        started = time.perf_counter()
        if command is None:  # the baseline: pings alone, as long as a report takes
            await asyncio.sleep(BASELINE_SECONDS)
        else:
            self._inject("mod", None, f"{command} {self.campaign}")
            await asyncio.wait_for(self.transport.picture.wait(), 600)
        took = time.perf_counter() - started
        await asyncio.sleep(0.3)
        stop.set()
        await pinging
        return took, await self._latencies(started, started + took)

    async def _ping(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            n = next(self._ids)
            sender = f"pinger{n}"
            self._pinged[sender] = time.perf_counter()
            self._inject(sender, f"ping{n % PING_ROOMS}@chatroom", "/ping")
            await asyncio.sleep(PING_EVERY)

    def _inject(self, sender: str, room: str | None, text: str) -> None:
        self.transport.inject(
            IncomingMessage(
                message_id=f"bench-{sender}-{time.perf_counter_ns()}",
                sender=Contact(sender, sender),
                text=text,
                room_id=room,
                room_name=room or "",
            )
        )

    async def _latencies(self, start: float, end: float) -> list[float]:
        during = {s: at for s, at in self._pinged.items() if start <= at <= end}
        for _ in range(3000):  # the last replies may still be on their way
            if all(s in self.transport.answered for s in during):
                break
            await asyncio.sleep(0.01)
        return [(self.transport.answered[s] - at) * 1000 for s, at in during.items() if s in self.transport.answered]


async def _run(folder: Path) -> None:
    starts = (datetime.now(UTC) - timedelta(days=DAYS + 1)).replace(hour=1, minute=0, second=0, microsecond=0)
    filling = time.perf_counter()
    campaign = await _fill(folder / "kocbot.db", starts)
    (folder / "templates" / "zh_CN" / "bench").mkdir(parents=True)
    (folder / "templates" / "en" / "bench").mkdir(parents=True)
    for locale in ("zh_CN", "en"):
        (folder / "templates" / locale / "bench" / "commands.toml").write_text(COMMANDS, encoding="utf-8")
    print(
        f"heavy work: /campaign report over {MESSAGES:,} campaign messages (+ {BASELINE:,} before) in {ROOMS} rooms, "
        f"/ping from {PING_ROOMS} other rooms every {PING_EVERY * 1000:.0f} ms (filled in {time.perf_counter() - filling:.0f} s)"
    )
    settings = load_settings(
        environ={},
        data_dir=folder,
        overrides={"bot": {"templates_dir": str(folder / "templates")}},
        capability_sections=config_sections(),
    )
    transport = _Watching()
    app = await open_app(settings, transport=transport, registries=(*REGISTRIES, old_way), clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    while transport._sink is None:  # started: it takes events
        await asyncio.sleep(0.01)
    try:
        bench = Bench(app, transport, campaign)
        alone = await bench.phase("no report (the baseline)", None, 1)
        cold = await bench.phase("handed off, the worker process starting", "/campaign report", 1)
        warm = await bench.phase("handed off, the worker process warm", "/campaign report", WARM_RUNS)
        thread = await bench.phase("handed off to the heavy-work thread", "/thread report", THREAD_RUNS)
        old = await bench.phase("the old way (in the transaction, on the event loop)", "/old report", OLD_RUNS)
    finally:
        app.stop()
        await running
        await app.close()
    for phase in (alone, cold, warm, thread, old):
        print(phase.line())
    verdict = "met" if warm.p99 < TARGET_P99_MS else "NOT met"
    print(f"  /ping p99 while the report runs: {warm.p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms: {verdict}); ")
    print(
        f"  in the thread it is {thread.p99 / warm.p99:.1f} times that, the old way {old.p99 / warm.p99:.0f} times; "
        f"{_pressure()}"
    )


def _pressure() -> str:
    """How much of the last 10 s something waited for a CPU (Linux PSI), and the load average."""
    try:
        some = Path("/proc/pressure/cpu").read_text().split()[1].split("=")[1]
    except (OSError, IndexError):
        some = "?"
    return f"CPU pressure {some}% (avg10), load average {os.getloadavg()[0]:.1f}"


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        await _run(Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
