"""The runner: heavy work off the event loop, within its time, and counted until it is done."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from bot.config import CoreSettings
from bot.heavy.spec import ComputeFunction
from bot.heavy.workers import Job, ProcessWorker, ThreadWorker, WorkerSetup, unwrap
from bot.templates import TemplateRenderer

_LOGGER = logging.getLogger(__name__)


class HeavyRunner:
    """Runs computations in a worker (a process, or the heavy-work thread) and keeps the background
    tasks that wait for them, so that a driven app (tests, the playground) can wait for them too.

    A process is for pure-Python CPU work: in a thread it would hold the GIL against the chat (measured
    in `bench/heavy.py`). With `heavy.processes = 0` everything runs in the thread.
    """

    def __init__(self, settings: CoreSettings, renderer: TemplateRenderer, setup: WorkerSetup) -> None:
        section = settings.heavy
        self.timeout_seconds = section.timeout_seconds
        self._thread = ThreadWorker(setup.database_url, settings, renderer)
        self._receiver = ThreadPoolExecutor(section.processes + 1, thread_name_prefix="kocbot-heavy-pipe")
        self._processes = [ProcessWorker(setup, self._receiver) for _ in range(section.processes)]
        self._tasks: set[asyncio.Task[None]] = set()
        self.finished = 0  # pieces of background work finished so far (their effects may be due work)

    async def run(
        self,
        compute: ComputeFunction,
        params: Mapping[str, Any],
        *,
        now: datetime,
        in_process: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """The computation's result. Raises HeavyTimeout (stopped), HeavyFailed (it raised; the
        traceback is in `detail`) or UserFacingError (it refused, with something to say)."""
        job, seconds = Job(compute, params, now), timeout or self.timeout_seconds
        if in_process and self._processes:
            worker = next((w for w in self._processes if not w.busy), self._processes[0])
            return unwrap(await worker.run(job, seconds))
        return unwrap(await self._thread.run(job, seconds))

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` (which waits for a computation and writes its effects) in the background."""
        task = asyncio.create_task(_logged(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        # Cancelled before it began (the bot closing at once): the request stays recorded for the next start,
        # and `work`, never started, is closed rather than left for the garbage collector to warn about.
        task.add_done_callback(lambda _: work.close())

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.finished += 1

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def wait_any(self) -> None:
        """Until one piece of background work has finished (at once when none runs)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def close(self) -> None:
        """Stop everything: what was not answered yet stays recorded, for the next start."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for worker in self._processes:
            worker.stop()
        await self._thread.close()
        self._receiver.shutdown(wait=False, cancel_futures=True)


async def _logged(work: Coroutine[Any, Any, None], name: str) -> None:
    try:
        await work
    except Exception:  # each piece answers its own failures; this is a bug in that answering
        _LOGGER.exception("background heavy work %s failed", name)
