"""The console's page of a month: the report's own numbers, and the counts a finished month keeps, counted
again whenever what they were counted from changes (a message pruned or logged, a thank-you or revocation
added, the bot's echo found); names and the month in progress are never kept."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Hashable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from bot.clock import FakeClock
from bot.db import schema
from bot.maintenance import RetentionPruner
from bot.stamped import StampedCache
from handlers.privacy.erase import Person, erase
from handlers.recognition.tables import actions, revocations, thanks
from handlers.reports.figures import Day
from handlers.reports.month import window
from handlers.reports.queries import month_figures, month_summary
from tests.support import Chat
from tests.test_monthly_report import COMMUNITIES, at, seed
from tests.web_support import LINK, console_client, sign_in

T = TypeVar("T")
NOVEMBER_OVER = at(1, 9, month=12)
HAND_COUNTED = [("新品体验一群", 4, 3, 1, 5, 3, 4, 2, 2), ("二群", 1, 0, 1, 3, 2, 1, 1, 2)]


@pytest.fixture
def settings_overrides() -> dict:
    return {"communities": COMMUNITIES}


class Counting(StampedCache):
    """A StampedCache that notes each count it had to make (what was counted: "talk", "thanks")."""

    def __init__(self) -> None:
        super().__init__()
        self.counted: list[str] = []

    async def remember(self, key: Hashable, stamp: Hashable, count: Callable[[], Awaitable[T]]) -> T:
        async def noted() -> T:
            assert isinstance(key, tuple)
            self.counted.append(key[0])
            return await count()

        return await super().remember(key, stamp, noted)


def numbers(figures: Any) -> tuple:
    """What the page shows: each room's figures, the totals and the days."""
    rooms = [
        (c.name, c.members, c.joined, c.left, c.messages, c.active, c.thanks, c.feedback, c.threads)
        for c in figures.communities
    ]
    return rooms, figures.messages, figures.active_members, figures.thanks, figures.feedback_items, figures.days


async def summary(app, months: StampedCache | None, now: datetime = NOVEMBER_OVER) -> Any:
    async with app.engine.connect() as conn:
        return await month_summary(conn, app.services.settings, window("2026-11", now, "Asia/Shanghai"), months)


async def figures(app, months: StampedCache | None = None, now: datetime = NOVEMBER_OVER) -> Any:
    async with app.engine.connect() as conn:
        return await month_figures(conn, app.services.settings, window("2026-11", now, "Asia/Shanghai"), months)


async def add(app, table: Any, **values: Any) -> int:
    async with app.engine.begin() as conn:
        return (await conn.execute(insert(table).values(**values).returning(table.c.id))).scalar_one()


async def member_id(app, platform_id: str, table: Any = schema.members) -> int:
    async with app.engine.connect() as conn:
        return (await conn.execute(select(table.c.id).where(table.c.platform_id == platform_id))).scalar_one()


async def test_the_page_shows_the_reports_own_numbers(app) -> None:
    await seed(app.engine)
    whole = numbers(await figures(app))
    assert whole[:5] == (HAND_COUNTED, 8, 3, 5, 5)
    assert whole[5][0] == Day(date(2026, 11, 1), 3, 2) and whole[5][1] == Day(date(2026, 11, 2), 3, 2)
    assert numbers(await summary(app, None)) == whole
    months = Counting()
    assert numbers(await summary(app, months)) == whole  # counted, then kept
    assert numbers(await summary(app, months)) == whole
    assert numbers(await figures(app, months)) == whole  # the whole report reads the same kept counts
    assert months.counted == ["talk", "thanks"]


async def test_a_kept_month_is_counted_again_when_a_message_is_pruned_or_logged(app, clock: FakeClock) -> None:
    await seed(app.engine)
    months = Counting()
    await summary(app, months)
    # Retention deletes alice's two messages in 新品体验一群 on the 1st (and October's before them).
    await RetentionPruner(app.database, clock, 1).prune(at(1, 10, 30))
    pruned = await summary(app, months)
    assert numbers(pruned) == numbers(await figures(app))
    assert (pruned.communities[0].messages, pruned.communities[0].active, pruned.messages) == (3, 2, 6)
    assert pruned.days[0] == Day(date(2026, 11, 1), 1, 1)
    await add(
        app,
        schema.messages,
        platform_msg_id="late",
        member_id=await member_id(app, "erin"),
        community_id=await member_id(app, "two", schema.communities),
        kind="text",
        text="…",
        mentions=[],
        received_at=at(20, 12),
    )
    logged = await summary(app, months)
    assert numbers(logged) == numbers(await figures(app))
    assert (logged.communities[1].messages, logged.communities[1].active, logged.active_members) == (4, 3, 4)
    assert months.counted == ["talk", "thanks", "talk", "talk"]


