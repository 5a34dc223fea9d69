"""The Node test bed (server.mjs) as a subprocess, steered by JSON lines: the tests' handle on it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
START_SECONDS = 30.0
ANSWER_SECONDS = 10.0


def require_node() -> str:
    """The `node` to run the bed with; skips with the reason locally, fails under CI (env CI set)."""
    node = shutil.which("node")
    if node is None:
        problem = "Node.js is not installed (the Wechaty end-to-end tests need node 18+)"
    elif not (HERE / "node_modules" / "wechaty-puppet-service").is_dir():
        problem = f"the test bed's packages are missing: run `make install` (npm ci in {HERE})"
    else:
        return node
    if os.environ.get("CI"):
        pytest.fail(f"{problem}, and CI is set: these tests must run in CI", pytrace=False)
    pytest.skip(problem)


class Bed:
    """server.mjs: `command()` runs one bed command; every event it reports is kept in `events`."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._lock = threading.Condition()
        self._answers: dict[int, dict[str, Any]] = {}
        self._seq = 0
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, name="wechaty-bed-reader", daemon=True)
        self._reader.start()
        listening = self.wait_event(lambda e: e["event"] == "listening", START_SECONDS)
        self.port: int = listening["port"]
        self.token: str = listening["token"]

    @classmethod
    def start(cls, node: str, log_path: Path) -> Bed:
        with log_path.open("w", encoding="utf-8") as log:  # the bed's own logs: read them when a test fails
            process = subprocess.Popen(
                [node, str(HERE / "server.mjs"), "--port", "0"],
                cwd=HERE,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                bufsize=1,
            )
        return cls(process)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _read(self) -> None:
        for line in self._process.stdout:
            item = json.loads(line)
            item["at"] = time.perf_counter()
            with self._lock:
                if "ok" in item:
                    self._answers[item.get("seq", -1)] = item
                else:
                    self.events.append(item)
                self._lock.notify_all()

    def command(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Run one command and return its answer; a refused command raises."""
        with self._lock:
            self._seq += 1
            seq = self._seq
        self._process.stdin.write(json.dumps({"cmd": cmd, "seq": seq, **fields}) + "\n")
        self._process.stdin.flush()
        with self._lock:
            if not self._lock.wait_for(lambda: seq in self._answers, ANSWER_SECONDS):
                raise TimeoutError(f"the bed did not answer {cmd}")
            answer = self._answers.pop(seq)
        if not answer["ok"]:
            raise RuntimeError(f"bed refused {cmd}: {answer['error']}")
        return answer

    async def run(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """`command` without blocking the event loop the bot runs in."""
        return await asyncio.to_thread(self.command, cmd, **fields)

    async def say(self, sender: str, text: str, room: str = "room1@chatroom", **fields: Any) -> str:
        """A room message from `sender`; returns its message id."""
        return (await self.run("room_message", room=room, text=text, **{"from": sender}, **fields))["id"]

    async def dm(self, sender: str, text: str, **fields: Any) -> str:
        return (await self.run("dm", text=text, **{"from": sender}, **fields))["id"]

    def wait_event(self, matches: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        with self._lock:
            found: list[dict[str, Any]] = []

            def seen() -> bool:
                found[:] = [e for e in self.events if matches(e)]
                return bool(found)

            if not self._lock.wait_for(seen, timeout):
                raise TimeoutError("the bed did not report the expected event")
            return found[0]

    def sent(self, conversation: str | None = None) -> list[dict[str, Any]]:
        """Every message the bot has sent through the bed, in order."""
        with self._lock:
            return [
                e
                for e in self.events
                if e["event"] == "sent" and (conversation is None or e["conversation"] == conversation)
            ]

    def close(self) -> None:
        try:
            self.command("quit")
        except (OSError, TimeoutError, RuntimeError):
            pass
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
