"""One bot per SQLite file: a second `kocbot run` on it refuses to start with one line and exit code 4,
touching nothing; the first keeps serving; the commands that only read work beside it; a bot killed
with SIGKILL leaves no stale lock behind. Real processes, as a user runs them."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import EXIT_IN_USE
from bot.db.lock import lock_path, sole_bot
from tests.support import PROJECT, kocbot, readme_shows

pytestmark = pytest.mark.e2e
TIMEOUT = 60
PONG = "[playground] kocbot: @{who} 我在呢，一切正常。"


class Playground:
    """`kocbot run` (the interactive playground) in a process of its own, typed to line by line."""

    def __init__(self, data_dir: Path) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--data-dir", str(data_dir), "run"],
            cwd=PROJECT,
            env=clean,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def say(self, line: str, expect: str) -> None:
        """Type `line` and wait for the bot to print `expect`."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        while (printed := self._lines.get(timeout=TIMEOUT)) != expect:
            assert not printed.startswith("(playground)"), printed

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)


def _in_use(database: Path, pid: int) -> str:
    return (
        f"kocbot: another kocbot is already running on {database} (process {pid}); "
        "stop it first, or give this one a --data-dir of its own\n"
    )


def test_a_second_bot_on_one_sqlite_file_refuses_and_the_first_keeps_serving(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Playground(data)
    try:
        first.say("alice: /ping", PONG.format(who="alice"))
        second = kocbot("--data-dir", str(data), "run", stdin="bob: /ping\n")
        assert (second.returncode, second.stdout) == (EXIT_IN_USE, "")
        assert second.stderr == _in_use(data.resolve() / "kocbot.db", first.process.pid)
        first.say("carol: /ping", PONG.format(who="carol"))  # the first never noticed
        current = kocbot("--data-dir", str(data), "db", "current")  # reading beside it works
        assert current.returncode == 0 and current.stdout.startswith("schema revision "), current.stderr
        exported = kocbot("--data-dir", str(data), "export", "feedback")
        assert exported.returncode == 0, exported.stderr
    finally:
        first.kill()
    # Killed outright: the operating system released the lock with the process.
    third = kocbot("--data-dir", str(data), "run", stdin="dave: /ping\n")
    assert third.returncode == 0, third.stderr
    assert PONG.format(who="dave") in third.stdout.splitlines()


def test_a_refused_start_touches_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = data / "kocbot.db"
    script = tmp_path / "script.txt"
    script.write_text("~ 2026-12-01 09:00\nalice: /ping\n", encoding="utf-8")
    with sole_bot(f"sqlite+aiosqlite:///{database}"):  # as a running bot holds it
        refused = kocbot("--data-dir", str(data), "run", "--script", str(script))
    assert refused.returncode == EXIT_IN_USE
    assert refused.stderr == _in_use(database.resolve(), os.getpid())
    assert sorted(p.name for p in data.iterdir()) == ["kocbot.db.lock"]  # no database, no log


def test_only_a_sqlite_file_is_locked() -> None:
    assert lock_path("sqlite+aiosqlite:////srv/kocbot/kocbot.db") == Path("/srv/kocbot/kocbot.db.lock")
    assert lock_path("sqlite+aiosqlite:///:memory:") is None
    assert lock_path("postgresql+asyncpg://kocbot@db/kocbot") is None  # several processes may share it


def test_the_readme_documents_the_exit_code() -> None:
    assert readme_shows(f"| {EXIT_IN_USE} | another kocbot is already running on the same SQLite file")
