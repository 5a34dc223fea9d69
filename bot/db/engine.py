"""Build the async engine: SQLite (WAL) for the embedded default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.db.commits import DUE_NEUTRAL
from bot.errors import DatabaseUnusableError

_LOGGER = logging.getLogger(__name__)
WRITE_OPTION = "kocbot_writer"
CHECKPOINT_EVERY = 500  # write transactions between WAL checkpoints


class _Checkpoints:
    """Write transactions since the last WAL checkpoint, and the checkpoint running now."""

    def __init__(self) -> None:
        self.writes = 0
        self.running: asyncio.Task[None] | None = None


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT;
    # take it over as SQLAlchemy's docs recommend, and set the pragmas once per connection.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # No automatic checkpoint: it would run inside whichever commit crosses the threshold
        # and put milliseconds on that message; `_note_write` runs one beside the hot path.
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=10000",
            "wal_autocheckpoint=0",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # Writers take the write lock up front: a reader upgrading to a writer gets
        # SQLITE_BUSY at once instead of waiting. Readers stay deferred and never block.
        _begin(conn, "BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")


def _begin(conn: Any, statement: str) -> None:
    """Emit BEGIN in one round trip to aiosqlite's thread instead of three (cursor, execute, close).

    The hot path is counted in round trips: this is one of four per batch. It reaches
    into SQLAlchemy's aiosqlite adapter (2.0 and 2.1, the range pyproject.toml allows); without it, the portable way.
    """
    adapted = conn.connection.dbapi_connection
    driver = getattr(adapted, "_connection", None)
    if driver is None or not hasattr(adapted, "await_"):
        conn.exec_driver_sql(statement)
        return
    adapted.await_(driver.execute(statement))


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for `url`; creates the SQLite file's folder when needed."""
    parsed = make_url(url)
    if is_sqlite(url):
        database = parsed.database or ""
        if database and database != ":memory:":
            _make_folder(Path(database))
        # Every connection is closed by a commit or a rollback already (UnitOfWork, begin(),
        # connect() rolls back on close): a second rollback on return is a wasted round trip.
        engine = create_async_engine(url, echo=echo, pool_reset_on_return=None)
        _prepare_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _make_folder(database: Path) -> None:
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnusableError(
            f"cannot open the SQLite database {database}: its folder cannot be made ({exc.strerror or exc}); "
            "point database.url elsewhere"
        ) from exc


class Writes:
    """How one engine is written to: on SQLite one writer at a time (queued here, which spares its busy
    handler's sleeps) with a WAL checkpoint every CHECKPOINT_EVERY writes. Every writer of the engine in
    this process must share one `Writes`: the composition root makes it, with the engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._checkpoints = _Checkpoints()
        self._opened = False  # whether the engine has ever connected: only then is there a WAL to fold in
        event.listen(engine.sync_engine, "connect", self._on_connect)

    def _on_connect(self, _dbapi_connection: Any, _record: Any) -> None:
        self._opened = True

    @asynccontextmanager
    async def writer(self, *, due_neutral: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection whose transactions will write (on SQLite: one at a time, BEGIN IMMEDIATE);
        `due_neutral`: they change nothing a due source reads (see bot.db.commits)."""
        lock = self._lock
        if lock is not None:
            await lock.acquire()
        try:
            conn = await self.engine.connect()
            try:
                await conn.execution_options(**{WRITE_OPTION: True, DUE_NEUTRAL: due_neutral})
                yield conn
            finally:
                await conn.close()
        finally:
            if lock is not None:
                lock.release()
                self._note_write()

    @asynccontextmanager
    async def write_transaction(self, *, due_neutral: bool = False) -> AsyncIterator[AsyncConnection]:
        """Like `engine.begin()`, for a transaction that writes."""
        async with self.writer(due_neutral=due_neutral) as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the in-process write lock without a connection: for a second, synchronous path to the
        same SQLite file (APScheduler's job store), so it never waits on, or blocks, our own writers."""
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield

    def _note_write(self) -> None:
        state = self._checkpoints
        state.writes += 1
        if state.writes >= CHECKPOINT_EVERY and (state.running is None or state.running.done()):
            state.writes = 0
            state.running = asyncio.create_task(_checkpoint(self.engine), name="sqlite-checkpoint")

    async def dispose(self) -> None:
        """Close the engine once a running checkpoint has finished, then fold the WAL back in."""
        if self._checkpoints.running is not None:
            await self._checkpoints.running
        # Never the first connection here: opening the file switches it to WAL, and a file refused as
        # another application's (or damaged) must be left as it was.
        if self.engine.dialect.name == "sqlite" and self._opened:
            with contextlib.suppress(Exception):
                async with self.engine.connect() as conn:
                    await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await self.engine.dispose()


async def _checkpoint(engine: AsyncEngine) -> None:
    """PASSIVE: copies what it can without waiting for, or blocking, readers and writers."""
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception:  # the next one will catch up; the WAL only grows meanwhile
        _LOGGER.warning("a WAL checkpoint failed", exc_info=True)
