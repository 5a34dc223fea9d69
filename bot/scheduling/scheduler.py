"""The scheduler: APScheduler 3's job API and SQLAlchemy job store, run by the bot's due loop and clock.

Why not APScheduler's own timer loop: it reads the wall clock directly (so tests could
not travel in time) and it advances a job in the store *before* the job has run, so a
crash at the wrong moment loses that run. Here a run is recorded (`scheduled_runs`) in
the same transaction as everything the job does (the posts it enqueues, its state), and
the job is advanced in the store only afterwards. A crash in between repeats nothing: the
run is already recorded, so the job is only moved on.

A job's heavy work (`prepare`) is computed first, with no lock held (`bot.scheduling.prepared`).

Misfires after downtime: a run at most `scheduler.misfire_grace_minutes` late goes out
once, late (several such runs of one job are merged into one); runs later than that are
skipped, and the moderators are told once per job.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from apscheduler.executors.debug import DebugExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.util import datetime_to_utc_timestamp, obj_to_ref, ref_to_obj
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db import schema
from bot.db.commits import DUE_NEUTRAL
from bot.db.dialect import insert_for
from bot.db.schema import OutgoingKind
from bot.heavy.runner import HeavyRunner
from bot.scheduling.jobs import JobFunction, JobRun, JobSpec, scheduled
from bot.scheduling.leader import Leadership
from bot.scheduling.prepared import Preparations, Prepared, recorded
from bot.scheduling.triggers import cron_trigger
from bot.uow import Database, UnitOfWork

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.context import Context, Services

_LOGGER = logging.getLogger(__name__)
_JOBS = schema.scheduler_jobs
_RUNS = schema.scheduled_runs
MAX_RUN_TIMES = 100_000  # a minutely job down for two months; beyond, the rest are counted as missed
_JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def sync_engine_for(engine: AsyncEngine) -> Engine:
    """The same database for APScheduler's synchronous job store. Its commits (it commits its reads too)
    are the scheduler's own, made when it runs, starts or is rebased: not counted as changes that other
    due sources must look at again (bot.db.commits)."""
    url = engine.url
    neutral = {DUE_NEUTRAL: True}
    if url.get_backend_name() == "sqlite":
        # Its writes are serialised with ours by `Writes.exclusive`; the timeout is a safety net.
        return create_sync_engine(
            url.set(drivername="sqlite+pysqlite"), connect_args={"timeout": 30}, execution_options=neutral
        )
    return create_sync_engine(
        url.set(drivername="postgresql+psycopg"),
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=2,
        execution_options=neutral,
    )


class _Detached:
    """Stands in for a scheduler while a job is built only to be stored (APScheduler asks its time zone)."""

    timezone = UTC


def _job(
    job_id: str, func: JobFunction, trigger: BaseTrigger, args: Sequence[Any], name: str, next_run_time: datetime | None
) -> Job:
    return Job(
        _Detached(),
        id=job_id,
        func=scheduled,
        trigger=trigger,
        executor="default",
        args=(obj_to_ref(func), *args),
        kwargs={},
        name=name,
        next_run_time=next_run_time,
        **_JOB_DEFAULTS,
    )


async def schedule_job(
    conn: AsyncConnection,
    job_id: str,
    func: JobFunction,
    trigger: BaseTrigger,
    *,
    now: datetime,
    args: Sequence[Any] = (),
    name: str | None = None,
) -> datetime | None:
    """Write a job into the job store in the caller's transaction: it exists if, and only if, that
    commits (with the announcement it belongs to, say). Returns its first run time."""
    first: datetime | None = trigger.get_next_fire_time(None, now)
    job = _job(job_id, func, trigger, args, name or job_id, first)
    await conn.execute(
        insert(_JOBS).values(
            id=job_id,
            next_run_time=datetime_to_utc_timestamp(first),
            job_state=pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL),
        )
    )
    return first


async def unschedule_job(conn: AsyncConnection, job_id: str) -> bool:
    """Remove a job in the caller's transaction; False when there was none."""
    result = await conn.execute(delete(_JOBS).where(_JOBS.c.id == job_id))
    return bool(result.rowcount)


