"""Member changes reach every process at once: NOTIFY in the changing transaction, LISTEN in each process.

Several processes may share one PostgreSQL database (one per WeChat account), and each keeps
members in its `Directory` cache. A change (a role) is announced with `pg_notify` in the
transaction that makes it, so PostgreSQL tells every listening process when, and only if, it
commits; each process listens on a connection of its own and forgets the member named.

A notification is lost with the connection that should receive it (a server restart, a firewall
dropping an idle connection), perhaps silently. So the listener also asks `SELECT 1` on that
connection every `PROBE_SECONDS`: PostgreSQL delivers the notifications committed before a query
ahead of that query's answer, so each answer confirms that nothing older is missing, and the
directory trusts its cache only `STALE_LIMIT_SECONDS` past the last confirmed question. When the
connection is lost the cache is distrusted at once; a new connection listens, then the cache starts
empty. The hot path pays one comparison; nothing here queries per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol, cast

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.members import CHANNEL, Directory

_LOGGER = logging.getLogger(__name__)
APPLICATION_NAME = "kocbot member changes ({account})"  # as pg_stat_activity shows the connection
PROBE_SECONDS = 0.3
PROBE_TIMEOUT_SECONDS = 10.0  # an answer this late: the connection is taken for dead and replaced
RETRY_SECONDS = 1.0


class DriverConnection(Protocol):
    """What the listener uses of asyncpg's connection (asyncpg ships no type information)."""

    async def execute(self, query: str, *args: object) -> str: ...
    async def fetchval(self, query: str) -> object: ...
    async def add_listener(self, channel: str, callback: Callable[[object, int, str, str], None]) -> None: ...
    def add_termination_listener(self, callback: Callable[[object], None]) -> None: ...


class MemberChangeListener:
    """Keeps one listening connection per process, re-opened when lost, and tells the directory."""

    def __init__(self, engine: AsyncEngine, directory: Directory, account: str) -> None:
        self._engine = engine
        self._directory = directory
        self._account = account
        self._conn: AsyncConnection | None = None
        self._raw: DriverConnection | None = None  # the driver's (asyncpg) connection under `_conn`
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._retrying = False

    async def start(self) -> None:
        """Listen before the first message is handled; if that fails, keep trying in the background."""
        self._directory.watch()
        try:
            await self._connect()
        except Exception:
            _LOGGER.warning(
                "cannot listen for member changes yet; the member cache is bypassed meanwhile", exc_info=True
            )
        self._task = asyncio.create_task(self._run(), name="member-changes")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._drop()

    async def _run(self) -> None:
        while True:
            if self._conn is None:
                await self._reconnect()
                continue
            try:
                await self._probe()
            except Exception:
                _LOGGER.warning("lost the connection that listens for member changes; reconnecting", exc_info=True)
                await self._drop()
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PROBE_SECONDS):
                    await self._lost.wait()

    async def _reconnect(self) -> None:
        try:
            await self._connect()
        except Exception as exc:
            # Once per outage in the log, not every second.
            level = logging.DEBUG if self._retrying else logging.WARNING
            _LOGGER.log(level, "cannot listen for member changes (%s); trying every %.0f s", exc, RETRY_SECONDS)
            self._retrying = True
            await asyncio.sleep(RETRY_SECONDS)
        else:
            self._retrying = False

    async def _connect(self) -> None:
        conn = await self._engine.connect()
        try:
            raw = cast(DriverConnection, (await conn.get_raw_connection()).driver_connection)
            name = APPLICATION_NAME.format(account=self._account)[:63]  # PostgreSQL's limit
            await raw.execute("SELECT set_config('application_name', $1, false)", name)
            await raw.add_listener(CHANNEL, self._on_notification)
            raw.add_termination_listener(self._on_terminated)
        except BaseException:
            await _discard(conn)
            raise
        self._conn, self._raw = conn, raw
        self._lost.clear()
        # Changes made while nobody listened were missed: start again from the database.
        self._directory.forget_all()
        await self._probe()
        _LOGGER.info("account %s listens for member changes", self._account)

    async def _probe(self) -> None:
        if self._raw is None:
            raise ConnectionError("not listening")
        asked_at = time.monotonic()
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await self._raw.fetchval("SELECT 1")
        self._directory.confirm(asked_at)

    def _on_notification(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._directory.forget(payload)

    def _on_terminated(self, conn: object) -> None:
        if conn is self._raw:  # not one this listener closed itself
            self._directory.distrust()
            self._lost.set()

    async def _drop(self) -> None:
        self._directory.distrust()
        conn, self._conn, self._raw = self._conn, None, None
        if conn is not None:
            await _discard(conn)


async def _discard(conn: AsyncConnection) -> None:
    """Never back to the pool: a pooled session would keep listening (or be broken)."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
