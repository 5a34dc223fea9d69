"""Alembic, driven from the bot: upgrade, and tell whether the schema is behind."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import is_sqlite, write_transaction
from bot.errors import SchemaBehindError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads; merge them")
    return heads[0]


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def _run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with write_transaction(engine) as conn:
        await conn.run_sync(_run)


async def ensure_schema(engine: AsyncEngine) -> None:
    """SQLite is upgraded in place; PostgreSQL must be upgraded on purpose (`kocbot db upgrade`)."""
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return
    if is_sqlite(str(engine.url)):
        await upgrade(engine)
        return
    raise SchemaBehindError(
        f"the database schema is at {current or 'nothing'} but this kocbot needs {head}: "
        "run `kocbot db upgrade` first (back up the database before)"
    )
