"""What a scheduled job is and what it gets when it runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import Context
from bot.db import schema
from bot.db.schema import Role
from bot.members import MemberRef

if TYPE_CHECKING:
    from bot.context import Services
    from bot.heavy.spec import ComputeFunction
    from bot.uow import UnitOfWork

# A job function: module-level (APScheduler stores it by its import path), async, idempotent
# per run: it is called at most once per scheduled time, in the transaction that records the run.
JobFunction = Callable[..., Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A built-in recurring job a capability declares; `[scheduler.jobs.NAME]` can switch or retime it."""

    name: str
    function: JobFunction
    cron: str  # 5 fields, crontab numbering, in bot.timezone
    enabled: bool = True
    capability: str = ""
    # Tell the moderators when a run is skipped after downtime; off for digests the next run supersedes.
    report_missed: bool = True
    grace_minutes: int | None = None  # how late a run may still go out; None: scheduler.misfire_grace_minutes
    # Heavy work computed before the run's transaction (see bot.heavy); its result is `JobRun.prepared`.
    prepare: ComputeFunction | None = None
    prepare_in_process: bool = True

    @property
    def job_id(self) -> str:
        return builtin_job_id(self.name)


def builtin_job_id(name: str) -> str:
    return f"builtin:{name}"


async def last_run(conn: AsyncConnection, name: str, since: datetime, until: datetime) -> datetime | None:
    """The latest scheduled time in [since, until] for which the built-in job `name` ran and committed."""
    runs = schema.scheduled_runs
    stmt = select(func.max(runs.c.run_time)).where(
        runs.c.job_id == builtin_job_id(name),
        runs.c.outcome == "done",
        runs.c.run_time >= since,
        runs.c.run_time <= until,
    )
    found: datetime | None = (await conn.execute(stmt)).scalar_one_or_none()
    return found


@dataclass(slots=True)
class JobRun:
    """One run of a job: the scheduled time it stands for, how late it is, and the transaction to act in."""

    job_id: str
    run_time: datetime | None  # None: every due run was missed (beyond the grace time)
    now: datetime
    services: Services
    uow: UnitOfWork
    prepared: Any = None  # what the job's `prepare` computed for this run time (None without one)

    @property
    def late(self) -> timedelta:
        return self.now - self.run_time if self.run_time is not None else timedelta(0)

    def context(self, actor: MemberRef | None = None) -> Context:
        """A Context with no incoming event: everything it sends is the bot's own initiative."""
        return Context(self.services, self.uow, None, actor or system_actor(self.services), None)


def system_actor(services: Services) -> MemberRef:
    """Who acts for scheduled work: the bot itself (id 0 is no member row; never store it)."""
    return MemberRef(0, "", services.settings.bot.name, Role.ADMIN)


def scheduled(target: str, *args: Any) -> None:
    """What the job store holds for every job: `target` ("module:function") and its arguments.

    APScheduler checks a stored callable's signature against the stored arguments, but a
    job's first argument, the `JobRun` (its transaction), only exists when it runs; so the
    store keeps this stand-in and the scheduler calls `target(run, *args)`.
    """
    raise RuntimeError(f"{target} runs only through kocbot's scheduler, which passes it the run")
