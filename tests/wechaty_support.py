"""Helpers for the Wechaty tests: the SDK or a clear skip, polling waits, a stand-in discovery service."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

QUOTE_LINE = "\n- - - - - - - - - - - - - - -\n"  # WeChat's line between a quote and the reply


def require_sdk() -> Any:
    """The transport, which needs the `wechaty` extra: missing, it fails under CI and skips locally."""
    try:
        from bot.transports import wechaty, wechaty_compat
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"python-wechaty is not installed ({exc}), and CI is set", pytrace=False)
        pytest.skip(f"python-wechaty is not installed: pip install -e '.[wechaty]' ({exc})")
    return wechaty, wechaty_compat


async def eventually(condition: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll `condition` (plain or async) until it is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.005)


class _Discovery(BaseHTTPRequestHandler):
    answer: bytes = b"{}"
    status = 200
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args: object) -> None:
        pass


class FakeDiscovery:
    """Wechaty's discovery service, on loopback: `with FakeDiscovery(answer, asked) as url`."""

    def __init__(self, answer: Any, asked: list[str], status: int = 200) -> None:
        handler = type(
            "Handler", (_Discovery,), {"answer": json.dumps(answer).encode(), "asked": asked, "status": status}
        )
        self._server = HTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
