"""Heavy work handed off (bot.heavy): answered in order, the chat served meanwhile, failures told, restarts survived.

A test capability's heavy work waits on a gate the test opens (a handshake, not timing): while it
waits, the tests check what the rest of the bot can do.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import FakeClock
from bot.commands import Invocation
from bot.config import CoreSettings
from bot.context import Context
from bot.db import schema
from bot.db.engine import Writes, create_engine
from bot.errors import UserFacingError
from bot.events import OutgoingMessage
from bot.heavy.spec import Work
from bot.registry import HandlerRegistry
from bot.scheduling.jobs import JobRun
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES
from tests.conftest import START
from tests.support import TEST_TEMPLATES, describe, make_message, rows


class Gate:
    """The handshake between a test and the heavy-work thread."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.seen: list[tuple[str, str]] = []  # the requests the work saw on its own connection
        self.fail_prepare = False


GATE = Gate()


async def _ask(ctx: Context, cmd: Invocation) -> None:
    how = cmd.args[0] if cmd.args else ""
    await ctx.hand_off("slow, limited" if how == "hang" else "slow", how=how)


async def _compute(work: Work) -> dict[str, Any]:
    how = work.params["how"]
    if how == "fail":
        raise RuntimeError("a bug in heavy work")
    if how == "refuse":
        raise UserFacingError("core/problem_needs_mention")
    if how == "hang":
        await asyncio.Event().wait()  # until the time bound cancels it
    if how == "wait":
        t = schema.heavy_requests
        GATE.seen = [(r.work, r.status) for r in await work.db.execute(select(t.c.work, t.c.status))]
        GATE.started.set()
        await asyncio.to_thread(GATE.release.wait, 60)
    return {"answer": 42}


async def _deliver(ctx: Context, result: dict[str, Any]) -> None:
    await ctx.reply("testing/slow_done", answer=result["answer"])


async def _count_messages(work: Work) -> int:
    """A scheduled job's heavy part: waits at the gate, then reads on its own connection."""
    if GATE.fail_prepare:
        raise RuntimeError("a bug in a job's heavy part")
    GATE.started.set()
    await asyncio.to_thread(GATE.release.wait, 60)
    return int((await work.db.execute(select(func.count()).select_from(schema.messages))).scalar_one())


async def post_count(run: JobRun) -> None:
    ctx = run.context()
    room = await ctx.services.directory.ensure_community(ctx.uow, "playground", "", ctx.now)
    await ctx.post(room, "testing/slow_done", answer=run.prepared, dedupe_key=f"slow:{run.run_time}")


testing = HandlerRegistry("testing")  # usage lines in tests/templates/<locale>/testing/
testing.command("slow")(_ask)
testing.heavy("slow", compute=_compute, deliver=_deliver, in_process=False, private=False)
testing.heavy("slow, limited", compute=_compute, deliver=_deliver, in_process=False, private=False, timeout_seconds=0.2)
testing.scheduled_job("slow_count", cron="0 12 * * *", prepare=_count_messages, prepare_in_process=False)(post_count)


