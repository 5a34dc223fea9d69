"""Test helpers: message factories and a chat driver that runs the real pipeline."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import App
from bot.clock import FakeClock
from bot.events import Contact, IncomingMessage, MemberJoined, MemberLeft, OutgoingMessage, Quote
from bot.mentions import is_everyone, typed_mentions
from bot.transports.base import EventSink, PacingLimits, Wake
from bot.transports.memory import InMemoryTransport

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.outbox import Addressing, Draft

_IDS = itertools.count(1)
BOT_NAME = "kocbot"
TEST_TEMPLATES = Path(__file__).resolve().parent / "templates"


def contact(name: str) -> Contact:
    """Test contacts use their name as their id, as the console playground does."""
    return Contact(id=name, name=name)


def make_message(
    text: str,
    sender: str = "alice",
    room: str | None = "playground",
    *,
    quote: Quote | None = None,
    message_id: str | None = None,
) -> IncomingMessage:
    names = [n for n in typed_mentions(text) if not is_everyone(n)]
    mentions = tuple(contact(n) for n in names if n != BOT_NAME)
    return IncomingMessage(
        message_id=message_id or f"test-{next(_IDS)}",
        sender=contact(sender),
        text=text,
        room_id=room,
        room_name=room or "",
        mentions=mentions,
        mentions_bot=BOT_NAME in names,
        quote=quote,
    )


def describe(message: OutgoingMessage) -> str:
    where = f"[{message.room_id}]" if message.room_id else f"[dm {message.contact_id}]"
    return f"{where} {message.text}"


@dataclass
class Chat:
    """Say things as members, get back what the bot sent, as `[room] text` lines, in order."""

    app: App
    transport: InMemoryTransport

    async def send(self, message: IncomingMessage | MemberJoined | MemberLeft) -> list[str]:
        self.transport.inject(message)
        await self.app.drain()
        return [describe(m) for m in self.transport.take()]

    async def say(self, sender: str, text: str, room: str = "playground", **kwargs) -> list[str]:
        return await self.send(make_message(text, sender, room, **kwargs))

    async def dm(self, sender: str, text: str, **kwargs) -> list[str]:
        return await self.send(make_message(text, sender, None, **kwargs))

    async def join(self, member: str, room: str = "playground", *, is_self: bool = False) -> list[str]:
        """`member` added to `room`; `is_self`: it is the bot's own account (as the transport reports it)."""
        return await self.send(MemberJoined(room_id=room, member=contact(member), room_name=room, is_self=is_self))

    async def leave(self, member: str, room: str = "playground") -> list[str]:
        return await self.send(MemberLeft(room_id=room, member=contact(member), room_name=room))


async def rows(app: App, table, *where) -> list:
    """All rows of `table` matching `where`, read in a transaction of their own."""
    from sqlalchemy import select

    async with app.engine.connect() as conn:
        return list((await conn.execute(select(table).where(*where))).all())


async def enqueue(conn: AsyncConnection, draft: Draft, now: datetime, addressing: Addressing) -> int | None:
    """Write one draft to the outbox as a unit of work does (`enqueue_many`, no delivery policy): the id
    of its first row, or None when its dedupe key was used before."""
    from sqlalchemy import func, select

    from bot.db import schema
    from bot.outbox import enqueue_many

    table = schema.outbox
    last = (await conn.execute(select(func.max(table.c.id)))).scalar_one() or 0
    await enqueue_many(conn, [draft], now, addressing)
    first: int | None = (await conn.execute(select(func.min(table.c.id)).where(table.c.id > last))).scalar_one()
    return first


PROJECT = Path(__file__).resolve().parent.parent


def kocbot(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` as a user would: a real process, no KOCBOT_* from this shell."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env={**clean, **(env or {})},
        timeout=120,
        check=False,
    )


def kocbot_each(
    calls: dict[str, tuple[str, ...]], env: dict | None = None, workers: int = 3
) -> dict[str, subprocess.CompletedProcess[str]]:
    """`kocbot(*args, env=env)` for each of `calls` (named), a few at a time: each process mostly waits on imports."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(kocbot, *args, env=env) for name, args in calls.items()}
        return {name: future.result() for name, future in futures.items()}


def refusal(done: subprocess.CompletedProcess[str], code: int) -> str:
    """The one line a refused command printed on stderr, once checked that it exited with `code`,
    printed nothing else (stdout included) and no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, (done.returncode, done.stderr)
    assert done.stderr.endswith("\n") and done.stderr.count("\n") == 1, done.stderr
    assert done.stdout == "", done.stdout
    return done.stderr.removesuffix("\n")


def run_playground_script(tmp_path: Path, script: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    """`kocbot run --script` on a fresh data folder; returns the finished process."""
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    return kocbot("--data-dir", str(tmp_path / "data"), "run", "--script", str(path), env=env)


def readme_shows(*texts: str) -> bool:
    """Whether README.md shows every text (inside its ```text blocks)."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8").replace("```text\n", "")
    return all(text in readme for text in texts)


class TimedTransport(InMemoryTransport):
    """The in-memory transport with a platform's pacing, noting when (on the clock) each message went out."""

    def __init__(self, clock: FakeClock, pacing: PacingLimits, max_text_length: int | None = None) -> None:
        super().__init__(pacing, max_text_length)
        self._clock = clock
        self.log: list[tuple[datetime, OutgoingMessage]] = []  # everything ever sent (`take` leaves it)
        self.while_sending: Callable[[OutgoingMessage], Awaitable[None]] | None = None  # runs inside each send

    async def send(self, message: OutgoingMessage) -> str:
        if self.while_sending is not None:
            await self.while_sending(message)
        platform_id = await super().send(message)
        self.log.append((self._clock.now(), message))
        return platform_id

    @property
    def times(self) -> list[datetime]:
        return [at for at, _ in self.log]

    def timed(self, since: datetime) -> list[tuple[float, str]]:
        """(seconds after `since`, `[where] text`) of everything sent, in order."""
        return [((at - since).total_seconds(), describe(m)) for at, m in self.log]


class FileTransport:
    """A platform for real-process tests: each message it receives is appended to a file (one JSON
    line: who sent it, to where, what) and fsynced before `send` returns, so what the platform got
    survives a SIGKILL of the bot. The round trip takes `latency` seconds, half of it before the
    message arrives and half after, as the acknowledgement travels back."""

    name = "file"
    default_pacing = PacingLimits()
    max_text_length = None
    connected = True

    def __init__(self, path: Path, sender: str, latency: float = 0.0) -> None:
        self._path = path
        self._sender = sender
        self._latency = latency

    async def start(self, sink: EventSink, on_connected: Wake) -> None:
        on_connected()

    async def stop(self) -> None:
        pass

    async def send(self, message: OutgoingMessage) -> str:
        await asyncio.sleep(self._latency / 2)
        line = json.dumps(
            {
                "by": self._sender,
                "id": message.outbox_id,
                "to": message.room_id or message.contact_id,
                "text": message.text,
            },
            ensure_ascii=False,
        )
        with self._path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        await asyncio.sleep(self._latency / 2)
        return f"file-{message.outbox_id}"


def received(path: Path) -> list[dict]:
    """What a FileTransport's platform received, in order (a line cut short by a kill was not received)."""
    if not path.exists():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines(keepends=True) if line.endswith("\n")
    ]
