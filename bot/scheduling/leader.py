"""Which process runs the scheduler: on PostgreSQL the holder of an advisory lock, on SQLite the one process.

Several processes (one per WeChat account) may share one PostgreSQL database; each sends
its own rooms' messages, but exactly one runs the scheduled jobs. It holds a session-level
advisory lock on a connection of its own for as long as it lives: when it dies (even by
SIGKILL) its connection closes, PostgreSQL releases the lock, and a standby that asks
again (every `scheduler.takeover_seconds`) takes over.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_LOGGER = logging.getLogger(__name__)
# Any 64-bit number no other application on the database uses: "kocbot" in ASCII.
LOCK_KEY = 0x6B6F63626F74


class Leadership:
    """Holds (or waits for) the scheduler's lock. SQLite: a single process, always the leader."""

    def __init__(self, engine: AsyncEngine, account: str) -> None:
        self._engine = engine
        self._account = account
        self._conn: AsyncConnection | None = None
        self._shared = engine.dialect.name == "postgresql"

    @property
    def held(self) -> bool:
        return not self._shared or self._conn is not None

    async def ensure(self) -> bool:
        """True while this process leads: keeps the lock it has (checking the connection is alive),
        or tries to take it."""
        if not self._shared:
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                await self._conn.commit()
                return True
            except Exception:  # the connection is gone, and with it the lock
                _LOGGER.warning("lost the scheduler lock (its database connection failed)", exc_info=True)
                await self._drop()
        return await self._try_acquire()

    async def _try_acquire(self) -> bool:
        conn = await self._engine.connect()
        try:
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})).scalar_one()
            await conn.commit()  # the lock is the session's, not the transaction's
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        _LOGGER.info("account %s now runs the scheduler", self._account)
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(Exception):
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            await self._conn.commit()
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Never back to the pool: a pooled session would keep the lock (or be broken).
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()