async def test_a_kept_month_is_counted_again_when_the_bots_echo_is_found(app) -> None:
    await seed(app.engine)
    months = Counting()
    await summary(app, months)
    # bob's message in 二群 on the 2nd turns out to be the bot's own, echoed: none of bob's messages count.
    await add(
        app,
        schema.outbox,
        created_at=at(2, 10),
        not_before=at(2, 10),
        status="sent",
        room_platform_id="two",
        text="…",
        mentions=[],
        template="t",
        locale="zh_CN",
        platform_msg_id="seed-9",
    )
    echoed = await summary(app, months)
    assert numbers(echoed) == numbers(await figures(app))
    assert [(c.messages, c.active) for c in echoed.communities] == [(3, 2), (1, 1)]
    assert months.counted == ["talk", "thanks", "talk"]


async def test_a_kept_month_is_counted_again_when_a_thank_you_or_revocation_is_added(app) -> None:
    await seed(app.engine)
    months = Counting()
    await summary(app, months)
    ids = {who: await member_id(app, who) for who in ("alice", "carol", "mod")}
    playground = (await summary(app, None)).communities[0]
    given = await add(
        app,
        thanks,
        giver_id=ids["alice"],
        receiver_id=ids["carol"],
        community_id=await member_id(app, "playground", schema.communities),
        month="2026-11",
        created_at=at(20),
        reason="谢谢",
        via="message",
        counted=True,
    )
    more = await summary(app, months)
    assert numbers(more) == numbers(await figures(app))
    assert (more.communities[0].thanks, more.thanks) == (playground.thanks + 1, 6)
    action = await add(app, actions, kind="thanks_revoke", actor_id=ids["mod"], created_at=at(21))
    await add(app, revocations, thanks_id=given, action_id=action, created_at=at(21))
    fewer = await summary(app, months)
    assert numbers(fewer) == numbers(await figures(app))
    assert fewer.thanks == 5
    assert months.counted == ["talk", "thanks", "thanks", "thanks"]


async def test_names_are_read_on_every_visit_and_erasure_keeps_the_counts(app) -> None:
    await seed(app.engine)
    months = Counting()
    before = await figures(app, months)
    assert [h.name for h in before.helpers] == ["bob", "alice"]
    bob = await member_id(app, "bob")
    async with app.engine.begin() as conn:
        await erase(conn, Person(bob, "bob", "bob", "成员甲"))
    after = await figures(app, months)
    assert [h.name for h in after.helpers] == ["成员甲", "alice"]
    assert numbers(after) == numbers(before)
    assert months.counted == ["talk", "thanks"]  # erasure changed none of the counted rows


async def test_the_month_in_progress_is_never_kept(app) -> None:
    await seed(app.engine)
    months = Counting()
    now = at(30, 12)
    first = await summary(app, months, now)
    async with app.engine.begin() as conn:
        m = schema.messages.c
        await conn.execute(update(schema.messages).where(m.platform_msg_id == "seed-2").values(routed_to="/月报"))
    second = await summary(app, months, now)
    assert (first.messages, second.messages) == (7, 6)  # the 30th at 23:59 is not yet; the command is no message
    assert months.counted == []


async def test_the_console_page_of_a_finished_month_follows_its_messages(app, chat: Chat, clock: FakeClock) -> None:
    def tiles(page: str) -> list[str]:
        return re.findall(r'<div class="tile"><b>(\d+)</b>', page)

    await chat.say("bob", "大家好")
    await chat.say("carol", "谢谢 @bob 帮我解决了问题")
    client = await console_client(app)
    await sign_in(client, chat)
    month = clock.now().astimezone(ZoneInfo(app.services.settings.bot.timezone)).strftime("%Y-%m")
    assert tiles((await client.get(f"/reports/{month}")).text) == ["2", "2", "1", "0"]
    clock.advance(timedelta(days=35))  # the month is over: its counts are kept
    replies = await chat.dm("mod", "/console")  # the jobs missed meanwhile say so in the same turn
    token = next(found[1] for found in map(LINK.search, replies) if found)
    assert (await client.post(f"/signin/{token}")).status_code == 303
    for _ in range(2):
        assert tiles((await client.get(f"/reports/{month}")).text) == ["2", "2", "1", "0"]
    await RetentionPruner(app.database, clock, 1).prune(clock.now())
    assert tiles((await client.get(f"/reports/{month}")).text) == ["0", "0", "1", "0"]
