"""A driven app (tests, the playground) asks its due sources again only when something may have changed:
a commit in this process, background work finished, or the source itself ran. In real time it always asks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import FakeClock
from bot.context import Services
from bot.db import schema
from bot.registry import HandlerRegistry
from bot.transports.memory import InMemoryTransport
from bot.uow import Database
from handlers import REGISTRIES
from tests.support import Chat


class Counting:
    """Due when a member "due" exists, at the time written as their name, until it has run for that time (kept
    in memory only: its run commits nothing). Counts its asks and runs."""

    name = "counting"

    def __init__(self, database: Database, services: Services) -> None:
        self._engine = database.engine
        self._clock = services.clock
        self.asked = 0
        self.ran: list[datetime] = []
        self.runs = 0  # run_due calls

    async def next_due(self) -> datetime | None:
        self.asked += 1
        async with self._engine.connect() as conn:
            members = schema.members.c
            when = (await conn.execute(select(members.display_name).where(members.platform_id == "due"))).scalar()
        due = None if when is None else datetime.fromisoformat(when)
        return None if due in self.ran else due

    async def run_due(self) -> None:
        self.runs += 1
        async with self._engine.connect() as conn:
            members = schema.members.c
            when = (await conn.execute(select(members.display_name).where(members.platform_id == "due"))).scalar()
        if when is not None and datetime.fromisoformat(when) not in self.ran:
            self.ran.append(datetime.fromisoformat(when))


counting = HandlerRegistry("counting")
counting.add_due_source(Counting)


@pytest.fixture
def registries() -> tuple:
    return (*REGISTRIES, counting)


@pytest.fixture
def settings_overrides() -> dict:
    return {"outbox": {"jitter_ratio": 0}, "scheduler": {"jobs": {"monthly_report": {"enabled": False}}}}


def _source(app: App) -> Counting:
    return next(s for s in app.due_sources if isinstance(s, Counting))


async def _make_due(app: App, when: datetime) -> None:
    """Written as a test (or another tool) would: straight through the engine, not through the bot."""
    async with app.engine.begin() as conn:
        await conn.execute(
            schema.members.insert().values(platform_id="due", display_name=when.isoformat(), created_at=when)
        )


async def test_nothing_changed_nothing_asked(app: App, chat: Chat) -> None:
    source = _source(app)
    await app.drain()
    asked = source.asked
    await app.drain()
    await app.drain()
    assert source.asked == asked  # no commit since: the last answer stands
    # A message handled commits: asked again; its reply going out (the sender's commits) is no change to due work.
    assert await chat.say("alice", "/ping") == ["[playground] @alice 我在呢，一切正常。"]
    assert source.asked > asked
    asked = source.asked
    await app.drain()
    assert source.asked == asked


async def test_a_commit_from_outside_the_bot_is_seen(app: App, clock: FakeClock) -> None:
    source = _source(app)
    await app.drain()
    soon = clock.now() + timedelta(minutes=5)
    await _make_due(app, soon)
    await app.advance_to(soon + timedelta(minutes=1))
    assert source.ran == [soon]


async def test_a_source_that_ran_is_asked_again(app: App, clock: FakeClock) -> None:
    source = _source(app)
    first = clock.now() + timedelta(minutes=5)
    await _make_due(app, first)
    async with asyncio.timeout(60):  # run again and again, it would take minutes
        await app.advance_to(first + timedelta(hours=1))
        await app.drain()
    assert (source.ran, source.runs) == ([first], 1)  # not run again on its answer from before it ran


async def test_real_time_asks_every_time(settings, registries) -> None:
    app = await open_app(settings, transport=InMemoryTransport(), registries=registries, clock=FakeClock())
    try:
        await app.start()
        source = _source(app)
        await app.drain()
        asked = source.asked
        await app.drain()
        assert source.asked == asked + 1  # another process may have changed the database
    finally:
        await app.close()
