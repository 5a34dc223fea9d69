"""Real bot processes killed with SIGKILL, for the exactly-once tests (fan-out, outreach, journeys).

A test starts a helper process (`python -m tests.test_x ARGS...`, whose `__main__` calls `launch`) that
imports the bot once and then forks a fresh run of it for each generation it is given, so a dozen
starts take seconds, not minutes. The test kills each run with SIGKILL as production would, then lets a
last run finish. The runs hand their messages to a `tests.support.FileTransport`, whose file is the
platform's record of what it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from tests.support import PROJECT, received

CHILD_TIMEOUT = 60


class Launcher:
    """The helper process: forks a bot run per line it reads and reports its pid, then how it ended."""

    def __init__(self, module: str, *args: str) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")}
        self._process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=PROJECT,
            env=clean,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, generation: int) -> int:
        """Start run `generation`; its pid."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(f"{generation}\n")
        self._process.stdin.flush()
        return int(self._process.stdout.readline())

    def ended(self) -> int:
        """The run's wait status (os.waitpid), once it has ended."""
        assert self._process.stdout is not None
        return int(self._process.stdout.readline())

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=CHILD_TIMEOUT)


def launch(run: Callable[[str], Coroutine[Any, Any, None]]) -> None:
    """The helper's main: imports the bot once, then forks `run(generation)` for each line it reads."""
    import bot.bootstrap  # noqa: F401 - imported before forking, so that each run starts at once
    import handlers  # noqa: F401

    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                asyncio.run(run(line.strip()))
            except BaseException:
                traceback.print_exc()
                code = 1
            os._exit(code)
        print(pid, flush=True)
        print(os.waitpid(pid, 0)[1], flush=True)


def _any(sent: list[dict]) -> bool:
    return bool(sent)


def first_send_of(out: Path, run: str, seconds: float = 15.0, enough: Callable[[list[dict]], bool] = _any) -> None:
    """Wait until run `run` has handed the platform `enough` (a message), or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not enough([m for m in received(out) if m["by"] == run]):
        time.sleep(0.01)


def killed_runs(
    launcher: Launcher,
    out: Path,
    kills_wanted: int,
    rng: random.Random,
    *,
    while_sending: bool,
    at_start_too: bool = False,
    enough: Callable[[list[dict]], bool] = _any,
) -> int:
    """`kills_wanted` runs killed at random moments, then one run to its end; how many were really killed
    (a run may finish before its kill). `while_sending`: each kill comes at a random moment after the run
    handed the platform `enough` (its first message). `at_start_too`: every other kill comes instead at a
    random moment of the run's first second (starting up, reading what is due), whatever the machine's
    speed makes of it."""
    kills = 0
    try:
        for generation in range(kills_wanted):
            pid = launcher.start(generation)
            if while_sending and not (at_start_too and generation % 2 == 0):
                first_send_of(out, str(generation), enough=enough)
                time.sleep(rng.uniform(0, 0.3))
            else:
                time.sleep(rng.uniform(0.1, 0.9))
            with contextlib.suppress(ProcessLookupError):  # it may have finished already
                os.kill(pid, signal.SIGKILL)
            kills += os.WIFSIGNALED(launcher.ended())
        launcher.start(kills_wanted)
        status = launcher.ended()
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"the last run ended with status {status}"
    finally:
        launcher.close()
    return kills


def last_per_run(got: list[dict], key: Callable[[dict], Any] = lambda m: m["to"]) -> list[Any]:
    """`key` of the last message each run handed to the platform, run by run (the last run's too)."""
    last: dict[str, Any] = {}
    for message in got:
        last[message["by"]] = key(message)
    return [last[run] for run in sorted(last, key=int)]


async def run_until(app: Any, done: Callable[[Any], Awaitable[bool]]) -> None:
    """Run the app until `done(app)` and nothing is left waiting or in flight in the outbox, then close it."""
    running = asyncio.create_task(app.run_forever())
    while True:
        counts = await app.sender.counts()
        if await done(app) and not counts.get("pending") and not counts.get("sending"):
            break
        await asyncio.sleep(0.02)
    app.stop()
    await running
    await app.close()


def migrate(settings: Any) -> None:
    """The schema in place before the first kill (installing is not what is tested)."""
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade

    async def upgraded() -> None:
        engine = create_engine(settings.database_url())
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(upgraded())
