"""Opening a database: one that cannot be used is refused in one line, before anything in it is written."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import NullPool, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.migrate import ensure_schema, refuse_foreign
from bot.db.url import database_label
from bot.errors import DatabaseUnusableError

SQLITE_MAGIC = b"SQLite format 3\x00"
ELSEWHERE = "point database.url elsewhere"
MOVE_AWAY = f"move it away or {ELSEWHERE}"
RESTORE = "restore it from a backup, or move it away"


async def open_database(engine: AsyncEngine) -> None:
    """Vet the SQLite file, then bring the schema up to date (SQLite) or check it (PostgreSQL)."""
    await check_sqlite_file(engine.url)
    with database_errors(engine.url):
        await ensure_schema(engine)


async def check_sqlite_file(url: URL) -> None:
    """Refuse a SQLite file that is damaged or another application's before SQLite opens it for writing:
    opening it for writing switches it to WAL, a change to a file that may not be ours to change."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(url.database)
    problem = sqlite_file_problem(path)
    if problem is not None:
        raise DatabaseUnusableError(f"cannot open {database_label(url)}: {problem}")
    if path.is_file() and path.stat().st_size > 0:
        with database_errors(url):
            await asyncio.to_thread(_refuse_foreign_file, path, url)


def _refuse_foreign_file(path: Path, url: URL) -> None:
    # Without a write-ahead log the file holds everything, and `immutable` reads it without making
    # lock files; with one (a kocbot that crashed), read-only still sees what the log holds.
    mode = "mode=ro" if _has_wal(path) else "immutable=1"
    reader = create_engine(f"sqlite:///file:{quote(str(path))}?{mode}&uri=true", poolclass=NullPool)
    try:
        with reader.connect() as connection:
            refuse_foreign(connection, url)
    finally:
        reader.dispose()


def sqlite_file_problem(path: Path) -> str | None:
    """What is wrong with `path` as a SQLite database, from its 100-byte header and its size; None if nothing."""
    try:
        with path.open("rb") as handle:
            header, size = handle.read(100), os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return None  # a new database
    except IsADirectoryError:
        return f"it is a folder, not a file; {MOVE_AWAY}"
    except OSError as exc:
        return f"the file cannot be read ({exc.strerror}); let kocbot read and write it, or {ELSEWHERE}"
    return _header_problem(path, header, size)


def _header_problem(path: Path, header: bytes, size: int) -> str | None:
    if not header:
        return None  # SQLite takes an empty file for an empty database
    if not header.startswith(SQLITE_MAGIC):
        return f"the file is not a database (random bytes or a text file?); {MOVE_AWAY}"
    if len(header) < 100:
        return f"the file is truncated ({size} bytes, less than a SQLite header); {RESTORE}"
    expected = _size_in_header(header)
    if expected is not None and size < expected and not _has_wal(path):
        return f"the file is truncated ({size} bytes where its header counts {expected}); {RESTORE}"
    return None


def _size_in_header(header: bytes) -> int | None:
    """Page size times page count, when the header vouches for its count (SQLite file format, section 1.3)."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = pages > 0 and header[24:28] == header[92:96]  # the change counter matches "version valid for"
    return page_size * pages if valid else None


def _has_wal(path: Path) -> bool:
    # Pages still in the write-ahead log are not in the file yet: only a file without one must hold them all.
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


@contextmanager
def database_errors(url: URL) -> Iterator[None]:
    """Turn what the environment did (server down, login refused, a damaged file) into one line."""
    try:
        yield
    except Exception as exc:
        reason = failure_reason(getattr(exc, "orig", None) or exc, url)
        if reason is None:
            raise  # not the environment's doing: a bug keeps its traceback
        raise DatabaseUnusableError(f"cannot open {database_label(url)}: {reason}") from exc


def failure_reason(exc: BaseException, url: URL) -> str | None:
    """Why the driver could not open the database at `url`, with the fix where it is obvious; None if unknown."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_reason(exc)
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        return _postgres_reason(sqlstate, str(exc).splitlines()[0] if str(exc) else sqlstate, url)
    if isinstance(exc, OSError):
        return _network_reason(exc, url)
    return None


def _sqlite_reason(exc: BaseException) -> str | None:
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_NOTADB":
        return f"the file is not a database (it may be corrupt); {MOVE_AWAY}"
    if name.startswith("SQLITE_CORRUPT"):
        return f"the database is damaged ({exc}); {RESTORE}"
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")):
        return f"{exc}; let kocbot read and write the file and its folder, or {ELSEWHERE}"
    if name.startswith(("SQLITE_IOERR", "SQLITE_FULL")):
        return f"the disk failed ({exc}); check the disk and its free space"
    return None


def _postgres_reason(sqlstate: str, message: str, url: URL) -> str | None:
    user, name = url.username or "(the default user)", url.database or url.username or "(the default)"
    known = {
        "28P01": f"the server refused the password of user {user!r}; fix the password in database.url",
        "28000": f"the server refused user {user!r} ({message}); fix the user in database.url or the server's "
        "pg_hba.conf",
        "3D000": f"the database {name!r} does not exist on the server; create it (createdb {name}) or fix the "
        "database name in database.url",
    }
    if sqlstate in known:
        return known[sqlstate]
    if sqlstate[:2] in ("08", "28", "3D", "53", "57"):  # connection, authorisation, resources, operator
        return f"the server said: {message}"
    return None


def _network_reason(exc: OSError, url: URL) -> str:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(exc, socket.gaierror):
        return f"the host name {url.host!r} cannot be resolved; fix the host in database.url"
    if isinstance(exc, ConnectionRefusedError):
        return f"nothing accepts connections at {where}; start PostgreSQL, or fix the host and port in database.url"
    if isinstance(exc, TimeoutError):
        return f"no answer from {where} in time; check that the server is up and reachable"
    detail = exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"cannot connect to {where} ({detail}); start PostgreSQL, or fix the host and port in database.url"
