"""Several processes on one PostgreSQL: exactly one runs the scheduler, and when it dies another takes over.

Two real bot processes (`python -m tests.test_scheduler_takeover URL ACCOUNT`) share a fresh
database holding a dozen one-off jobs a second apart. The first leads; it is killed with
SIGKILL halfway; the second takes over within `scheduler.takeover_seconds` and runs the rest.
Every job has run exactly once (its outbox row is written in the run's transaction).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PG_HOST, PG_PORT, _admin, _pg_reachable
from tests.support import PROJECT

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
JOBS = 12
TAKEOVER_SECONDS = 0.5


async def mark(run, number: int) -> None:
    """The jobs' function: one outbox row naming the job and the account that ran it."""
    from bot.db.schema import Delivery
    from bot.outbox import Draft

    if run.run_time is not None:
        account = run.services.settings.bot.account
        run.uow.send(Draft(f"{number} {account}", "test", "zh_CN", room_id="playground", delivery=Delivery.URGENT))


async def _child(url: str, account: str) -> None:
    from bot.bootstrap import open_app
    from bot.config import load_settings
    from bot.transports.memory import InMemoryTransport
    from handlers import REGISTRIES, config_sections

    settings = load_settings(
        environ={},
        capability_sections=config_sections(),
        overrides={
            "database": {"url": url},
            "bot": {"account": account},
            "scheduler": {"takeover_seconds": TAKEOVER_SECONDS},
            "delivery": {"quiet_hours": ""},
        },
    )
    app = await open_app(settings, transport=InMemoryTransport(), registries=REGISTRIES)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, app.stop)
    try:
        await app.run_forever()
    finally:
        await app.close()


async def _prepare(url: str, start: datetime) -> None:
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade
    from bot.scheduling.scheduler import schedule_job
    from bot.scheduling.triggers import once_trigger

    engine = create_engine(url)
    await upgrade(engine)
    async with engine.begin() as conn:
        for number in range(JOBS):
            when = start + timedelta(seconds=number)
            await schedule_job(
                conn, f"test:{number}", mark, once_trigger(when), now=start - timedelta(seconds=1), args=(number,)
            )
    await engine.dispose()


async def _results(url: str) -> tuple[list[str], list[tuple[str, str]]]:
    from bot.db import schema
    from bot.db.engine import create_engine

    engine = create_engine(url)
    async with engine.connect() as conn:
        texts = list(
            (
                await conn.execute(
                    select(schema.outbox.c.text).where(schema.outbox.c.template == "test").order_by(schema.outbox.c.id)
                )
            ).scalars()
        )
        runs = [(r.job_id, r.outcome) for r in await conn.execute(select(schema.scheduled_runs))]
    await engine.dispose()
    return texts, runs


def _spawn(url: str, account: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.test_scheduler_takeover", url, account],
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


LEAD_SECONDS = 12


def _wait_for(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:.0f} s for: {what}")
        time.sleep(0.05)


async def _leaders(database: str) -> int:
    """How many sessions hold an advisory lock in `database` (the scheduler's leadership)."""
    from sqlalchemy import text

    from bot.db.engine import create_engine

    engine = create_engine(f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/postgres")
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = :name"
            ),
            {"name": database},
        )
        count = int(found.scalar_one())
    await engine.dispose()
    return count


def test_a_standby_takes_over_the_scheduler_when_its_process_dies() -> None:
    if not _pg_reachable():
        pytest.skip("PostgreSQL is not reachable")
    name = f"kocbot_takeover_{uuid.uuid4().hex[:10]}"
    url = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    processes: list[subprocess.Popen] = []
    try:
        # Far enough ahead for a slow start on a loaded machine; each step below waits for what it needs.
        start = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        asyncio.run(_prepare(url, start))
        leader = _spawn(url, "first")
        processes.append(leader)
        _wait_for(lambda: asyncio.run(_leaders(name)) == 1, "the first process leads")
        standby = _spawn(url, "second")
        processes.append(standby)
        halfway = JOBS // 2 - 1
        _wait_for(
            lambda: f"{halfway} first" in asyncio.run(_results(url))[0], f"job {halfway} ran", LEAD_SECONDS + JOBS
        )
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        deadline = time.monotonic() + JOBS + 15
        while time.monotonic() < deadline:
            texts, _ = asyncio.run(_results(url))
            if len(texts) >= JOBS:
                break
            time.sleep(0.3)
        time.sleep(1.0)  # anything that would run twice has had time to
        standby.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=20) == 0, standby.stderr.read().decode()[-3000:] if standby.stderr else ""
        texts, runs = asyncio.run(_results(url))
        numbers = Counter(int(text.split()[0]) for text in texts)
        assert numbers == Counter(range(JOBS)), texts  # every job exactly once
        by = {int(text.split()[0]): text.split()[1] for text in texts}
        assert by[0] == "first" and by[JOBS - 1] == "second", by
        assert sorted(runs) == sorted((f"test:{n}", "done") for n in range(JOBS))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(_child(sys.argv[1], sys.argv[2]))
