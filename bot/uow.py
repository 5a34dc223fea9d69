"""The unit of work: one transaction that rolls back unless committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from bot.clock import Clock
from bot.db.engine import Writes
from bot.delivery import DeliveryPolicy
from bot.outbox import UNCONFIGURED, Addressing, Draft, enqueue_many


class Database:
    """The database as the bot writes to it, chosen once by the composition root: the engine, how it is
    written to (bot.db.engine.Writes: SQLite's one writer at a time), and what every unit of work applies
    to the messages it writes: the delivery policy (quiet hours, the contact budget) and the outbox's
    addressing (accounts, the platform's length limit)."""

    def __init__(
        self, engine: AsyncEngine, *, policy: DeliveryPolicy | None = None, addressing: Addressing = UNCONFIGURED
    ) -> None:
        self.engine = engine
        self.writes = Writes(engine)
        self.policy = policy
        self.addressing = addressing

    def writer(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self.writes.writer()

    def write_transaction(self, *, due_neutral: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return self.writes.write_transaction(due_neutral=due_neutral)

    async def dispose(self) -> None:
        await self.writes.dispose()


class UnitOfWork:
    """A connection in a transaction, the messages it will send, and what to do once it commits.

    Outgoing messages are written to the outbox together, just before the commit, in the
    same transaction as the state they report. Routine ones first wait out quiet hours and
    the contact budget (the database's `policy`).
    """

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self._clock = clock
        self._after_commit: list[Callable[[], Any]] = []
        self._outgoing: list[Draft] = []
        self.conn: AsyncConnection
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        self._writer = self.database.writer()
        self.conn = await self._writer.__aenter__()
        try:
            self._tx = await self.conn.begin()
        except BaseException:
            await self._writer.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        finally:
            await self._writer.__aexit__(exc_type, exc, tb)

    @property
    def engine(self) -> AsyncEngine:
        return self.database.engine

    def send(self, draft: Draft) -> None:
        """Queue a message for the outbox; it is written with this transaction, or not at all."""
        self._outgoing.append(draft)

    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run `callback` only if (and once) this transaction commits."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction; if it rolls back, so do the messages and callbacks it added."""
        callbacks, outgoing = len(self._after_commit), len(self._outgoing)
        try:
            async with self.conn.begin_nested():
                yield
        except BaseException:
            del self._after_commit[callbacks:]
            del self._outgoing[outgoing:]
            raise

    async def commit(self) -> None:
        assert self._tx is not None
        if self._outgoing:
            drafts, self._outgoing, now = self._outgoing, [], self._clock.now()
            if self.database.policy is not None:
                drafts = await self.database.policy.hold(self.conn, drafts, now)
            await enqueue_many(self.conn, drafts, now, self.database.addressing)
        await self._tx.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()
