"""The unit of work: one transaction that rolls back unless committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction


class UnitOfWork:
    """A connection in a transaction, plus what to do once it has committed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._after_commit: list[Callable[[], Any]] = []
        self.conn: AsyncConnection
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> UnitOfWork:
        self.conn = await self._engine.connect()
        self._tx = await self.conn.begin()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        finally:
            await self.conn.close()

    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run `callback` only if (and once) this transaction commits."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction; if it rolls back, so do the after-commit callbacks it added."""
        mark = len(self._after_commit)
        try:
            async with self.conn.begin_nested():
                yield
        except BaseException:
            del self._after_commit[mark:]
            raise

    async def commit(self) -> None:
        assert self._tx is not None
        await self._tx.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()
