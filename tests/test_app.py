"""The app's two modes: driven (travelled time, explicit draining) and real time (background loops)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import SystemClock
from bot.db import schema
from bot.maintenance import RetentionPruner
from bot.outbox import Draft
from bot.registry import HandlerRegistry
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES
from tests.support import Chat, enqueue, make_message, rows


@pytest.fixture
def settings_overrides() -> dict:
    # The moderators' monthly report (on each 1st) would stay in the outbox: not what these tests count.
    return {
        "database": {"message_retention_days": 30},
        "outbox": {"jitter_ratio": 0},
        "scheduler": {"jobs": {"monthly_report": {"enabled": False}}},
    }


async def test_travelling_in_time_does_what_falls_due_in_order(app: App, transport, clock) -> None:
    start = clock.now()
    async with app.engine.begin() as conn:
        await enqueue(
            conn,
            Draft("in two hours", "t", "zh_CN", room_id="r", not_before=start + timedelta(hours=2)),
            start,
            app.database.addressing,
        )
        await enqueue(
            conn,
            Draft("in one hour", "t", "zh_CN", room_id="r", not_before=start + timedelta(hours=1)),
            start,
            app.database.addressing,
        )
    sent_at: list[tuple[str, object]] = []
    original = transport.send

    async def recording(message):
        sent_at.append((message.text, clock.now() - start))
        return await original(message)

    transport.send = recording
    await app.advance_to(start + timedelta(minutes=59))
    assert sent_at == []
    await app.advance_to(start + timedelta(days=1))
    assert sent_at == [("in one hour", timedelta(hours=1)), ("in two hours", timedelta(hours=2))]
    assert clock.now() == start + timedelta(days=1)


async def test_the_message_log_keeps_only_the_retention(chat: Chat, app: App, clock) -> None:
    await chat.say("alice", "/ping")
    await app.advance_to(clock.now() + timedelta(days=20))
    await chat.say("bob", "still fresh")
    await app.advance_to(clock.now() + timedelta(days=15))  # /ping is now 35 days old
    assert [m.text for m in await rows(app, schema.messages)] == ["still fresh"]
    assert await rows(app, schema.outbox) == []  # its delivered reply went with it


async def test_retention_zero_keeps_everything(app: App) -> None:
    pruner = RetentionPruner(app.database, app.clock, 0)
    assert await pruner.next_due() is None


async def test_the_real_time_loops_answer_without_being_driven(settings) -> None:
    transport = InMemoryTransport()
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    try:
        for _ in range(100):
            if transport._sink is not None:
                break
            await asyncio.sleep(0.01)
        transport.inject(make_message("/ping", "alice"))
        for _ in range(500):
            if transport.sent:
                break
            await asyncio.sleep(0.01)
        assert [m.text for m in transport.sent] == ["@alice 我在呢，一切正常。"]
    finally:
        app.stop()
        await asyncio.wait_for(running, 10)
        await app.close()


async def test_stopping_processes_what_was_received_and_keeps_unsent_replies(settings) -> None:
    transport = InMemoryTransport()
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    for _ in range(100):
        if transport._sink is not None:
            break
        await asyncio.sleep(0.01)
    transport.inject(make_message("/ping", "bob"))
    app.stop()  # before the pipeline has even looked at the message
    await asyncio.wait_for(running, 10)
    assert transport._sink is None  # intake stopped
    [logged] = await rows(app, schema.messages)
    assert logged.text == "/ping"
    statuses = [r.status for r in await rows(app, schema.outbox)]
    assert statuses in (["pending"], ["sent"])  # answered now or at the next start, never lost
    await app.close()


async def test_start_hooks_run_in_the_background_and_a_failure_is_only_logged(
    settings, clock, caplog: pytest.LogCaptureFixture
) -> None:
    release = asyncio.Event()
    seen: list[bool | str] = []
    extra = HandlerRegistry("warm")

    @extra.on_start
    async def slow(engine, services) -> None:
        seen.append(services.settings is settings)
        await release.wait()  # the bot serves messages meanwhile
        seen.append("done")

    @extra.on_start
    async def broken(engine, services) -> None:
        raise RuntimeError("no dictionary")

    transport = InMemoryTransport()
    app = await open_app(settings, transport=transport, registries=(*REGISTRIES, extra), clock=clock)
    await app.start()
    try:
        assert await Chat(app, transport).say("alice", "/ping") != []
        assert seen == [True]
        release.set()
        await app.start_work_done()
        assert seen == [True, "done"]
        assert "start-up work" in caplog.text and "no dictionary" in caplog.text
    finally:
        await app.close()


async def test_unfinished_start_work_is_cancelled_when_the_bot_stops(settings, clock) -> None:
    extra, cancelled = HandlerRegistry("warm"), []

    @extra.on_start
    async def never(engine, services) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    app = await open_app(settings, transport=InMemoryTransport(), registries=(*REGISTRIES, extra), clock=clock)
    await app.start()
    await asyncio.sleep(0)  # let it begin
    await app.close()
    assert cancelled == [True]
