"""The worker processes: a hard time limit (killed and replaced), a memory cap, the event loop free meanwhile,
and nothing of the bot's secrets in them."""

from __future__ import annotations

import asyncio
import os

import pytest

from bot.sandbox.engine import RenderRequest, render_request
from bot.sandbox.limits import Limits
from bot.workers import WorkerPool, WorkFailed, WorkOutOfMemory, WorkTimedOut
from handlers.outreach.sandbox import VOCABULARY, member_view

PRELOAD = ("bot.sandbox.engine",)


def _request(source: str, steps: int = 10**12) -> RenderRequest:
    return RenderRequest(source, {"member": member_view("bob", 3, ())}, VOCABULARY, Limits(steps=steps))


RUNAWAY = "{% for i in range(10**11) %}{% endfor %}"  # allowed by these loose limits: runs for hours


async def test_a_runaway_render_is_killed_at_its_time_limit_and_its_worker_replaced() -> None:
    pool = WorkerPool(processes=1, memory_mb=256, preload=PRELOAD)
    try:
        assert (await pool.run(render_request, _request("hi {{ member }}"), seconds=30)).text == "hi bob"
        with pytest.raises(WorkTimedOut) as stopped:
            await pool.run(render_request, _request(RUNAWAY), seconds=0.3)
        assert stopped.value.seconds == 0.3
        assert (await pool.run(render_request, _request("again {{ member }}"), seconds=30)).text == "again bob"
        assert pool.started == 2
    finally:
        await pool.close()


async def test_the_event_loop_runs_while_a_worker_renders() -> None:
    """No timing: the render cannot finish (hours of loop), and the loop is shown to run meanwhile."""
    pool = WorkerPool(processes=1, memory_mb=256, preload=PRELOAD)
    rendering = asyncio.create_task(pool.run(render_request, _request(RUNAWAY), seconds=600))
    try:
        await pool.dispatched()  # the worker has it
        ticks = 0
        for _ in range(100):
            await asyncio.sleep(0)
            ticks += 1
        assert (ticks, pool.busy, rendering.done()) == (100, 1, False)
    finally:
        rendering.cancel()
        with pytest.raises(asyncio.CancelledError):
            await rendering  # the worker is killed, not left running
        await pool.close()
    assert pool.busy == 0


async def test_a_render_that_asks_for_too_much_memory_is_stopped() -> None:
    pool = WorkerPool(processes=1, memory_mb=64, preload=PRELOAD)
    try:
        with pytest.raises(WorkOutOfMemory):
            await pool.run(render_request, _request("{{ (range(10**8)|list)|length }}"), seconds=60)
        assert (await pool.run(render_request, _request("{{ member }}"), seconds=30)).text == "bob"
        assert pool.started == 2
    finally:
        await pool.close()


async def test_a_closed_pool_refuses_work_and_errors_come_back_as_they_are() -> None:
    pool = WorkerPool(processes=1, memory_mb=0, preload=PRELOAD)
    with pytest.raises(ZeroDivisionError):
        await pool.run(divmod, 1, 0, seconds=30)
    await pool.close()
    with pytest.raises(WorkFailed):
        await pool.run(divmod, 1, 1, seconds=30)


async def test_a_worker_gets_no_secrets_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("KOCBOT_WECHATY__TOKEN", "puppet_secret")
    monkeypatch.setenv("KOCBOT_DATABASE__URL", "postgresql+asyncpg://bot:password@db/kocbot")
    pool = WorkerPool(processes=1, memory_mb=0, preload=PRELOAD)
    try:
        assert await pool.run(os.getenv, "KOCBOT_WECHATY__TOKEN", seconds=30) is None
        assert await pool.run(os.getenv, "KOCBOT_DATABASE__URL", seconds=30) is None
        assert await pool.run(os.getenv, "PATH", seconds=30) == os.environ["PATH"]
    finally:
        await pool.close()
