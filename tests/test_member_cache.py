"""The member cache: a read made before a change is never cached after it, and while other processes
may change members it is trusted only as long as the listener confirms (bot.members, bot.member_changes)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from bot.db.schema import Role
from bot.member_changes import APPLICATION_NAME
from bot.members import CACHE_SECONDS, STALE_LIMIT_SECONDS, Directory
from bot.uow import UnitOfWork
from tests.conftest import START
from tests.support import Chat, contact


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _read(app, directory: Directory, name: str, *, change_meanwhile: bool = False) -> None:
    async with UnitOfWork(app.database, app.clock) as uow:
        await directory.ensure_member(uow, contact(name), START)
        if change_meanwhile:
            directory.forget(name)  # what another process's change does when its notification arrives
        await uow.commit()


async def test_a_member_read_before_a_change_elsewhere_is_not_cached(app) -> None:
    directory = Directory(app.services.settings)
    await _read(app, directory, "bob", change_meanwhile=True)
    assert directory.cached_member("bob") is None  # the next message reads bob again
    await _read(app, directory, "bob")
    assert directory.cached_member("bob") is not None


async def test_while_other_processes_may_change_members_the_cache_needs_a_recent_confirmation(app) -> None:
    ticks = Ticks()
    directory = Directory(app.services.settings, monotonic=ticks)
    await _read(app, directory, "bob")
    assert directory.cached_member("bob") is not None  # one process (SQLite): until it expires
    directory.watch()
    assert directory.cached_member("bob") is None  # not confirmed yet
    directory.confirm(ticks.now)
    assert directory.cached_member("bob") is not None
    ticks.now += STALE_LIMIT_SECONDS
    assert directory.cached_member("bob") is None  # the last confirmation is too old
    directory.confirm(ticks.now - 0.1)
    assert directory.cached_member("bob") is not None
    directory.distrust()  # the listener lost its connection
    assert directory.cached_member("bob") is None
    directory.confirm(ticks.now)
    directory.forget_all()  # a new connection listens: what was cached before is read again
    assert directory.cached_member("bob") is None


async def test_entries_still_expire(app) -> None:
    ticks = Ticks()
    directory = Directory(app.services.settings, monotonic=ticks)
    await _read(app, directory, "bob")
    ticks.now += CACHE_SECONDS
    assert directory.cached_member("bob") is None


async def test_a_demoted_moderator_is_refused_at_once_and_config_staff_keep_their_rights(chat: Chat) -> None:
    assert (await chat.say("admin", "/mod add @bob"))[0] == "[dm admin] 已将 bob 设为社群运营。"
    assert (await chat.dm("bob", "/mod list"))[0].startswith("[dm bob] 社群运营团队：")
    assert await chat.say("admin", "/mod remove @bob") == ["[dm admin] 已取消 bob 的运营身份。"]
    assert await chat.dm("bob", "/mod list") == [
        "[dm bob] 抱歉，/mod list 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    assert (await chat.dm("mod", "/mod list"))[0].startswith("[dm mod] 社群运营团队：")  # a moderator by config


async def _eventually(condition, what: str) -> None:
    """Wait for the effect of the background listener (real time, not the app's clock), with a deadline."""
    deadline = time.monotonic() + 10
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_on_postgresql_the_app_listens_and_its_cache_is_used(chat: Chat, app) -> None:
    directory = app.services.directory
    await chat.say("bob", "/ping")

    async def cached() -> bool:
        found = directory.cached_member("bob")
        return found is not None and found.role is Role.MEMBER

    await _eventually(cached, "bob is served from the cache while the listener confirms")
    async with app.engine.connect() as conn:
        names = (await conn.execute(text("SELECT application_name FROM pg_stat_activity"))).scalars().all()
    assert APPLICATION_NAME.format(account=app.services.settings.bot.account) in names

    async def forgotten() -> bool:
        return directory.cached_member("bob") is None

    async with app.engine.begin() as conn:  # as another process would announce a change to bob
        await conn.execute(text("SELECT pg_notify('kocbot_members', 'bob')"))
    await _eventually(forgotten, "a notification makes the process forget the member")