async def next_run_time(conn: AsyncConnection, job_id: str) -> datetime | None:
    """When a stored job runs next (None: not scheduled)."""
    stamp = (await conn.execute(select(_JOBS.c.next_run_time).where(_JOBS.c.id == job_id))).scalar_one_or_none()
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC)


@dataclass(frozen=True, slots=True)
class RunTimes:
    """A due job's scheduled times up to now, split by the grace time."""

    due: datetime | None  # the latest within the grace time: runs once for all of them
    missed: int  # how many are beyond it
    last_missed: datetime | None
    last: datetime  # the latest scheduled time up to now (the next one follows it)


def run_times(job: Job, now: datetime, grace: timedelta) -> RunTimes:
    due, missed, last_missed, last = None, 0, None, job.next_run_time
    when = job.next_run_time
    for _ in range(MAX_RUN_TIMES):
        if when is None or when > now:
            break
        last = when
        if now - when > grace:
            missed, last_missed = missed + 1, when
        else:
            due = when
        when = job.trigger.get_next_fire_time(when, now)
    return RunTimes(due, missed, last_missed, last)


class Scheduler(BaseScheduler):
    """APScheduler 3 (its job API, triggers and SQLAlchemy job store) as a due source of the app.

    Exactly one process runs it (see `Leadership`); every process may add or cancel jobs in
    its own transactions with `schedule_job` / `unschedule_job`.
    """

    name = "scheduler"

    def __init__(self, database: Database, services: Services, specs: Sequence[JobSpec], runner: HeavyRunner) -> None:
        super().__init__(timezone=UTC, executors={"default": DebugExecutor()}, job_defaults=dict(_JOB_DEFAULTS))
        self._database = database
        self._engine = engine = database.engine
        self._services = services
        self._specs = list(specs)
        self._quiet_misses = {spec.job_id for spec in specs if not spec.report_missed}
        self._store = SQLAlchemyJobStore(engine=sync_engine_for(engine), tablename=_JOBS.name)
        self.add_jobstore(self._store, "default")
        section = services.settings.scheduler
        self._grace = timedelta(minutes=section.misfire_grace_minutes)
        self._takeover = timedelta(seconds=section.takeover_seconds)
        self._leadership = Leadership(engine, services.settings.bot.account)
        self._leading = False
        self._checked_at: datetime | None = None
        self._checked_real: float | None = None  # time.monotonic() then: the lock is held in real time
        self._preparations = Preparations(specs, runner, services.signals.notify_schedule_changed)

    @property
    def _clock(self) -> Clock:
        return self._services.clock

    @property
    def zone(self) -> tzinfo:
        return self._services.zone

    # APScheduler's abstract hooks: a job was added or changed through its API; stopping.
    def wakeup(self) -> None:
        self._services.signals.notify_schedule_changed()  # the same wake-up as `schedule_job` callers use

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)  # its executors (never used: jobs run in `_run`) and the job store

    async def _in_store(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a synchronous job-store call off the event loop, never beside one of our SQLite writes."""
        async with self._database.writes.exclusive():
            return await asyncio.to_thread(function, *args, **kwargs)

    # Leadership and start-up

    @property
    def leading(self) -> bool:
        """Whether this process runs the jobs (else it stands by); /healthz reports it."""
        return self._leading

    async def _lead(self) -> bool:
        now, real = self._clock.now(), time.monotonic()
        # A lock is kept or lost in real time: travelled days (tests, the playground) are no reason to look again.
        recheck = self._checked_real is None or real - self._checked_real >= self._takeover.total_seconds()
        if self._leading and not recheck:
            return True
        self._checked_at, self._checked_real = now, real
        leading = await self._leadership.ensure()
        if leading and not self._leading:
            await self._start_leading(now)
        self._leading = leading
        return leading

    async def _start_leading(self, now: datetime) -> None:
        if self.state == STATE_STOPPED:  # start APScheduler's side (the job store), without its timer
            await self._in_store(self.start, paused=True)
        await self._sync_builtins(now)

    async def _sync_builtins(self, now: datetime) -> None:
        """Built-in jobs as the config wants them: a job whose timing is unchanged keeps its next run
        (so a run missed while the bot was down is noticed), a retimed one starts afresh."""
        jobs = self._services.settings.scheduler.jobs
        for spec in self._specs:
            wanted = jobs.get(spec.name)
            enabled = spec.enabled if wanted is None or wanted.enabled is None else wanted.enabled
            cron = spec.cron if wanted is None or wanted.cron is None else wanted.cron
            existing = await self._in_store(self.get_job, spec.job_id)
            if not enabled:
                if existing is not None:
                    await self._in_store(self.remove_job, spec.job_id)
                    _LOGGER.info("built-in job %s is switched off", spec.name)
                continue
            trigger = cron_trigger(cron, self.zone)
            target = (obj_to_ref(spec.function),)
            grace = spec.grace_minutes * 60 if spec.grace_minutes is not None else None
            if (
                existing is not None
                and str(existing.trigger) == str(trigger)
                and tuple(existing.args) == target
                and existing.misfire_grace_time == grace
            ):
                continue
            await self._in_store(
                self.add_job,
                scheduled,
                trigger,
                args=target,
                id=spec.job_id,
                name=spec.name,
                misfire_grace_time=grace,
                replace_existing=True,
                next_run_time=trigger.get_next_fire_time(None, now),
            )
            _LOGGER.info("built-in job %s runs on %r (%s)", spec.name, cron, self._services.settings.bot.timezone)

    async def rebase(self, now: datetime) -> None:
        """The clock was set where nothing had happened yet (the playground's first `~` line): every
        stored job runs next at its first time after `now`, as if it had been scheduled then."""
        if not self._leading:
            return  # not seeded yet: the first run seeds from the clock as it is then
        for job in await self._in_store(self.get_jobs):
            await self._in_store(self.modify_job, job.id, next_run_time=job.trigger.get_next_fire_time(None, now))

    async def close(self) -> None:
        if self.state != STATE_STOPPED:
            await asyncio.to_thread(self.shutdown, wait=False)
        else:
            await asyncio.to_thread(self._store.engine.dispose)
        await self._leadership.release()
        self._leading = False

    # The due source

    async def next_due(self) -> datetime | None:
        now = self._clock.now()
        if not self._leading:  # try at once, then (a standby) every takeover interval
            if self._checked_at is None:
                return now
            return self._checked_at + self._takeover if self._clock.is_real else None
        due = await asyncio.to_thread(self._next_run_time)
        if self._clock.is_real:  # keep checking the lock is still ours
            check = (self._checked_at or now) + self._takeover
            due = min(due, check) if due is not None else check
        return due

    def _next_run_time(self) -> datetime | None:
        """The store's next run time, leaving out the jobs being prepared (they wake the loop when ready)."""
        busy = self._preparations.busy
        if not busy:
            stored: datetime | None = self._store.get_next_run_time()
            return stored
        with self._store.engine.connect() as conn:
            query = select(func.min(_JOBS.c.next_run_time)).where(_JOBS.c.id.not_in(list(busy)))
            stamp = conn.execute(query).scalar_one_or_none()
        return None if stamp is None else datetime.fromtimestamp(stamp, UTC)

    async def run_due(self) -> None:
        if not await self._lead():
            return
        now = self._clock.now()
        for job in await asyncio.to_thread(self._store.get_due_jobs, now):
            if not await self._preparing(job, now):
                await self._run(job, now)

    def _grace_of(self, job: Job) -> timedelta:
        return self._grace if job.misfire_grace_time is None else timedelta(seconds=job.misfire_grace_time)

    async def _preparing(self, job: Job, now: datetime) -> bool:
        """True while the job's heavy part is being computed (started here when it falls due)."""
        preparations = self._preparations
        if not preparations.declared(job.id) or job.id in preparations.busy:
            return job.id in preparations.busy
        times = run_times(job, now, self._grace_of(job))
        key = times.due or times.last_missed
        if preparations.ready(job.id, key) or key is None or await recorded(self._engine, job.id, key):
            return False  # computed; or nothing to compute (recorded before a crash: only moved on)
        preparations.start(job.id, key, now)
        return True

    async def _run(self, job: Job, now: datetime) -> None:
        grace = self._grace_of(job)
        times = run_times(job, now, grace)
        run_time = times.due
        prepared = self._preparations.take(job.id, run_time or times.last_missed)
        async with UnitOfWork(self._database, self._clock) as uow:
            fresh = run_time is not None and await _record(uow.conn, job.id, run_time, "done", now)
            newly_missed = times.last_missed is not None and await _record(
                uow.conn, job.id, times.last_missed, "skipped", now
            )
            run = JobRun(job.id, run_time if fresh else None, now, self._services, uow)
            failed = False
            if fresh or newly_missed:
                failed = not await self._call(job, run, prepared)
            if failed and run.run_time is not None:
                await uow.conn.execute(
                    update(_RUNS).where(_RUNS.c.job_id == job.id, _RUNS.c.run_time == run_time).values(outcome="failed")
                )
                await _tell_staff(
                    run.context(),
                    "core/scheduled_failed",
                    job=job.name,
                    when=run.run_time.astimezone(self.zone),
                    key=f"scheduler:failed:{job.id}:{run.run_time.isoformat()}",
                )
            if newly_missed and times.last_missed is not None and job.id not in self._quiet_misses:
                await _tell_staff(
                    run.context(),
                    "core/scheduled_missed",
                    job=job.name,
                    when=times.last_missed.astimezone(self.zone),
                    count=times.missed,
                    grace=int(grace.total_seconds() // 60),
                    key=f"scheduler:missed:{job.id}:{times.last_missed.isoformat()}",
                )
            if newly_missed:
                _LOGGER.warning(
                    "job %s: %d run(s) missed beyond the grace time, the last at %s",
                    job.id,
                    times.missed,
                    times.last_missed,
                )
            await uow.commit()
        following = job.trigger.get_next_fire_time(times.last, now)
        if following is None:
            await self._in_store(self._store.remove_job, job.id)
        else:
            await self._in_store(self.modify_job, job.id, next_run_time=following)

    async def _call(self, job: Job, run: JobRun, prepared: Prepared | None) -> bool:
        """Run the job in a savepoint: if it fails, what it did is undone, the failure recorded."""
        if prepared is not None and prepared.failure is not None:
            return False  # its preparation failed (logged with the cause): nothing to write
        run.prepared = prepared.value if prepared is not None else None
        try:
            async with run.uow.savepoint():
                target, *args = job.args  # see `scheduled`
                await ref_to_obj(target)(run, *args, **job.kwargs)
        except Exception:
            _LOGGER.exception("scheduled job %s failed (run at %s)", job.id, run.run_time)
            return False
        if run.run_time is not None:
            _LOGGER.info("scheduled job %s ran for %s (%s late)", job.id, run.run_time, run.late)
        return True


async def _record(conn: AsyncConnection, job_id: str, run_time: datetime, outcome: str, now: datetime) -> bool:
    """Claim a run; False when it was recorded before (it already happened: do nothing again)."""
    stmt = (
        insert_for(conn, _RUNS)
        .values(job_id=job_id, run_time=run_time, outcome=outcome, recorded_at=now)
        .on_conflict_do_nothing(index_elements=["job_id", "run_time"])
        .returning(_RUNS.c.job_id)
    )
    return (await conn.execute(stmt)).scalar_one_or_none() is not None


async def _tell_staff(ctx: Context, template: str, /, *, key: str, **params: Any) -> None:
    for member in await ctx.services.directory.staff(ctx.db):
        await ctx.dm(
            member,
            template,
            urgent=True,
            message_kind=OutgoingKind.TRANSACTIONAL,
            dedupe_key=f"{key}:{member.platform_id}",
            **params,
        )
