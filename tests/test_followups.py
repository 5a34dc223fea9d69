"""Follow-ups (ctx.later): work after the transaction, written in a transaction of its own, in order."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import OperationalError

from bot.context import Context
from bot.followups import FollowUps
from bot.scheduling.jobs import system_actor
from bot.uow import UnitOfWork


async def _later(app, *steps, commit: bool = True) -> None:
    """Start follow-ups from a transaction of their own (as a job would)."""
    async with UnitOfWork(app.database, app.clock) as uow:
        ctx = Context(app.services, uow, None, system_actor(app.services), None)
        for work, then, name in steps:
            ctx.later(work, then, name)
        if commit:
            await uow.commit()


async def test_follow_ups_of_one_conversation_write_in_the_order_they_started(app) -> None:
    written: list[str] = []
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "first"

    async def quick() -> str:
        return "second"

    async def then(ctx: Context, result: str) -> None:
        written.append(result)

    await _later(app, (slow, then, "slow"), (quick, then, "quick"))
    for _ in range(20):  # the quick one's work is done; its write waits for the slow one's
        await asyncio.sleep(0)
    assert (written, app.services.followups.pending) == ([], 2)
    release.set()
    await app.services.followups.drain()
    assert written == ["first", "second"]


async def test_nothing_follows_a_transaction_that_rolled_back(app) -> None:
    started: list[str] = []

    async def work() -> str:
        started.append("work")
        return ""

    async def then(ctx: Context, result: str) -> None:
        started.append("then")

    await _later(app, (work, then, "never"), commit=False)
    await app.services.followups.drain()
    assert (started, app.services.followups.pending) == ([], 0)


async def test_work_that_fails_is_logged_and_its_step_skipped(app, caplog) -> None:
    called: list[object] = []

    async def work() -> str:
        raise RuntimeError("broken")

    async def then(ctx: Context, result: str) -> None:
        called.append(result)

    with caplog.at_level(logging.ERROR):
        await _later(app, (work, then, "broken work"))
        await app.services.followups.drain()
    assert called == []
    assert any("broken work" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_a_follow_up_waits_out_a_database_outage(app, monkeypatch) -> None:
    written: list[str] = []
    real = FollowUps._write
    outages = [OperationalError("INSERT", {}, ConnectionRefusedError("the database is down"))]

    async def flaky(self, follow_up, outcome) -> None:
        if outages:
            raise outages.pop()
        await real(self, follow_up, outcome)

    async def work() -> str:
        return "kept"

    async def then(ctx: Context, result: str) -> None:
        written.append(result)

    monkeypatch.setattr(FollowUps, "_write", flaky)
    await _later(app, (work, then, "outage"))
    await app.services.followups.drain()
    assert (written, outages) == (["kept"], [])
