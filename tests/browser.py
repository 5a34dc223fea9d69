"""A real headless Chromium (Debian's package) driven by Playwright, in a thread of its own.

Playwright's sync API belongs to the thread that started it, and the app under test runs in the test's
event loop; so one thread owns the browser for the whole session, and tests hand it work to do
(`await browser.run(work)`), while the loop serves the console's requests meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """The browser's path; skipped with the reason when there is none, a failure under CI."""
    path = chromium_path()
    if path is None:
        reason = "Debian's chromium is not installed (make test installs it when run as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ", and CI makes the browser tests mandatory")
        pytest.skip(reason)
    return path


# libfaketime's variables, set when the whole suite runs with the system clock moved (`make test-any-date`).
FAKING = ("LD_PRELOAD", "FAKETIME", "DONT_FAKE_MONOTONIC", "FAKETIME_NO_CACHE", "FAKETIME_FORCE_MONOTONIC_FIX")


def _real_time_environment() -> dict[str, str | float | bool]:
    """The browser runs on the real clock: Chromium under libfaketime never finishes loading a page, and
    a browser's clock is the user's, not the server's (the session cookie counts by Max-Age)."""
    return {k: v for k, v in os.environ.items() if k not in FAKING}


class BrowserThread:
    """Owns Playwright and one Chromium; runs `work(browser)` in its thread, one job at a time."""

    def __init__(self, executable: str) -> None:
        self._jobs: queue.Queue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.Queue()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._main, args=(executable,), name="chromium", daemon=True)
        self._thread.start()
        self._ready.result(timeout=60)

    def _main(self, executable: str) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=executable, args=ARGS, headless=True, env=_real_time_environment()
                )
                self._ready.set_result(None)
                while (job := self._jobs.get()) is not None:
                    work, done = job
                    try:
                        done.set_result(work(browser))
                    except BaseException as exc:
                        done.set_exception(exc)
                browser.close()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)

    async def run(self, work: Callable[[Any], Any]) -> Any:
        done: Future[Any] = Future()
        self._jobs.put((work, done))
        return await asyncio.wrap_future(done)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)
