"""One running bot per SQLite file: an OS lock on a file beside it, held while the bot runs.

Two bots on one SQLite file would both run the scheduler and fight over its jobs. The lock is
`flock` on `<database>.lock`: the operating system releases it when the process ends, however
it ends (even by SIGKILL), so a crash never leaves a stale lock behind. The file is never
deleted (deleting it would let a third process lock a new file while the second holds the old).
Only `kocbot run` takes it: `export`, `report` and `db current` read beside a running bot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.errors import DatabaseInUseError


def lock_path(url: str) -> Path | None:
    """The lock file of a SQLite database file; None for PostgreSQL (several processes may share
    it) and an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = Path(parsed.database).resolve()
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def sole_bot(url: str) -> Iterator[None]:
    """Hold the database's lock for the block, or raise `DatabaseInUseError` at once, touching nothing."""
    path = lock_path(url)
    fd = _open(path) if path is not None else None
    if path is None or fd is None:
        yield
        return
    try:
        _lock(fd, path)
        yield
    finally:
        os.close(fd)  # releases the lock


def _open(path: Path) -> int | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # a folder nothing can be written in: opening the database says so, in one line
        return None


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip()
        who = f" (process {holder})" if holder.isdigit() else ""
        database = path.with_name(path.name.removesuffix(".lock"))
        raise DatabaseInUseError(
            f"another kocbot is already running on {database}{who}; stop it first, "
            "or give this one a --data-dir of its own"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # for the message a second start prints
