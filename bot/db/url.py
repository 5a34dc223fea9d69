"""Database URLs: the embedded default, the async drivers kocbot uses, and the URLs it cannot use."""

from __future__ import annotations

import re
from importlib.util import find_spec
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED = ("postgresql+asyncpg", "sqlite+aiosqlite")
EXPECTED = "a PostgreSQL URL (postgresql://user@host:5432/kocbot) or a SQLite one (sqlite:////path/to/kocbot.db)"
# PostgreSQL's drivers come with an extra: the base install runs on SQLite alone.
POSTGRESQL_DRIVERS = ("asyncpg", "psycopg")
# The password in something that does not even parse as a URL: `user:secret@host`.
_PASSWORD = re.compile(r":[^:/@]*@")


def normalise_database_url(url: str, data_dir: Path) -> str:
    """Pick the async driver for a URL; an empty URL is the embedded SQLite file."""
    if not url:
        return f"sqlite+aiosqlite:///{(data_dir / 'kocbot.db').resolve()}"
    for prefix, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix) :]
    return url


def parse(url: str) -> URL | None:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        return None


def safe_url(url: str) -> str:
    """The URL without its password, fit for a log line or an error message."""
    parsed = parse(url)
    if parsed is None:
        return _PASSWORD.sub(":***@", url)
    return parsed.render_as_string(hide_password=True)


def url_problem(url: str) -> str | None:
    """Why kocbot cannot use this (normalised) URL, or None: caught with the configuration, not at connect."""
    parsed = parse(url)
    if parsed is None:
        return f"{EXPECTED}; this is not a URL"
    if parsed.drivername not in SUPPORTED:
        engine = parsed.drivername.split("+")[0]
        if engine in ("postgresql", "sqlite"):
            return f"{EXPECTED} without a driver name (kocbot chooses asyncpg or aiosqlite itself)"
        return f"{EXPECTED}; kocbot does not support {engine}"
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return f"{EXPECTED}; port {parsed.port} is not a port number"
    if parsed.get_backend_name() == "postgresql":
        return _missing_drivers()
    return None


def _missing_drivers() -> str | None:
    missing = [name for name in POSTGRESQL_DRIVERS if find_spec(name) is None]
    if not missing:
        return None
    return (
        f"PostgreSQL needs its drivers ({', '.join(missing)} not installed): "
        "pip install 'kocbot[postgresql]', or leave database.url empty for the embedded SQLite"
    )


def database_label(url: URL) -> str:
    """`the SQLite database /srv/kocbot.db`, `the PostgreSQL database postgresql://kocbot@db:5432/kocbot`."""
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database or ':memory:'}"
    bare = url.set(drivername=url.get_backend_name())
    return f"the PostgreSQL database {bare.render_as_string(hide_password=True)}"
