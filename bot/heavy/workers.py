"""Where heavy work runs: a thread with an event loop of its own, or worker processes.

Either way the work reads the database on a connection of its own engine (never the bot's
writer), and what comes back is an `Outcome`: the value, a refusal to say to the user, or the
traceback of a failure (a process cannot send an exception with its cause, so neither does a thread).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import CoreSettings, settings_model
from bot.db.engine import create_engine
from bot.errors import UserFacingError
from bot.heavy.spec import ComputeFunction, HeavyFailed, HeavyTimeout, Work
from bot.templates import TemplateRenderer, renderer_for

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

_LOGGER = logging.getLogger(__name__)
STARTUP_SECONDS = 120.0  # a fresh process imports numpy, SQLAlchemy and the handlers: seconds on a slow machine
CLOSE_SECONDS = 5.0
WORKER_NICENESS = 10


@dataclass(frozen=True, slots=True)
class Job:
    compute: ComputeFunction
    params: Mapping[str, Any]
    now: datetime


@dataclass(frozen=True, slots=True)
class Done:
    value: Any


@dataclass(frozen=True, slots=True)
class Refused:
    """The work raised a UserFacingError: its template and parameters, said to the asker."""

    template: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Crashed:
    detail: str  # the traceback: for the log, never for a chat


Outcome = Done | Refused | Crashed


def unwrap(outcome: Outcome) -> Any:
    """The value; a refusal raised again as a UserFacingError, a failure as HeavyFailed."""
    if isinstance(outcome, Done):
        return outcome.value
    if isinstance(outcome, Refused):
        raise UserFacingError(outcome.template, **outcome.params)
    raise HeavyFailed(outcome.detail)


async def execute(job: Job, engine: AsyncEngine, settings: CoreSettings, renderer: TemplateRenderer) -> Outcome:
    """Run one job on a read connection of `engine` (closing it rolls the read transaction back)."""
    try:
        async with engine.connect() as db:
            return Done(await job.compute(Work(db, settings, renderer, job.params, job.now)))
    except UserFacingError as exc:
        return Refused(exc.template, dict(exc.params))
    except Exception:
        return Crashed(traceback.format_exc())


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What a worker process needs to rebuild the bot's reading side (picklable: sent to it once)."""

    database_url: str
    sections: Mapping[str, type[BaseModel]]  # the capabilities' config sections (classes, pickled by name)
    settings: Mapping[str, Any]  # the bot's settings, dumped: validated again in the worker

    @classmethod
    def of(cls, settings: CoreSettings) -> WorkerSetup:
        fields = type(settings).model_fields
        sections = {name: f.annotation for name, f in fields.items() if name not in CoreSettings.model_fields}
        return cls(settings.database_url(), _classes(sections), settings.model_dump())

    def build(self) -> tuple[CoreSettings, TemplateRenderer]:
        settings = settings_model(self.sections).model_validate(self.settings)
        return settings, renderer_for(settings)


def _classes(annotations: Mapping[str, Any]) -> dict[str, type[BaseModel]]:
    return {name: a for name, a in annotations.items() if isinstance(a, type) and issubclass(a, BaseModel)}


class ThreadWorker:
    """A thread with an event loop and a database engine of its own: work there runs beside the bot's
    loop. For I/O and numpy or matplotlib work, which let go of the GIL; a timeout cancels the work
    at its next await (a thread cannot be stopped in the middle of Python code)."""

    def __init__(self, database_url: str, settings: CoreSettings, renderer: TemplateRenderer) -> None:
        self._url = database_url
        self._settings = settings
        self._renderer = renderer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._engine: AsyncEngine | None = None

    def _started(self) -> tuple[asyncio.AbstractEventLoop, AsyncEngine]:
        if self._loop is None or self._engine is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="kocbot-heavy", daemon=True)
            self._thread.start()
            self._engine = create_engine(self._url)  # connects only when used, on the worker's loop
        return self._loop, self._engine

    async def run(self, job: Job, timeout: float) -> Outcome:
        loop, engine = self._started()
        future = asyncio.run_coroutine_threadsafe(execute(job, engine, self._settings, self._renderer), loop)
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.wrap_future(future)  # cancelling this cancels the work in its loop
        except TimeoutError:
            raise HeavyTimeout(timeout) from None

    async def close(self) -> None:
        loop, engine, thread = self._loop, self._engine, self._thread
        self._loop = self._engine = self._thread = None
        if loop is None or engine is None or thread is None:
            return
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_wind_down(engine), loop))
        except TimeoutError:
            _LOGGER.warning("heavy work in a thread did not stop within %.0f s; leaving it behind", CLOSE_SECONDS)
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, CLOSE_SECONDS)
        if not thread.is_alive():
            loop.close()


