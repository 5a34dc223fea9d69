"""A database or data folder that cannot be used: one line naming it, exit 5 or 6, and nothing in it touched."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.db.opening import sqlite_file_problem
from tests.conftest import _admin
from tests.fake_postgres import PasswordRefusingServer
from tests.support import kocbot, kocbot_each, refusal

pytestmark = pytest.mark.e2e

NOT_A_DATABASE = (
    "the file is not a database (random bytes or a text file?); move it away or point database.url elsewhere"
)
RESTORE = "restore it from a backup, or move it away"


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def commands(data: Path, script: Path) -> dict[str, tuple[str, ...]]:
    """Every command that opens the database, as a user types it, on the data folder `data`."""
    return {
        "run": ("--data-dir", str(data), "run"),
        "run --script": ("--data-dir", str(data), "run", "--script", str(script)),
        "run --transport wechaty": ("--data-dir", str(data), "run", "--transport", "wechaty"),
        "db upgrade": ("--data-dir", str(data), "db", "upgrade"),
        "db current": ("--data-dir", str(data), "db", "current"),
        "export": ("--data-dir", str(data), "export", "feedback"),
        "report": ("--data-dir", str(data), "report", "monthly", "2026-11"),
    }


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.txt"
    path.write_text("~ 2026-12-01 09:00\nalice: /ping\n", encoding="utf-8")
    return path


@pytest.fixture
def wechaty_env() -> dict[str, str]:
    """What `run --transport wechaty` needs to get as far as the database (the gateway is never reached)."""
    return {
        "WECHATY_PUPPET_SERVICE_TOKEN": "insecure_test",
        "WECHATY_PUPPET_SERVICE_ENDPOINT": f"127.0.0.1:{free_port()}",
    }


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    """A command that does not set up logging (db, export, report), run in this process for speed:
    returns its one line, once checked the exit code and that nothing else was printed."""

    def refuse(code: int, env: dict, *args: str) -> str:
        for name in [name for name in os.environ if name.startswith("KOCBOT_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert main(list(args)) == code
        out, err = capsys.readouterr()
        assert out == "" and err.endswith("\n") and err.count("\n") == 1, (out, err)
        return err.removesuffix("\n")

    return refuse


def untouched(data: Path, name: str, content: bytes, *, logged: bool) -> None:
    """The file is byte for byte as it was, and nothing but (for `run`) the log and the lock of the one bot
    per SQLite file (an empty file, see bot/db/lock.py) was added beside it."""
    assert (data / name).read_bytes() == content
    added = ["kocbot.log", f"{name}.lock"] if logged and name.endswith(".db") else ["kocbot.log"] if logged else []
    assert sorted(p.name for p in data.iterdir()) == sorted([name, *added])


# --- SQLite: a kocbot.db that is not a (whole, kocbot) database --------------------------------------


def test_every_command_refuses_a_kocbot_db_of_random_bytes_and_leaves_it(
    tmp_path: Path, script: Path, wechaty_env: dict
) -> None:
    content = random.Random(15).randbytes(8192)
    calls, folders = {}, {}
    for index, name in enumerate(commands(tmp_path, script)):
        folders[name] = tmp_path / f"data{index}"  # one each: they run side by side
        folders[name].mkdir()
        (folders[name] / "kocbot.db").write_bytes(content)
        calls[name] = commands(folders[name], script)[name]
    for name, done in kocbot_each(calls, env=wechaty_env).items():
        path = folders[name] / "kocbot.db"
        assert refusal(done, 5) == f"kocbot: cannot open the SQLite database {path}: {NOT_A_DATABASE}", name
        untouched(folders[name], "kocbot.db", content, logged=name.startswith("run"))


def test_a_text_file_as_kocbot_db_is_refused(tmp_path: Path, cli: Callable[..., str]) -> None:
    content = b"id,name\n1,alice\n"
    (tmp_path / "kocbot.db").write_bytes(content)
    line = cli(5, {}, "--data-dir", str(tmp_path), "db", "upgrade")
    assert line == f"kocbot: cannot open the SQLite database {tmp_path / 'kocbot.db'}: {NOT_A_DATABASE}"
    untouched(tmp_path, "kocbot.db", content, logged=False)


@pytest.mark.parametrize("keep", [50, 3000, "half"])
def test_a_truncated_kocbot_db_is_refused(tmp_path: Path, sqlite_template: Path, script: Path, keep: int | str) -> None:
    whole = sqlite_template.read_bytes()
    content = whole[: len(whole) // 2 if keep == "half" else int(keep)]
    data = tmp_path / "data"
    data.mkdir()
    (data / "kocbot.db").write_bytes(content)
    done = kocbot("--data-dir", str(data), "run", "--script", str(script))
    size = len(content)
    counted = (
        f"{size} bytes, less than a SQLite header"
        if size < 100
        else f"{size} bytes where its header counts {len(whole)}"
    )
    path = data / "kocbot.db"
    assert (
        refusal(done, 5)
        == f"kocbot: cannot open the SQLite database {path}: the file is truncated ({counted}); {RESTORE}"
    )
    untouched(data, "kocbot.db", content, logged=True)


def test_a_file_shorter_than_its_header_says_is_left_to_sqlite_while_its_write_ahead_log_holds_pages(
    tmp_path: Path, sqlite_template: Path
) -> None:
    whole = sqlite_template.read_bytes()
    path = tmp_path / "kocbot.db"
    path.write_bytes(whole[: len(whole) // 2])
    assert "truncated" in (sqlite_file_problem(path) or "")
    (tmp_path / "kocbot.db-wal").write_bytes(b"frames a checkpoint has not copied yet")
    assert sqlite_file_problem(path) is None


def test_a_kocbot_db_damaged_inside_is_refused(tmp_path: Path, sqlite_template: Path, cli: Callable[..., str]) -> None:
    whole = bytearray(sqlite_template.read_bytes())
    whole[100:4096] = random.Random(3).randbytes(3996)  # the header intact, the table of tables garbage
    (tmp_path / "kocbot.db").write_bytes(whole)
    line = cli(5, {}, "--data-dir", str(tmp_path), "export", "feedback")
    assert line == (
        f"kocbot: cannot open the SQLite database {tmp_path / 'kocbot.db'}: "
        f"the database is damaged (database disk image is malformed); {RESTORE}"
    )
    untouched(tmp_path, "kocbot.db", bytes(whole), logged=False)


def _foreign(path: Path, *statements: str) -> bytes:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_applications_sqlite_file_is_neither_migrated_nor_switched_to_wal(
    tmp_path: Path, script: Path, journal: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    content = _foreign(
        data / "kocbot.db",
        f"PRAGMA journal_mode={journal}",
        "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)",
        "INSERT INTO moz_places (url) VALUES ('https://example.com')",
    )
    calls = {
        "run": ("--data-dir", str(data), "run", "--script", str(script)),
        "upgrade": ("--data-dir", str(data), "db", "upgrade"),
    }
    expected = (
        f"kocbot: the SQLite database {data / 'kocbot.db'} is not kocbot's: "
        "it holds other tables (moz_places) and no kocbot schema; point database.url elsewhere"
    )
    for done in kocbot_each(calls, workers=1).values():
        assert refusal(done, 5) == expected
    untouched(data, "kocbot.db", content, logged=True)


def test_a_kocbot_db_of_a_newer_kocbot_is_not_touched(tmp_path: Path, cli: Callable[..., str]) -> None:
    content = _foreign(
        tmp_path / "kocbot.db",
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
        "INSERT INTO alembic_version VALUES ('0999')",
    )
    line = cli(5, {}, "--data-dir", str(tmp_path), "db", "upgrade")
    assert line == (
        f"kocbot: the SQLite database {tmp_path / 'kocbot.db'} is not kocbot's: its schema revision '0999' is unknown "
        "to this kocbot (a newer kocbot's, or another application's); point database.url elsewhere"
    )
    untouched(tmp_path, "kocbot.db", content, logged=False)


# --- PostgreSQL: down, unknown host, wrong password, unknown user or database, another application's -----


def test_every_command_says_when_postgresql_is_down(tmp_path: Path, script: Path, wechaty_env: dict) -> None:
    port = free_port()
    env = {**wechaty_env, "KOCBOT_DATABASE__URL": f"postgresql://kocbot@127.0.0.1:{port}/kocbot"}
    for name, done in kocbot_each(commands(tmp_path / "data", script), env=env).items():
        assert refusal(done, 5) == (
            f"kocbot: cannot open the PostgreSQL database postgresql://kocbot@127.0.0.1:{port}/kocbot: "
            f"nothing accepts connections at 127.0.0.1:{port}; start PostgreSQL, or fix the host and port in database.url"
        ), name
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["kocbot.log"]  # no reports folder, no images
    log = (tmp_path / "data" / "kocbot.log").read_text(encoding="utf-8")
    assert "ConnectionRefusedError" in log  # the detail is kept where an operator looks for it


def test_an_unresolvable_host_is_named(tmp_path: Path, cli: Callable[..., str]) -> None:
    env = {"KOCBOT_DATABASE__URL": "postgresql://kocbot@nohost.invalid/kocbot"}  # .invalid never resolves (RFC 2606)
    assert cli(5, env, "db", "current") == (
        "kocbot: cannot open the PostgreSQL database postgresql://kocbot@nohost.invalid/kocbot: "
        "the host name 'nohost.invalid' cannot be resolved; fix the host in database.url"
    )


def test_a_wrong_password_is_named_without_showing_it(tmp_path: Path) -> None:
    # The local server trusts every loopback login (pg_hba `trust`), so no password can be wrong there:
    # a stand-in speaks the protocol's first steps, asks for a password and refuses it as PostgreSQL does.
    with PasswordRefusingServer() as server:
        env = {"KOCBOT_DATABASE__URL": f"postgresql://kocbot:s3cret-pw@127.0.0.1:{server.port}/kocbot"}
        done = kocbot("--data-dir", str(tmp_path), "run", env=env)
    assert server.passwords == ["s3cret-pw"]  # it really was asked for, and sent
    assert refusal(done, 5) == (
        f"kocbot: cannot open the PostgreSQL database postgresql://kocbot:***@127.0.0.1:{server.port}/kocbot: "
        "the server refused the password of user 'kocbot'; fix the password in database.url"
    )


@pytest.mark.postgres
def test_an_unknown_database_is_named_and_not_created(pg_database: str, cli: Callable[..., str]) -> None:
    name = f"kocbot_absent_{uuid.uuid4().hex[:8]}"
    env = {"KOCBOT_DATABASE__URL": f"postgresql://postgres@127.0.0.1:5432/{name}"}
    assert cli(5, env, "db", "upgrade") == (
        f"kocbot: cannot open the PostgreSQL database postgresql://postgres@127.0.0.1:5432/{name}: the database "
        f"'{name}' does not exist on the server; create it (createdb {name}) or fix the database name in database.url"
    )


@pytest.mark.postgres
def test_an_unknown_user_is_named(pg_database: str, cli: Callable[..., str]) -> None:
    env = {"KOCBOT_DATABASE__URL": "postgresql://nobody_here@127.0.0.1:5432/postgres"}
    assert cli(5, env, "export", "feedback") == (
        "kocbot: cannot open the PostgreSQL database postgresql://nobody_here@127.0.0.1:5432/postgres: the server "
        "refused user 'nobody_here' (role \"nobody_here\" does not exist); fix the user in database.url or the "
        "server's pg_hba.conf"
    )


@pytest.fixture
def foreign_pg() -> Iterator[str]:
    """A PostgreSQL database of another application: one table, one row."""
    name = f"kocbot_foreign_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        asyncio.run(_sql(url, "CREATE TABLE orders (id int)", "INSERT INTO orders VALUES (42)"))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _sql(url: str, *statements: str) -> list[tuple]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for statement in statements[:-1]:
            await conn.execute(statement)
        return [tuple(row) for row in await conn.fetch(statements[-1])]
    finally:
        await conn.close()


@pytest.mark.postgres
def test_another_applications_postgresql_database_is_not_migrated(
    pg_database: str, foreign_pg: str, cli: Callable[..., str]
) -> None:
    env = {"KOCBOT_DATABASE__URL": foreign_pg}
    expected = (
        f"kocbot: the PostgreSQL database {foreign_pg} is not kocbot's: it holds other tables (orders) "
        "and no kocbot schema; point database.url elsewhere"
    )
    assert cli(5, env, "db", "upgrade") == expected
    assert cli(5, env, "export", "feedback") == expected  # not "run `kocbot db upgrade` first"
    tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    assert asyncio.run(_sql(foreign_pg, tables)) == [("orders",)]
    assert asyncio.run(_sql(foreign_pg, "SELECT id FROM orders")) == [(42,)]


# --- The data folder -------------------------------------------------------------------------------


def test_every_command_refuses_a_data_dir_that_is_a_file(tmp_path: Path, script: Path, wechaty_env: dict) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"notes\n")
    for name, done in kocbot_each(commands(data, script), env=wechaty_env).items():
        assert refusal(done, 6) == (
            f"kocbot: the data folder {data} is a file, not a folder; "
            "pass --data-dir (or set KOCBOT_DATA_DIR to) a folder kocbot may write into"
        ), name
    assert data.read_bytes() == b"notes\n"


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder this user cannot make a file in."""
    if os.geteuid() == 0:  # permission bits do not stop root; sysfs refuses even root a new file
        if not Path("/sys/kernel").is_dir():
            pytest.skip("running as root without /sys/kernel: no folder that root cannot write into")
        yield Path("/sys/kernel")
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)  # so that pytest can clean up


def test_a_data_dir_that_is_not_writable_is_refused_and_left_empty(unwritable: Path, script: Path) -> None:
    folder = unwritable
    before = sorted(p.name for p in folder.iterdir())
    calls = {
        "run": ("--data-dir", str(folder), "run", "--script", str(script)),
        "db": ("--data-dir", str(folder), "db", "upgrade"),
    }
    for done in kocbot_each(calls).values():
        assert refusal(done, 6) == (
            f"kocbot: the data folder {folder} cannot be used (Permission denied); "
            "pass --data-dir (or set KOCBOT_DATA_DIR to) a folder kocbot may write into"
        )
    assert sorted(p.name for p in folder.iterdir()) == before
