"""The scheduler: built-in jobs on cron, exactly once per run, misfires after downtime, failures, leadership."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.bootstrap import open_app
from bot.db import schema
from bot.errors import ConfigError
from bot.registry import HandlerRegistry
from bot.scheduling.jobs import JobRun
from bot.scheduling.leader import Leadership
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.triggers import cron_problem, cron_trigger
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUNS: list[tuple[datetime, timedelta]] = []
FAIL: list[bool] = []

extra = HandlerRegistry("testing")


@extra.scheduled_job("tick", cron="0 10 * * *")
async def tick(run: JobRun) -> None:
    """Tells every moderator (so the effect is visible) and notes the run."""
    if run.run_time is None:
        return
    ctx = run.context()
    for member in await ctx.services.directory.staff(ctx.db):
        await ctx.dm(member, "core/pong", urgent=True)
    if FAIL:
        raise RuntimeError("the job broke")
    RUNS.append((run.run_time.astimezone(SHANGHAI), run.late))


@pytest.fixture
def registries() -> tuple:
    return (*REGISTRIES, extra)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    RUNS.clear()
    FAIL.clear()


async def ping_staff(run: JobRun) -> None:
    """A one-off job for the real-time test: every moderator gets a pong."""
    ctx = run.context()
    for member in await ctx.services.directory.staff(ctx.db):
        await ctx.dm(member, "core/pong", urgent=True)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def _scheduler(app) -> Scheduler:
    return next(source for source in app.due_sources if isinstance(source, Scheduler))


async def _restart(app, settings, clock, registries, when: datetime):
    """Stop the bot, let time pass while it is down, start it again."""
    await app.close()
    clock.set(when)
    again = await open_app(settings, transport=InMemoryTransport(), registries=registries, clock=clock)
    await again.start()
    await again.drain()
    return again


async def test_a_job_runs_once_at_each_of_its_times(chat: Chat, app) -> None:
    await app.advance_to(_at(3, 12))
    assert [(_at(1, 10), timedelta(0)), (_at(2, 10), timedelta(0)), (_at(3, 10), timedelta(0))] == RUNS
    sent = chat.transport.take()
    assert sorted(m.contact_id or "" for m in sent) == ["admin", "admin", "admin", "mod", "mod", "mod"]
    await app.drain()  # asking again changes nothing
    assert len(RUNS) == 3 and chat.transport.take() == []
    runs = await rows(app, schema.scheduled_runs, schema.scheduled_runs.c.job_id == "builtin:tick")
    assert [r.outcome for r in runs] == ["done"] * 3


async def test_days_travelled_are_no_reason_to_look_at_the_lock_again(app, monkeypatch) -> None:
    """The lock is kept or lost in real time: three days of runs in a moment ask for it once, not at each run."""
    scheduler = _scheduler(app)
    asked: list[bool] = []
    ensure = scheduler._leadership.ensure

    async def counted() -> bool:
        asked.append(await ensure())
        return asked[-1]

    monkeypatch.setattr(scheduler._leadership, "ensure", counted)
    monkeypatch.setattr(scheduler, "_checked_real", None)  # as if the last look were long ago
    monkeypatch.setattr(scheduler, "_takeover", timedelta(hours=1))  # however slow the machine: an hour
    await app.advance_to(_at(3, 12))
    assert len(RUNS) == 3 and asked == [True]


async def test_a_run_missed_by_less_than_the_grace_time_goes_out_once_late(app, settings, clock, registries) -> None:
    await app.advance_to(_at(1, 9, 50))
    again = await _restart(app, settings, clock, registries, _at(1, 10, 40))  # down from 09:50 to 10:40
    try:
        assert [(_at(1, 10), timedelta(minutes=40))] == RUNS
        assert sorted(m.contact_id or "" for m in again.transport.take()) == ["admin", "mod"]
        await again.advance_to(_at(2, 10, 5))
        assert RUNS[1:] == [(_at(2, 10), timedelta(0))]
    finally:
        await again.close()


async def test_runs_missed_beyond_the_grace_time_are_skipped_and_the_moderators_told(
    app, settings, clock, registries
) -> None:
    await app.advance_to(_at(1, 9, 50))
    again = await _restart(app, settings, clock, registries, _at(3, 11, 30))  # down for two days
    try:
        assert RUNS == []
        told = sorted((m.contact_id, m.text) for m in again.transport.take())
        assert told == [
            (
                staff,
                "【定时任务未执行】定时任务「tick」原定 2026-12-03 10:00 执行，但机器人当时不在线，超过了补发时限"
                "（60 分钟），这 3 次都已跳过，不会再补发。",
            )
            for staff in ("admin", "mod")
        ]
        await again.drain()
        assert again.transport.take() == []  # told once
        await again.advance_to(_at(4, 10, 1))
        assert [(_at(4, 10), timedelta(0))] == RUNS
        outcomes = [
            r.outcome
            for r in await rows(again, schema.scheduled_runs, schema.scheduled_runs.c.job_id == "builtin:tick")
        ]
        assert outcomes == ["skipped", "done"]
    finally:
        await again.close()


@pytest.mark.parametrize("settings_overrides", [{"scheduler": {"misfire_grace_minutes": 0}}])
async def test_the_grace_time_is_configurable(app, settings, clock, registries) -> None:
    await app.advance_to(_at(1, 9, 50))
    again = await _restart(app, settings, clock, registries, _at(1, 10, 1))
    try:
        assert RUNS == []
        assert len(again.transport.take()) == 2  # the moderators are told
    finally:
        await again.close()


async def test_a_crash_after_the_run_before_the_job_moved_on_repeats_nothing(chat: Chat, app) -> None:
    await app.advance_to(_at(1, 10, 1))
    assert len(RUNS) == 1 and len(chat.transport.take()) == 2
    # The run and its messages were committed, but the crash came before the job store was updated.
    stamp = _at(1, 10).timestamp()
    async with app.engine.begin() as conn:
        await conn.execute(
            update(schema.scheduler_jobs)
            .where(schema.scheduler_jobs.c.id == "builtin:tick")
            .values(next_run_time=stamp)
        )
    await app.drain()
    assert len(RUNS) == 1 and chat.transport.take() == []
    await app.advance_to(_at(2, 10, 1))
    assert len(RUNS) == 2


async def test_a_failing_job_sends_nothing_of_its_own_and_the_moderators_are_told(chat: Chat, app) -> None:
    FAIL.append(True)
    await app.advance_to(_at(1, 10, 1))
    told = sorted((m.contact_id, m.text) for m in chat.transport.take())
    assert told == [
        (
            staff,
            "【定时任务出错】定时任务「tick」（2026-12-01 10:00 这一次）执行时出错，本次没有发出任何消息。"
            "详情已写入日志，请联系管理员查看。",
        )
        for staff in ("admin", "mod")
    ]
    runs = await rows(app, schema.scheduled_runs, schema.scheduled_runs.c.job_id == "builtin:tick")
    assert [r.outcome for r in runs] == ["failed"]
    FAIL.clear()
    await app.advance_to(_at(2, 10, 1))
    assert [when for when, _ in RUNS] == [_at(2, 10)]


@pytest.mark.parametrize("settings_overrides", [{"scheduler": {"jobs": {"tick": {"cron": "30 8 * * 1-5"}}}}])
async def test_a_job_can_be_retimed_in_the_config(app) -> None:
    await app.advance_to(_at(7, 9))  # Tuesday 1st to Monday 7th
    assert [when for when, _ in RUNS] == [_at(day, 8, 30) for day in (2, 3, 4, 7)]


@pytest.mark.parametrize("settings_overrides", [{"scheduler": {"jobs": {"tick": {"enabled": False}}}}])
async def test_a_job_can_be_switched_off(app) -> None:
    await app.advance_to(_at(3, 12))
    assert RUNS == []
    ids = [r.id for r in await rows(app, schema.scheduler_jobs)]
    assert "builtin:tick" not in ids and "builtin:honour_roll" in ids


async def test_switching_a_job_off_later_removes_it(app, settings, clock, registries) -> None:
    await app.advance_to(_at(1, 9))
    off = settings.model_copy(
        update={"scheduler": settings.scheduler.model_copy(update={"jobs": {"tick": _job_section(enabled=False)}})}
    )
    again = await _restart(app, off, clock, registries, _at(1, 9, 1))
    try:
        await again.advance_to(_at(2, 12))
        assert RUNS == []
    finally:
        await again.close()


def _job_section(**values):
    from bot.config import JobSection

    return JobSection(**values)


async def test_an_unknown_job_in_the_config_is_refused(settings, clock, registries) -> None:
    wrong = settings.model_copy(
        update={"scheduler": settings.scheduler.model_copy(update={"jobs": {"honor_rol": _job_section(enabled=False)}})}
    )
    with pytest.raises(ConfigError, match=r"scheduler\.jobs\.honor_rol"):
        await open_app(wrong, transport=InMemoryTransport(), registries=registries, clock=clock)


def test_cron_weekdays_count_from_sunday_as_in_crontab() -> None:
    monday = datetime(2026, 12, 7, tzinfo=SHANGHAI)

    def days(expression: str) -> list[int]:
        trigger, when = cron_trigger(expression, SHANGHAI), monday
        found: list[int] = []
        for _ in range(7):
            when = trigger.get_next_fire_time(None if not found else when, when)
            found.append(when.isoweekday() % 7)
            when = when + timedelta(minutes=1)
        return sorted(set(found))

    assert days("0 10 * * 0") == days("0 10 * * 7") == days("0 10 * * sun") == [0]
    assert days("0 10 * * 1-5") == [1, 2, 3, 4, 5]
    assert days("0 10 * * */2") == [0, 2, 4, 6]
    assert days("0 10 * * 6,0") == [0, 6]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 10 * *", "needs 5 fields (minute hour day month weekday), got 4"),
        ("0 25 * * *", "hour: '25' is outside 0-23"),
        ("x 10 * * *", "minute: 'x' is not a number, '*', a range a-b or a step */n"),
        ("0 10 * * 8", "weekday: '8' is outside 0-7 (0 and 7 are Sunday) or runs backwards"),
        ("0 10 5-1 * *", "day: the range '5-1' runs backwards"),
        ("0 10 31 2 *", "it never fires"),
    ],
)
def test_bad_cron_expressions_say_what_is_wrong(expression: str, problem: str) -> None:
    assert cron_problem(expression) == problem


def test_a_bad_cron_in_the_config_is_one_clear_line() -> None:
    from bot.config import load_settings

    with pytest.raises(ConfigError, match=r"scheduler.jobs.tick.cron = '0 25 \* \* \*': expected a 5-field cron"):
        load_settings(environ={}, overrides={"scheduler": {"jobs": {"tick": {"cron": "0 25 * * *"}}}})


@pytest.mark.postgres
async def test_on_postgresql_one_process_leads_and_another_takes_over(pg_database: str) -> None:
    from bot.db.engine import create_engine

    first_engine, second_engine = create_engine(pg_database), create_engine(pg_database)
    first, second = Leadership(first_engine, "a"), Leadership(second_engine, "b")
    try:
        assert await first.ensure() is True
        assert await second.ensure() is False
        assert await first.ensure() is True  # keeps it
        await first.release()
        assert await second.ensure() is True
        assert await first.ensure() is False
    finally:
        await first.release()
        await second.release()
        await first_engine.dispose()
        await second_engine.dispose()


def test_on_sqlite_the_one_process_always_leads(tmp_path) -> None:
    import asyncio

    from bot.db.engine import create_engine

    async def check() -> bool:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        try:
            return await Leadership(engine, "main").ensure()
        finally:
            await engine.dispose()

    assert asyncio.run(check()) is True


async def test_in_real_time_a_job_scheduled_now_runs_without_waiting_for_the_idle_check(settings, registries) -> None:
    """The due loop looks at scheduled work at most every 30 s when idle; a new job tells it to look now."""
    import asyncio

    from bot.clock import SystemClock
    from bot.scheduling.scheduler import schedule_job
    from bot.scheduling.triggers import once_trigger
    from bot.uow import UnitOfWork

    transport = InMemoryTransport()
    app = await open_app(settings, transport=transport, registries=registries, clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    try:
        await asyncio.sleep(0.5)  # started, leading, idle
        async with UnitOfWork(app.database, app.clock) as uow:
            now = app.clock.now()
            await schedule_job(uow.conn, "test:ping", ping_staff, once_trigger(now + timedelta(seconds=0.3)), now=now)
            uow.after_commit(app.services.signals.notify_schedule_changed)  # as /announce does
            await uow.commit()
        for _ in range(300):
            if len(transport.sent) >= 2:
                break
            await asyncio.sleep(0.01)
        assert sorted(m.contact_id or "" for m in transport.sent) == ["admin", "mod"]
    finally:
        app.stop()
        await asyncio.wait_for(running, 10)
        await app.close()
