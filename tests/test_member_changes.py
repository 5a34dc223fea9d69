"""A role changed in one process holds in every other process sharing the PostgreSQL database within a second.

Two real bot processes (`python -m tests.test_member_changes URL ACCOUNT OUT`), one per account, as
in production: each reads the messages it receives from its stdin (one JSON line each) and writes
what it sends to a file (tests.support.FileTransport). The admin changes bob's role through one
process; bob's moderator command to the other is answered by what the database says, never by a
stale cached role. The same holds after the other process's listening connection is killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.engine import create_engine
from bot.member_changes import APPLICATION_NAME
from tests.support import PROJECT, FileTransport, make_message, received

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
TIMEOUT = 60.0
STALE_LIMIT = 1.0
SERVED = "社群运营团队："  # the start of /mod list's answer
REFUSED = "抱歉，/mod list 只有社群运营可以使用。"


def _only_postgresql() -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
    )


class Bot:
    """One bot process, talked to privately: `ask` sends a message and returns the answer."""

    def __init__(self, url: str, account: str, tmp_path: Path) -> None:
        self.account = account
        self.out = tmp_path / f"sent-{account}.jsonl"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.test_member_changes", url, account, str(self.out)],
            cwd=PROJECT,
            env=clean,
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ask(self, sender: str, message: str, *, answers: int = 1) -> str:
        """The answer to `sender` (with `answers`, wait for that many messages, to anyone, and join them)."""
        before = len(received(self.out))
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"sender": sender, "text": message}) + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + TIMEOUT
        while len(new := received(self.out)[before:]) < answers or not any(m["to"] == sender for m in new):
            assert self.process.poll() is None, self.process.communicate()[1]
            assert time.monotonic() < deadline, f"{self.account} did not answer {message!r}"
            time.sleep(0.005)
        return "\n".join(m["text"] for m in new) if answers > 1 else next(m["text"] for m in new if m["to"] == sender)

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # end of input: the child stops gracefully
        try:
            self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def _refused_within_the_limit(bot: Bot, changed_at: float) -> float:
    """Ask as bob until refused; an answer still served must have been asked within the limit."""
    while True:
        asked_at = time.monotonic()
        answer = bot.ask("bob", "/mod list")
        if REFUSED in answer:
            return asked_at - changed_at
        assert SERVED in answer, answer
        assert asked_at - changed_at < STALE_LIMIT, "a demoted moderator was still served after the limit"


def _demote_and_measure(first: Bot, second: Bot) -> float:
    assert "已取消 bob 的运营身份" in first.ask("admin", "/mod remove @bob")
    return _refused_within_the_limit(second, time.monotonic())


async def _query(url: str, sql: str, **params: object) -> list:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


def _listener(url: str, account: str) -> tuple[int, str] | None:
    """The listening connection of `account`'s process: its backend pid and the last statement it ran."""
    rows = asyncio.run(
        _query(
            url,
            "SELECT pid, query FROM pg_stat_activity WHERE application_name = :name",
            name=APPLICATION_NAME.format(account=account),
        )
    )
    return (rows[0].pid, rows[0].query) if rows else None


def _kill_listener_and_wait_for_the_next(url: str, account: str) -> None:
    old = _listener(url, account)
    assert old is not None, f"{account} has no listening connection"
    asyncio.run(_query(url, "SELECT pg_terminate_backend(:pid)", pid=old[0]))
    deadline = time.monotonic() + TIMEOUT
    # A new connection that has listened and been probed since ("SELECT 1", the probe, follows LISTEN).
    while (new := _listener(url, account)) is None or new[0] == old[0] or new[1] != "SELECT 1":
        assert time.monotonic() < deadline, f"{account} did not listen again: {new}"
        time.sleep(0.02)


@pytest.fixture
def bots(database_url: str, tmp_path: Path):
    alpha, beta = Bot(database_url, "alpha", tmp_path), Bot(database_url, "beta", tmp_path)
    try:
        for bot in (alpha, beta):
            assert bot.ask("admin", "/ping") == "我在呢，一切正常。"  # both serve
        yield alpha, beta
    finally:
        for bot in (alpha, beta):
            bot.stop()


@_only_postgresql()
def test_a_moderator_demoted_in_one_process_is_refused_by_the_other_at_once(bots) -> None:
    alpha, beta = bots
    assert "已将 bob 设为社群运营。" in alpha.ask("admin", "/mod add @bob", answers=2)
    assert SERVED in beta.ask("bob", "/mod list")  # beta now holds bob, a moderator, in its cache
    assert SERVED in beta.ask("bob", "/mod list")
    took = _demote_and_measure(alpha, beta)
    print(f"refused by the other process {took * 1000:.0f} ms after the demotion was confirmed")
    # And back: promoted through beta, alpha serves bob at once (nothing refused is cached either).
    assert "已将 bob 设为社群运营。" in beta.ask("admin", "/mod add @bob", answers=2)
    assert SERVED in alpha.ask("bob", "/mod list")


@_only_postgresql()
def test_changes_still_arrive_after_the_listening_connection_is_killed(bots, database_url: str) -> None:
    alpha, beta = bots
    assert "已将 bob 设为社群运营。" in alpha.ask("admin", "/mod add @bob", answers=2)
    assert SERVED in beta.ask("bob", "/mod list")
    _kill_listener_and_wait_for_the_next(database_url, "beta")
    assert SERVED in beta.ask("bob", "/mod list")  # cached again, with the new connection listening
    took = _demote_and_measure(alpha, beta)
    print(f"after a reconnect, refused {took * 1000:.0f} ms after the demotion was confirmed")


class _StdinTransport(FileTransport):
    """Messages from stdin, one JSON line each (private messages); the end of stdin stops the bot."""

    def __init__(self, out: Path, account: str, on_end: Callable[[], object]) -> None:
        super().__init__(out, account)
        self._on_end = on_end
        self._reader: asyncio.Task[None] | None = None

    async def start(self, sink, on_connected) -> None:
        self._reader = asyncio.create_task(self._read(sink))
        on_connected()

    async def _read(self, sink) -> None:
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            said = json.loads(line)
            sink(make_message(said["text"], said["sender"], None, message_id=uuid.uuid4().hex))
        self._on_end()


async def _child(url: str, account: str, out: Path) -> None:
    from bot.bootstrap import open_app
    from bot.config import load_settings
    from handlers import REGISTRIES, config_sections

    overrides = {
        "database": {"url": url},
        "bot": {"account": account},
        "outbox": {"room_interval_seconds": 0, "account_per_minute": 0},
        "delivery": {"quiet_hours": ""},
        "privacy": {"notice_in_first_message": False},  # answers compared exactly (tested in test_privacy_*)
    }
    settings = load_settings(
        environ={}, data_dir=out.parent / f"data-{account}", overrides=overrides, capability_sections=config_sections()
    )
    holder: list = []
    app = await open_app(
        settings, transport=_StdinTransport(out, account, lambda: holder[0].stop()), registries=REGISTRIES
    )
    holder.append(app)
    try:
        await app.run_forever()
    finally:
        await app.close()


if __name__ == "__main__":
    asyncio.run(_child(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
