"""Alembic, driven from the bot: upgrade, and tell whether the schema is behind."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import Writes, is_sqlite
from bot.db.url import database_label
from bot.errors import DatabaseUnusableError, SchemaBehindError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@functools.cache  # the migrations are this installation's code: read once a process (they cost 30-60 ms to load)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    heads = _scripts().get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads; merge them")
    return heads[0]


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def foreign_problem(connection: Connection) -> str | None:
    """Why this database is not kocbot's (so must not be migrated), or None: empty, or with a schema we know."""
    current = _current(connection)
    if current is None:
        tables = sorted(set(inspect(connection).get_table_names()) - {"alembic_version"})
        if not tables:
            return None
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        return f"it holds other tables ({shown}) and no kocbot schema"
    try:  # alembic also resolves a unique prefix of a revision: only the revision itself is ours
        known = _scripts().get_revision(current)
    except CommandError:
        known = None
    if known is None or known.revision != current:
        return f"its schema revision {current!r} is unknown to this kocbot (a newer kocbot's, or another application's)"
    return None


def refuse_foreign(connection: Connection, url: URL | None = None) -> None:
    """Raise DatabaseUnusableError, naming the database by `url` (else the connection's), when it is not kocbot's."""
    problem = foreign_problem(connection)
    if problem is not None:
        where = database_label(url or connection.engine.url)
        raise DatabaseUnusableError(f"{where} is not kocbot's: {problem}; point database.url elsewhere")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate to `revision`; another application's database, or a newer kocbot's, is left as it is."""

    def _run(connection: Connection) -> None:
        refuse_foreign(connection)
        command.upgrade(alembic_config(connection), revision)

    # Its own Writes: a database is migrated before the app that will write to it starts.
    async with Writes(engine).write_transaction() as conn:
        await conn.run_sync(_run)


async def ensure_schema(engine: AsyncEngine) -> None:
    """SQLite is upgraded in place; PostgreSQL must be upgraded on purpose (`kocbot db upgrade`)."""
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return
    async with engine.connect() as conn:
        await conn.run_sync(refuse_foreign)
    if is_sqlite(str(engine.url)):
        await upgrade(engine)
        return
    raise SchemaBehindError(
        f"the database schema is at {current or 'nothing'} but this kocbot needs {head}: "
        "run `kocbot db upgrade` first (back up the database before)"
    )
