"""Fixtures: every app-level test runs on SQLite and on PostgreSQL, each on a database of its own."""

from __future__ import annotations

import asyncio
import compileall
import gc
import os
import shutil
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.base import PGDialect

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import FakeClock
from bot.config import CoreSettings, load_settings
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.schema import Base
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES, config_sections
from tests.support import PROJECT, Chat

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_URL = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/postgres"
REQUIRE_PG = os.environ.get("KOCBOT_REQUIRE_POSTGRES") == "1"
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # once, in the process that starts the xdist workers (or runs alone)
        _compile_sources()


def _compile_sources() -> None:
    """The project's bytecode, written now when this shell says not to write it (PYTHONDONTWRITEBYTECODE,
    as some sandboxes set): else every process the tests start (`python -m bot`, heavy workers, the
    processes killed again and again) compiles some 200 modules from source, 0.3-0.5 s of CPU each.
    Only the (git-ignored) __pycache__ folders are written; an up-to-date file is left as it is."""
    if sys.flags.dont_write_bytecode:
        for package in ("bot", "handlers", "web", "tests"):
            compileall.compile_dir(PROJECT / package, quiet=1)


@pytest.fixture(scope="session", autouse=True)
def _settled_heap() -> None:
    """A test process lives through thousands of apps: what each of them loads once a process (pinyin,
    jieba's dictionary, the listening model) is loaded before the first test, then everything that
    exists is frozen out of the cyclic collector's walks (as bot.heap.settle does for the bot), and
    collections come less often. A full collection walked all of it, 150-300 ms a time, dozens of
    times per hundred tests: a tenth of the suite's CPU."""
    from bot import spelling
    from handlers.feedback import segmenter
    from handlers.listening.model import model

    spelling.load()
    segmenter.load()
    model()
    gc.collect()
    gc.freeze()
    gc.set_threshold(2000, 10, 10)
    _SETTLED.append(True)


_SETTLED: list[bool] = []


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _SETTLED and gc.get_freeze_count() == 0:  # tests/test_heap.py unfroze it
        gc.collect()
        gc.freeze()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit test that reaches past loopback fails (PTB's OfflineRequest, at the socket)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else ""
        if host and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


async def _admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL)
    async with engine.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text(sql))
    await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "kocbot.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this run, dropped at the end."""
    if not _pg_reachable():
        message = f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}"
        if REQUIRE_PG:
            pytest.fail(message + " and KOCBOT_REQUIRE_POSTGRES=1 (CI) makes it mandatory")
        pytest.skip(message)
    name = f"kocbot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_EMPTYING: dict[str, str] = {}  # database url -> the script that empties it


async def _empty_all(url: str) -> None:
    """Every table emptied and every id counting from 1 again, as a fresh database. DELETE (children
    first) and setval, sent as one script: a test leaves a few rows, and TRUNCATE of every table cost
    0.3 s a test (new files for each table), DELETE 2 ms."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        if url not in _EMPTYING:
            sequences = await conn.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1")
            )
            _EMPTYING[url] = "".join(
                [
                    *(f'DELETE FROM "{table.name}";' for table in reversed(Base.metadata.sorted_tables)),
                    *(f"SELECT setval('\"{name}\"', 1, false);" for name in sequences.scalars()),
                ]
            )
        raw = await conn.get_raw_connection()
        await raw.driver_connection.execute(_EMPTYING[url])  # asyncpg runs a script of many statements
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "kocbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    # SQLAlchemy caches a query per PostgreSQL dialect (lru_cache, 128 of them): each would keep its
    # engine's dialect, with all its types, for a hundred tests after.
    PGDialect._has_multi_table_query.cache_clear()
    asyncio.run(_empty_all(url))
    return url


@pytest.fixture
def settings_overrides() -> dict:
    """Override in a test module to change the configuration."""
    return {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, settings_overrides: dict, registries: tuple) -> CoreSettings:
    # Heavy work in the bot's own heavy-work thread: a worker process per test would cost seconds to start
    # (tests that are about the processes set `heavy.processes` themselves).
    # The privacy notice in a member's first private message is tested on its own (tests/test_privacy_*):
    # elsewhere it would add a line to every test's first private reply.
    # A template's render gets 10 s, not the 1 s of production: a fresh worker's first render on a loaded
    # machine has taken over 0.5 s. Tests of the time limit set their own.
    capabilities = {r.capability for r in registries}
    quiet: dict[str, dict[str, Any]] = {
        **({"privacy": {"notice_in_first_message": False}} if "privacy" in capabilities else {}),
        **({"outreach": {"template_render_seconds": 10}} if "outreach" in capabilities else {}),
    }
    overrides: dict[str, Any] = {"database": {"url": database_url}, "heavy": {"processes": 0}, **quiet}
    for key, value in settings_overrides.items():  # a test's section adds to these defaults' keys
        default = overrides.get(key)
        overrides[key] = {**default, **value} if isinstance(default, dict) and isinstance(value, dict) else value
    return load_settings(
        environ={}, data_dir=tmp_path, overrides=overrides, capability_sections=config_sections(registries)
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def transport() -> InMemoryTransport:
    return InMemoryTransport()


@pytest.fixture
def registries() -> tuple:
    """Override in a test module to build the app with other capabilities."""
    return REGISTRIES


@pytest.fixture
async def app(
    settings: CoreSettings, clock: FakeClock, transport: InMemoryTransport, registries: tuple
) -> AsyncIterator[App]:
    app = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await app.start()
    await app.start_work_done()  # its reads are not the test's (a test may count queries)
    yield app
    await app.close()


@pytest.fixture
def chat(app: App, transport: InMemoryTransport) -> Chat:
    return Chat(app, transport)