async def _wind_down(engine: AsyncEngine) -> None:
    """In the worker's loop: let the work there end (its callers have cancelled it: the runner closes
    them first), then close the engine. Not cancelled again from here: a second cancellation would
    cut short the closing of its connection (SQLAlchemy closes it in a task of its own)."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    await asyncio.gather(*others, return_exceptions=True)
    await engine.dispose()


class ProcessWorker:
    """A worker process, one job at a time. Spawned fresh (no copy of the bot's threads, connections or
    locks), started on first use (a bot that never reports needs none) and kept for the next job; a
    timeout kills it, the next job starts another."""

    def __init__(self, setup: WorkerSetup, receiver: ThreadPoolExecutor) -> None:
        self._setup = setup
        self._receiver = receiver  # blocking pipe reads happen there, off the event loop
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    async def run(self, job: Job, timeout: float) -> Outcome:
        async with self._lock:
            try:
                conn = await self._ready()
            except Exception:  # it died while starting, or never said it was ready
                return Crashed("the worker process did not start:\n" + traceback.format_exc())
            try:
                conn.send(job)
            except Exception:  # not picklable: a programming error, told like any failure
                return Crashed(traceback.format_exc())
            return await self._result(conn, timeout)

    async def _result(self, conn: Connection, timeout: float) -> Outcome:
        try:
            async with asyncio.timeout(timeout):
                outcome: Outcome = await self._receive(conn)
                return outcome
        except TimeoutError:
            self.stop()  # the only way to stop Python code for sure
            raise HeavyTimeout(timeout) from None
        except (EOFError, OSError):
            code = self.stop()
            return Crashed(f"the worker process ended while working (exit code {code})")
        except BaseException:  # cancelled: the bot is stopping, and the work must not go on alone
            self.stop()
            raise

    async def _receive(self, conn: Connection) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._receiver, conn.recv)

    async def _ready(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self.stop()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs, self._setup), name="kocbot-heavy", daemon=True)
        await asyncio.get_running_loop().run_in_executor(self._receiver, process.start)
        theirs.close()
        _lower_priority(process)
        self._process, self._conn = process, ours
        try:
            async with asyncio.timeout(STARTUP_SECONDS):
                await self._receive(ours)  # "ready": imports done, settings validated
        except BaseException:
            self.stop()
            raise
        return ours

    def stop(self) -> int | None:
        """Kill the process (if any); returns its exit code."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        code = None
        if process is not None:
            if process.is_alive():
                process.kill()  # its end of the pipe closes: a read waiting in `_receive` ends
            process.join(1.0)  # a killed process is gone at once: this only reaps it
            code = process.exitcode
        if conn is not None:
            conn.close()
        return code


def _lower_priority(process: BaseProcess) -> None:
    """On a busy machine the chat gets the CPU first; a report can wait a little. Set from here, at
    once, so that it covers the worker's own start (its imports are seconds of CPU)."""
    if process.pid is not None and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, process.pid, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS)
        except OSError:
            _LOGGER.info("could not lower the heavy-work process's priority", exc_info=True)


def serve(conn: Connection, setup: WorkerSetup) -> None:
    """A worker process's life: build the reading side once, then run jobs until the bot goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the bot to handle
    settings, renderer = setup.build()
    loop = asyncio.new_event_loop()
    engine = create_engine(setup.database_url)
    conn.send("ready")
    try:
        while (job := _next_job(conn)) is not None:
            outcome = loop.run_until_complete(execute(job, engine, settings, renderer)) if isinstance(job, Job) else job
            conn.send_bytes(_pickled(outcome))
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


def _next_job(conn: Connection) -> Job | Crashed | None:
    """The next job; None once the bot has closed the pipe; Crashed if it could not be unpickled."""
    try:
        job: Job = conn.recv()
        return job
    except (EOFError, OSError):
        return None
    except Exception:
        return Crashed(traceback.format_exc())


def _pickled(outcome: Outcome) -> bytes:
    try:
        return pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps(Crashed("the result could not be sent back:\n" + traceback.format_exc()))
