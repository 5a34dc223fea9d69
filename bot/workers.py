"""Worker processes for work that must never hold up the event loop and may have to be stopped.

Each call runs in one of a few processes and is awaited from the loop. Past its time limit the
process is killed (SIGKILL: no code running in it can delay that) and a fresh one takes its place
at the next call; the caller gets `WorkTimedOut`. A process's memory is capped (RLIMIT_AS, where
the system has it): work that asks for more gets a MemoryError, and the process is replaced too.
The composition root creates the pool; the app closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
START_SECONDS = 60.0  # a new process imports its modules; not counted against any call's limit
STOP_SECONDS = 5.0
_HEADER = struct.Struct("!I")  # each message: its length, then the pickle
_PROJECT = Path(__file__).resolve().parent.parent
_PASSED_ON = frozenset({"PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT"})


class WorkFailed(Exception):
    """The pool could not give an answer (the work's own exceptions are raised as they are)."""


class WorkTimedOut(WorkFailed):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"still running after {seconds:g} s; the process was stopped")
        self.seconds = seconds


class WorkOutOfMemory(WorkFailed):
    def __init__(self, megabytes: int) -> None:
        super().__init__(f"needed more than {megabytes} MB; the process was replaced")
        self.megabytes = megabytes


class WorkerDied(WorkFailed):
    """The process ended while working (killed from outside, or it crashed)."""


@dataclass(eq=False, slots=True)
class _Worker:
    process: asyncio.subprocess.Process

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, message: object) -> None:
        assert self.process.stdin is not None
        body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(_HEADER.pack(len(body)) + body)
        await self.process.stdin.drain()

    async def receive(self) -> tuple[str, Any]:
        assert self.process.stdout is not None
        try:
            (length,) = _HEADER.unpack(await self.process.stdout.readexactly(_HEADER.size))
            answer: tuple[str, Any] = pickle.loads(await self.process.stdout.readexactly(length))
        except (asyncio.IncompleteReadError, ConnectionError):
            code = await self.process.wait()
            raise WorkerDied(f"worker {self.pid} ended (exit code {code})") from None
        return answer


class WorkerPool:
    """Up to `processes` worker processes, started when first needed; `preload` names the modules each
    imports before its first call, `memory_mb` caps what each may add to its size (0: no cap)."""

    def __init__(self, *, processes: int, memory_mb: int, preload: Sequence[str] = ()) -> None:
        self._memory_mb = memory_mb
        self._preload = tuple(preload)
        self._slots = asyncio.Semaphore(processes)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        self.busy = 0  # calls a worker is running now
        self.started = 0  # processes started so far (replacements included)
        self._dispatched = asyncio.Event()

    async def run(self, function: Callable[..., T], /, *args: Any, seconds: float) -> T:
        """`function(*args)` in a worker (both picklable: a module-level function and plain values);
        its result, or its exception re-raised here; WorkFailed when the pool could not answer."""
        async with self._slots:
            if self._closed:
                raise WorkFailed("the worker pool is closed")
            worker = self._idle.pop() if self._idle else await self._start()
            try:
                kind, value = await self._call(worker, (function, args), seconds)
            except BaseException:  # timed out, died, or the caller was cancelled: never reused
                await self._discard(worker)
                raise
            if kind == "memory":
                await self._discard(worker)
                raise WorkOutOfMemory(self._memory_mb)
            self._idle.append(worker)
            if kind == "raised":
                raise value
            return cast(T, value)  # the worker sends back what `function` returned

    async def dispatched(self) -> None:
        """Wait until some call has been handed to a worker (monitoring and tests)."""
        await self._dispatched.wait()

    async def close(self) -> None:
        """Stop every process: idle ones are asked to finish, busy ones are killed."""
        self._closed = True
        for worker in list(self._all):
            await self._discard(worker, ask_first=worker in self._idle)

    async def _call(self, worker: _Worker, request: tuple[Any, ...], seconds: float) -> tuple[str, Any]:
        self.busy += 1
        try:
            async with asyncio.timeout(seconds):
                await worker.send(request)
                self._dispatched.set()
                return await worker.receive()
        except TimeoutError:
            _LOGGER.warning("worker %s: still running after %g s; killed", worker.pid, seconds)
            raise WorkTimedOut(seconds) from None
        finally:
            self.busy -= 1
            if not self.busy:
                self._dispatched.clear()

    async def _start(self) -> _Worker:
        """A fresh interpreter (`python -m bot.workers`): nothing of this process's state, loop or
        connections goes with it; it talks over its stdin and stdout."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.workers",
            str(self._memory_mb),
            *self._preload,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=_environment(),
        )
        worker = _Worker(process)
        self._all.add(worker)
        self.started += 1
        try:
            async with asyncio.timeout(START_SECONDS):
                await worker.receive()  # ("ready", None) once its modules are imported
        except BaseException:
            await self._discard(worker)
            raise
        _LOGGER.info("worker process %s started", worker.pid)
        return worker

    async def _discard(self, worker: _Worker, *, ask_first: bool = False) -> None:
        self._all.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        process = worker.process
        if ask_first and process.stdin is not None:
            with contextlib.suppress(ConnectionError, TimeoutError):
                async with asyncio.timeout(STOP_SECONDS):
                    await worker.send(None)
                    await process.wait()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()


def _environment() -> dict[str, str]:
    """What a worker needs to start Python, and nothing else: no tokens, no database URL."""
    kept = {key: value for key, value in os.environ.items() if key in _PASSED_ON}
    kept["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT), os.environ.get("PYTHONPATH")]))
    return kept


# The worker's side: `python -m bot.workers MEMORY_MB MODULE...`.


def serve(memory_mb: int, preload: Sequence[str]) -> None:
    """A worker process's life: import, cap the memory, then answer calls until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the bot, which then stops its workers
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print goes to stderr, never into the answers
    for module in preload:
        importlib.import_module(module)
    _cap_memory(memory_mb)
    _write(answers, ("ready", None))
    while (request := _read(requests)) is not None:
        if not _answer_one(answers, request):
            return


def _read(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(length))


def _write(stream: BinaryIO, message: object) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _answer_one(answers: BinaryIO, request: tuple[Callable[..., Any], tuple[Any, ...]]) -> bool:
    """Run one call and send its outcome; False after a MemoryError (the process should be replaced)."""
    function, args = request
    try:
        _write(answers, ("ok", function(*args)))
    except MemoryError:
        _write(answers, ("memory", None))
        return False
    except Exception as exc:
        try:
            _write(answers, ("raised", exc))
        except Exception:  # an exception that does not pickle
            _write(answers, ("raised", WorkFailed(f"{type(exc).__name__}: {exc}"[:500])))
    return True


def _cap_memory(memory_mb: int) -> None:
    """Let the process grow by at most `memory_mb` from here (its imports are already counted)."""
    if memory_mb <= 0:
        return
    try:
        import resource

        size = _address_space()
        if size is None:
            return
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard < 0 else min(limit, hard), hard))
    except (ImportError, OSError, ValueError):
        print("kocbot worker: this system cannot cap a worker's memory", file=sys.stderr)


def _address_space() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


if __name__ == "__main__":  # run as bot.workers, not __main__: what it pickles must unpickle in the bot
    from bot import workers

    workers.serve(int(sys.argv[1]), sys.argv[2:])
