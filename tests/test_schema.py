"""The schema: Alembic migrations match the models; SQLite upgrades itself, PostgreSQL refuses to start behind."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from bot.db.engine import create_engine
from bot.db.migrate import current_revision, ensure_schema, head_revision, upgrade
from bot.db.schema import Base
from bot.errors import SchemaBehindError


def _diff(connection) -> list:
    return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)


async def test_migrations_produce_exactly_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_sqlite_is_created_and_upgraded_on_first_run(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/new/kocbot.db")
    try:
        assert await current_revision(engine) is None
        await ensure_schema(engine)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        assert mode == "wal"
    finally:
        await engine.dispose()


@pytest.mark.postgres
def test_postgresql_behind_refuses_to_start(pg_database: str) -> None:
    name = f"kocbot_behind_{uuid.uuid4().hex[:8]}"

    async def check() -> None:
        engine = create_engine(pg_database.rsplit("/", 1)[0] + "/postgres")
        try:
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()
        behind = create_engine(pg_database.rsplit("/", 1)[0] + f"/{name}")
        try:
            with pytest.raises(SchemaBehindError, match="run `kocbot db upgrade` first"):
                await ensure_schema(behind)
            await upgrade(behind)
            await ensure_schema(behind)  # now it starts
        finally:
            await behind.dispose()
            admin = create_engine(pg_database.rsplit("/", 1)[0] + "/postgres")
            async with admin.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()

    asyncio.run(check())


async def test_the_wal_is_checkpointed_beside_the_hot_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own checkpoint would land inside one unlucky commit; ours runs every N writes."""
    import bot.db.engine as engine_module

    monkeypatch.setattr(engine_module, "CHECKPOINT_EVERY", 5)
    path = tmp_path / "wal.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    writes = engine_module.Writes(engine)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one() == 0
        for _ in range(5):
            async with writes.write_transaction() as conn:
                await conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
                await conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        state = writes._checkpoints
        assert state.running is not None and state.writes == 0
        await state.running
        async with engine.connect() as conn:  # everything in the log was copied into the database
            busy, logged, copied = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")).one()
        assert busy == 0 and logged == copied
    finally:
        await writes.dispose()
    wal = tmp_path / "wal.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # folded back in at close