class WatchedTransport(InMemoryTransport):
    """Lets a test wait for a message to go out, without sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> str:
        sent = await super().send(message)
        self.changed.set()
        return sent

    async def until_sent(self, wanted: Callable[[OutgoingMessage], bool]) -> None:
        async with asyncio.timeout(30):
            while not any(wanted(m) for m in self.sent):
                self.changed.clear()
                await self.changed.wait()

    def said(self) -> list[str]:
        return [describe(m) for m in self.take()]


@pytest.fixture
def registries() -> tuple:
    return (*REGISTRIES, testing)


@pytest.fixture
def settings_overrides() -> dict:
    return {"bot": {"templates_dir": str(TEST_TEMPLATES)}, "heavy": {"processes": 0}}


@pytest.fixture
def transport() -> WatchedTransport:
    return WatchedTransport()


@pytest.fixture(autouse=True)
def _gate() -> Any:
    global GATE
    GATE = Gate()
    yield
    GATE.release.set()  # nothing is left waiting on it


async def _until_started() -> None:
    assert await asyncio.to_thread(GATE.started.wait, 30), "the heavy work did not start"


async def _started(settings: CoreSettings, clock: FakeClock, transport: InMemoryTransport, registries: tuple) -> App:
    app = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await app.start()
    return app


async def test_the_answer_is_written_when_the_result_is_ready(app: App, transport: WatchedTransport) -> None:
    transport.inject(make_message("/slow", "alice"))
    await app.drain()
    assert transport.said() == ["[playground] @alice 算好了：42"]
    [request] = await rows(app, schema.heavy_requests)
    [asked] = await rows(app, schema.messages, schema.messages.c.text == "/slow")
    assert (request.work, request.status, request.attempts, request.message_id) == ("slow", "done", 1, asked.id)
    [reply] = await rows(app, schema.outbox)
    assert reply.in_reply_to == asked.id and reply.delivery == "reply"


async def test_other_rooms_are_answered_while_heavy_work_runs(app: App, transport: WatchedTransport) -> None:
    transport.inject(make_message("/slow wait", "alice"))
    draining = asyncio.create_task(app.drain())
    await _until_started()
    # The asking message committed with the request before the work began: the work read it on its own connection.
    assert GATE.seen == [("slow", "pending")]
    transport.inject(make_message("/ping", "bob", room="other"))
    await transport.until_sent(lambda m: m.room_id == "other")
    assert transport.said() == ["[other] @bob 我在呢，一切正常。"]
    # No write lock is held while it works: a transaction of our own commits at once.
    async with asyncio.timeout(5), app.database.write_transaction() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id == "bob").values(locale="en"))
    GATE.release.set()
    await draining
    assert transport.said() == ["[playground] @alice 算好了：42"]


async def test_a_failure_in_heavy_work_is_apologised_for_and_logged(
    app: App, transport: WatchedTransport, caplog: pytest.LogCaptureFixture
) -> None:
    transport.inject(make_message("/slow fail", "alice"))
    await app.drain()
    assert transport.said() == [
        "[playground] @alice 抱歉，这次没能做完：处理时出了问题，已经记录下来。请稍后再试一次。"
    ]
    assert "a bug in heavy work" in caplog.text and "Traceback" in caplog.text
    assert [r.status for r in await rows(app, schema.heavy_requests)] == ["failed"]


async def test_heavy_work_beyond_its_time_is_stopped_and_apologised_for(app: App, transport: WatchedTransport) -> None:
    transport.inject(make_message("/slow hang", "alice"))
    await app.drain()
    assert transport.said() == [
        "[playground] @alice 抱歉，这次处理超过了 0.2 秒的时限，已经停下了。请稍后再试，或者把范围缩小一些（例如少选几个群、短一点的时间段）。"
    ]
    assert [r.status for r in await rows(app, schema.heavy_requests)] == ["timed_out"]
    transport.inject(make_message("/slow", "alice"))  # the worker is free again
    await app.drain()
    assert transport.said() == ["[playground] @alice 算好了：42"]


async def test_heavy_work_may_refuse_with_a_reason(app: App, transport: WatchedTransport) -> None:
    transport.inject(make_message("/slow refuse", "alice"))
    await app.drain()
    assert transport.said() == ["[playground] @alice 请 @ 一下你要设置的成员。"]
    assert [r.status for r in await rows(app, schema.heavy_requests)] == ["refused"]


async def _interrupted(
    settings: CoreSettings, clock: FakeClock, transport: WatchedTransport, registries: tuple
) -> None:
    """Ask, and stop the bot while the work runs, as a restart would."""
    first = await _started(settings, clock, transport, registries)
    transport.inject(make_message("/slow wait", "alice"))
    await first.pipeline.drain()  # the message and its request committed; the work starts
    await _until_started()
    await first.close()
    assert transport.said() == []


async def test_a_request_interrupted_by_a_restart_is_resumed(
    settings: CoreSettings, clock: FakeClock, transport: WatchedTransport, registries: tuple
) -> None:
    await _interrupted(settings, clock, transport, registries)
    GATE.release.set()
    second = await _started(settings, clock, transport, registries)
    try:
        await second.drain()
        assert transport.said() == ["[playground] @alice 算好了：42"]
        [request] = await rows(second, schema.heavy_requests)
        assert (request.status, request.attempts) == ("done", 2)
    finally:
        await second.close()


async def test_a_request_interrupted_too_often_is_answered_with_an_apology(
    settings: CoreSettings, clock: FakeClock, transport: WatchedTransport, registries: tuple
) -> None:
    await _interrupted(settings, clock, transport, registries)
    engine = create_engine(settings.database_url())
    async with Writes(engine).write_transaction() as conn:  # as if it had been resumed and interrupted again
        await conn.execute(update(schema.heavy_requests).values(attempts=settings.heavy.resume_attempts))
    await engine.dispose()
    second = await _started(settings, clock, transport, registries)
    try:
        await second.drain()
        assert transport.said() == [
            "[playground] @alice 抱歉，你之前发的「/slow wait」处理到一半时机器人重启了，试了几次都没能做完。请再发一次。"
        ]
        assert [r.status for r in await rows(second, schema.heavy_requests)] == ["abandoned"]
    finally:
        await second.close()


async def test_a_long_wait_is_acknowledged_in_real_time(
    settings: CoreSettings, transport: WatchedTransport, registries: tuple
) -> None:
    quick = settings.heavy.model_copy(update={"acknowledge_after_seconds": 0.01})
    live = FakeClock(wall=lambda: START)  # not set: real time, as in production (pinned to a date)
    app = await _started(settings.model_copy(update={"heavy": quick}), live, transport, registries)
    try:
        transport.inject(make_message("/slow wait", "alice"))
        draining = asyncio.create_task(app.drain())
        await transport.until_sent(lambda m: True)
        assert transport.said() == ["[playground] @alice 正在处理，请稍候……结果出来后会马上发给你。"]
        GATE.release.set()
        await draining
        assert transport.said() == ["[playground] @alice 算好了：42"]
        [request] = await rows(app, schema.heavy_requests)
        assert request.acknowledged_at is not None and request.status == "done"
    finally:
        await app.close()


NOON = START + timedelta(hours=3)  # 12:00 in Shanghai


async def test_a_scheduled_jobs_heavy_part_runs_before_its_short_transaction(
    app: App, transport: WatchedTransport
) -> None:
    advancing = asyncio.create_task(app.advance_to(NOON + timedelta(minutes=1)))
    await _until_started()
    # While it computes, nothing of the run is recorded, and the chat is answered.
    assert [r for r in await rows(app, schema.scheduled_runs) if r.job_id == "builtin:slow_count"] == []
    transport.inject(make_message("/ping", "bob", room="other"))
    await transport.until_sent(lambda m: m.room_id == "other")
    assert transport.said() == ["[other] @bob 我在呢，一切正常。"]
    GATE.release.set()
    await advancing
    assert transport.said() == ["[playground] 算好了：1"]  # the ping, read once it had committed
    [run] = [r for r in await rows(app, schema.scheduled_runs) if r.job_id == "builtin:slow_count"]
    assert (run.run_time, run.outcome) == (NOON, "done")
    [post] = await rows(app, schema.outbox, schema.outbox.c.dedupe_key.startswith("slow:"))
    assert post.status == "sent"


async def test_a_scheduled_jobs_heavy_part_that_fails_is_recorded_and_told(
    app: App, transport: WatchedTransport
) -> None:
    GATE.fail_prepare = True
    await app.advance_to(NOON + timedelta(minutes=1))
    told = transport.said()
    assert told and all(
        line.startswith(
            ("[dm admin] 【定时任务出错】定时任务「slow_count」", "[dm mod] 【定时任务出错】定时任务「slow_count」")
        )
        for line in told
    )
    [run] = [r for r in await rows(app, schema.scheduled_runs) if r.job_id == "builtin:slow_count"]
    assert run.outcome == "failed"


def test_the_bots_heavy_work_is_declared_so() -> None:
    """What measures a campaign or a month is handed off, and the jobs that do compute first."""
    handed_off = {spec.name for registry in REGISTRIES for spec in registry.heavy_work}
    assert handed_off == {
        "campaign ignition",
        "campaign report",
        "monthly report",
        "privacy export",
        "outreach dry run",
        "outreach send",
    }
    prepared = {spec.name for registry in REGISTRIES for spec in registry.jobs if spec.prepare is not None}
    assert prepared == {"campaign_rewards", "monthly_report"}
