"""Dialect-specific statements the core needs on both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_for(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on this connection's database."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {conn.dialect.name!r}: use SQLite or PostgreSQL")


def hour_bucket(conn: AsyncConnection, column: Any) -> Any:
    """The UTC hour a timestamp column falls in, as text 'YYYY-MM-DD HH' (for GROUP BY)."""
    from sqlalchemy import func

    if conn.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': cheaper than strftime
