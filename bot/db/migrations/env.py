"""Alembic environment: runs on the connection the bot hands over (see bot.db.migrate)."""

from __future__ import annotations

from alembic import context

import handlers  # noqa: F401 - the capabilities' tables join Base.metadata
from bot.db.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `kocbot db upgrade`, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
