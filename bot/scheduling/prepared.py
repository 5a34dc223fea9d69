"""Scheduled jobs' heavy parts: computed in the background, before the short transaction of the run.

A job that declares `prepare` is not run when it falls due: its `prepare` starts in a worker (on a
read connection, away from the event loop and the write lock), and the due loop goes on. When the
result is ready the scheduler is woken, and the run is recorded and its effects written in one
short transaction, with `run.prepared`. A crash in between loses nothing: nothing was recorded, so
the run is still due at the next start and is computed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import schema
from bot.heavy.runner import HeavyRunner
from bot.heavy.spec import HeavyFailed, HeavyTimeout
from bot.scheduling.jobs import JobSpec

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a job's `prepare` gave for one run time: its value, or why there is none (logged already)."""

    value: Any = None
    failure: str | None = None


class Preparations:
    """The `prepare` steps of the scheduler's jobs: which are being computed, and what came of them."""

    def __init__(self, specs: Sequence[JobSpec], runner: HeavyRunner, on_ready: Callable[[], None]) -> None:
        self._specs = {spec.job_id: spec for spec in specs if spec.prepare is not None}
        self._runner = runner
        self._on_ready = on_ready  # wakes the scheduler's due loop
        self.busy: set[str] = set()  # job ids being computed: not due again meanwhile
        self._ready: dict[str, tuple[datetime | None, Prepared]] = {}

    def declared(self, job_id: str) -> bool:
        return job_id in self._specs

    def ready(self, job_id: str, run_time: datetime | None) -> bool:
        held = self._ready.get(job_id)
        return held is not None and held[0] == run_time

    def take(self, job_id: str, run_time: datetime | None) -> Prepared | None:
        """The result for this run time (once); None when there is none for it."""
        held = self._ready.pop(job_id, None)
        return held[1] if held is not None and held[0] == run_time else None

    def start(self, job_id: str, run_time: datetime | None, now: datetime) -> None:
        self.busy.add(job_id)
        self._runner.spawn(self._compute(job_id, run_time, now), f"prepare {job_id}")

    async def _compute(self, job_id: str, run_time: datetime | None, now: datetime) -> None:
        try:
            prepared = await self._prepared(self._specs[job_id], run_time, now)
        finally:
            self.busy.discard(job_id)
        self._ready[job_id] = (run_time, prepared)
        self._on_ready()

    async def _prepared(self, spec: JobSpec, run_time: datetime | None, now: datetime) -> Prepared:
        assert spec.prepare is not None
        try:
            value = await self._runner.run(
                spec.prepare, {"run_time": run_time}, now=now, in_process=spec.prepare_in_process
            )
        except HeavyTimeout as exc:
            _LOGGER.error("scheduled job %s (run at %s): its preparation was %s", spec.job_id, run_time, exc)
            return Prepared(failure=str(exc))
        except HeavyFailed as exc:
            _LOGGER.error(
                "scheduled job %s (run at %s): its preparation failed:\n%s", spec.job_id, run_time, exc.detail
            )
            return Prepared(failure=str(exc))
        except Exception as exc:  # a refusal (nobody to tell but the log), or the runner itself
            _LOGGER.exception("scheduled job %s (run at %s): its preparation failed", spec.job_id, run_time)
            return Prepared(failure=repr(exc))
        return Prepared(value)


async def recorded(engine: AsyncEngine, job_id: str, run_time: datetime) -> bool:
    """Whether a run is recorded already (it happened before a crash: there is nothing to compute)."""
    runs = schema.scheduled_runs
    async with engine.connect() as conn:
        found = await conn.execute(select(runs.c.outcome).where(runs.c.job_id == job_id, runs.c.run_time == run_time))
        return found.first() is not None
