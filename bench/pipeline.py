"""Pipeline throughput and latency against the floor: plain inserts through the same driver.

N messages go through the full pipeline (in-memory transport, every message logged, a /ping
reply for every 10th, replies delivered through the outbox), on a SQLite file and on PostgreSQL.
The floor is N single-row inserts with a commit each through the same driver, without SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiosqlite
import asyncpg

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import SystemClock
from bot.config import load_settings
from bot.events import Contact, IncomingMessage
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES, config_sections

N = int(os.environ.get("KOCBOT_BENCH_N", "5000"))
ROUNDS = int(os.environ.get("KOCBOT_BENCH_ROUNDS", "3"))  # floor and pipeline alternate; medians reported
WARMUP = 300
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
FLOOR_TABLE = "CREATE TABLE floor (id INTEGER PRIMARY KEY, msg_id TEXT UNIQUE, sender TEXT, body TEXT, at TEXT)"


def _messages(count: int, tag: str) -> list[IncomingMessage]:
    rooms = [f"room{r}@chatroom" for r in range(5)]
    return [
        IncomingMessage(
            message_id=f"{tag}-{i}",
            sender=Contact(f"wxid_{i % 50}", f"member {i % 50}"),
            text="/ping" if i % 10 == 0 else f"今天的新品体验怎么样？第 {i} 条",
            room_id=rooms[i % 5],
            room_name=f"KOC 群 {i % 5}",
        )
        for i in range(count)
    ]


async def _push(app: App, transport: InMemoryTransport, messages: list[IncomingMessage]) -> float:
    expected = len(transport.sent) + sum(1 for m in messages if m.text == "/ping")
    started = time.perf_counter()
    for message in messages:
        transport.inject(message)
    while len(transport.sent) < expected or app.pipeline.pending:
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


async def run_pipeline(url: str, data_dir: Path) -> dict[str, float]:
    settings = load_settings(
        environ={}, data_dir=data_dir, overrides={"database": {"url": url}}, capability_sections=config_sections()
    )
    transport = InMemoryTransport()
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    while transport._sink is None:
        await asyncio.sleep(0.001)
    try:
        await _push(app, transport, _messages(WARMUP, "warm"))
        app.pipeline.latencies = []
        elapsed = await _push(app, transport, _messages(N, "run"))
        latencies = sorted(app.pipeline.latencies)
    finally:
        app.stop()
        await running
        await app.close()
    return {
        "per_message_ms": elapsed / N * 1000,
        "rate": N / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def floor_sqlite(path: Path) -> float:
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(FLOOR_TABLE)
        started = time.perf_counter()
        for i in range(N):
            await db.execute("BEGIN")
            await db.execute(
                "INSERT INTO floor (msg_id, sender, body, at) VALUES (?, ?, ?, ?)",
                (f"m{i}", "wxid_1", "今天的新品体验怎么样？", "2026-12-01 00:00:00"),
            )
            await db.execute("COMMIT")
        return (time.perf_counter() - started) / N * 1000


async def floor_postgres(dsn: str) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(FLOOR_TABLE.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
        started = time.perf_counter()
        for i in range(N):
            await conn.execute(
                "INSERT INTO floor (msg_id, sender, body, at) VALUES ($1, $2, $3, $4)",
                f"m{i}",
                "wxid_1",
                "今天的新品体验怎么样？",
                "2026-12-01 00:00:00",
            )
        return (time.perf_counter() - started) / N * 1000
    finally:
        await conn.close()


def _report(name: str, figures: dict[str, float], floor_ms: float) -> None:
    ratio = figures["per_message_ms"] / floor_ms
    print(
        f"{name}: medians of {ROUNDS} alternating rounds of {N} messages: "
        f"{figures['rate']:.0f} msg/s, {figures['per_message_ms']:.3f} ms/msg; "
        f"latency p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms (target < 10 ms)"
    )
    print(
        f"{name}: floor (plain insert + commit, same driver) {floor_ms:.3f} ms/msg; "
        f"pipeline/floor = {ratio:.2f}x (target <= 2x on SQLite)"
    )


def _median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


async def bench_sqlite() -> None:
    floors, runs = [], []
    for round_ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            floors.append(await floor_sqlite(Path(tmp) / f"floor{round_}.db"))
            runs.append(await run_pipeline(f"sqlite+aiosqlite:///{tmp}/kocbot.db", Path(tmp)))
    _report("sqlite", _median_figures(runs), statistics.median(floors))


async def bench_postgres() -> None:
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=2)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"postgresql: skipped ({exc})")
        return
    try:
        floors, runs = [], []
        for _ in range(ROUNDS):
            floor_ms, figures = await _postgres_round(admin)
            floors.append(floor_ms)
            runs.append(figures)
        _report("postgresql", _median_figures(runs), statistics.median(floors))
    finally:
        await admin.close()


async def _postgres_round(admin: asyncpg.Connection) -> tuple[float, dict[str, float]]:
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade

    name = f"kocbot_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        floor_ms = await floor_postgres(f"postgresql://postgres@127.0.0.1:5432/{name}")
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        with tempfile.TemporaryDirectory() as tmp:
            return floor_ms, await run_pipeline(url, Path(tmp))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main() -> None:
    await bench_sqlite()
    await bench_postgres()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of the benchmark process): {peak_mb:.0f} MB")
