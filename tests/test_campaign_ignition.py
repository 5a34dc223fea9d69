"""Ignition on a scripted conversation: every figure below is counted by hand from the script."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.app import App
from bot.clock import FakeClock
from bot.db import schema
from bot.events import Quote
from handlers.campaigns import ignition, store
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.tables import campaign_rooms, campaigns
from tests.support import Chat, contact, make_message

SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTS = datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)  # the campaign starts a week after the room was first seen


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


async def member_id(app: App, platform_id: str) -> int:
    async with app.engine.connect() as conn:
        return (
            await conn.execute(select(schema.members.c.id).where(schema.members.c.platform_id == platform_id))
        ).scalar_one()


async def create_campaign(
    app: App,
    *,
    rooms: tuple[str, ...] = ("playground",),
    keywords: tuple[str, ...] = (),
    starts: datetime = STARTS,
    ends: datetime | None = None,
) -> int:
    async with app.engine.begin() as conn:
        creator = (await conn.execute(select(schema.members.c.id).limit(1))).scalar_one()
        campaign_id = (
            await conn.execute(
                insert(campaigns)
                .values(
                    name="X1 预热",
                    launch_on=date(2026, 12, 15),
                    timezone="Asia/Shanghai",
                    starts_at=starts,
                    ends_at=ends or starts + timedelta(days=30),
                    keywords=list(keywords),
                    talking_points=[],
                    status="open",
                    created_by=creator,
                    created_at=starts,
                )
                .returning(campaigns.c.id)
            )
        ).scalar_one()
        for room in rooms:
            community = (
                await conn.execute(select(schema.communities.c.id).where(schema.communities.c.platform_id == room))
            ).scalar_one()
            await conn.execute(insert(campaign_rooms).values(campaign_id=campaign_id, community_id=community))
    return campaign_id


async def baseline(app: App, clock: FakeClock, chat: Chat) -> None:
    """A week of history before the campaign: 7 messages a day between 10:00 and 11:00 (so the usual
    rate at 10 o'clock is 7 an hour: 3.5 in a 30-minute window), and nothing at 15 o'clock."""
    await chat.say("zed", "大家好")  # 2026-12-01 09:00: the room's first message
    zed = await member_id(app, "zed")
    async with app.engine.begin() as conn:
        community = (
            await conn.execute(select(schema.communities.c.id).where(schema.communities.c.platform_id == "playground"))
        ).scalar_one()
        await conn.execute(
            insert(schema.messages),
            [
                {
                    "platform_msg_id": f"history-{day}-{n}",
                    "community_id": community,
                    "member_id": zed,
                    "kind": "text",
                    "text": "闲聊",
                    "mentions": [],
                    "received_at": local(day, 10, 5 * n),
                }
                for day in range(1, 8)
                for n in range(7)
            ],
        )


async def conversation(chat: Chat, clock: FakeClock) -> None:
    """Kate (an active KOC) starts a discussion at 10:00 on 9 December."""

    async def at(minute: int, message) -> None:
        clock.set(local(9, 10, minute))
        await chat.send(message)

    await at(0, make_message("新品 X1 你们期待吗？", "kate", message_id="m1"))
    await at(5, make_message("期待 x1！", "bob", quote=Quote("新品 X1 你们期待吗？", contact("kate"), "m1")))
    await at(6, make_message("/ping", "bob"))  # a command: not discussion
    await at(10, make_message("@kate 什么时候上市？", "carol"))
    clock.set(local(9, 10, 12))
    await chat.join("dave")
    await at(15, make_message("新品颜色好看", "dave"))
    await at(20, make_message("月底哦", "kate", message_id="m2"))
    await at(25, make_message("好的", "bob"))
    await at(40, make_message("新品在哪买", "erin"))
    await at(45, make_message("月底太好了", "carol", quote=Quote("月底哦", contact("kate"), "m2")))


@pytest.fixture
async def measured(app: App, clock: FakeClock, chat: Chat) -> ignition.Measured:
    await baseline(app, clock, chat)
    clock.set(local(2, 9))
    await chat.dm("kate", "你好")  # seen (in private: no room's figures change): only then a KOC
    await chat.say("mod", "/koc promote @kate 私域")
    campaign_id = await create_campaign(app, keywords=("新品", "X1"))
    await conversation(chat, clock)
    clock.set(local(10, 9))
    async with app.engine.connect() as conn:
        campaign = await store.load(conn, campaign_id)
        assert campaign is not None
        return await ignition.measure_campaign(
            conn, campaign, app.services.settings.section(CampaignsSection), clock.now()
        )


def spark(measured: ignition.Measured, message_id: str) -> ignition.Spark:
    return next(s for s in measured.sparks if s.message_id == message_id)


async def test_a_kocs_message_and_the_discussion_it_started(measured: ignition.Measured) -> None:
    m1 = spark(measured, "m1")
    # In (10:00, 10:30]: bob 10:05 (quotes it, says x1), carol 10:10 (@kate), dave joins 10:12 and says
    # 新品 at 10:15, kate 10:20, bob 10:25; bob's /ping is a command and counts nowhere.
    assert (m1.koc, m1.replies, m1.mentions, m1.volume, m1.participants, m1.keywords, m1.joins) == (
        True,
        1,
        1,
        5,
        3,
        2,
        1,
    )
    assert m1.expected == pytest.approx(3.5)  # 7 an hour at 10 o'clock, for half an hour
    assert m1.lift == pytest.approx(1.5)
    # 3*1 replies + 2*1 mentions + 2*3 participants + 1*2 keywords + 5*1 joins + 0.5*1.5 lift
    assert m1.score == pytest.approx(18.75)
    m2 = spark(measured, "m2")
    # In (10:20, 10:50]: bob 10:25, erin 10:40 (新品), carol 10:45 (quotes it): below the usual 3.5.
    assert (m2.replies, m2.mentions, m2.volume, m2.participants, m2.keywords, m2.joins) == (1, 0, 3, 3, 1, 0)
    assert m2.lift == pytest.approx(-0.5)
    assert m2.score == pytest.approx(3 + 2 * 3 + 1)  # no credit for a negative lift


async def test_a_members_sums_count_overlapping_windows_once(measured: ignition.Measured) -> None:
    [kate] = measured.kocs
    # Her two windows cover (10:00, 10:50] together: 7 messages, not 5 + 3.
    assert (kate.name, kate.messages, kate.replies, kate.mentions, kate.volume) == ("kate", 2, 2, 1, 7)
    assert (kate.participants, kate.keywords, kate.joins) == (4, 3, 1)  # bob, carol, dave, erin
    assert kate.expected == pytest.approx(3.5 + 7 * 20 / 60)  # (10:00, 10:30] then (10:30, 10:50]
    assert kate.score == pytest.approx(3 * 2 + 2 * 1 + 2 * 4 + 1 * 3 + 5 * 1 + 0.5 * (7 - 3.5 - 7 * 20 / 60))
    assert kate.best is not None and kate.best.message_id == "m1"


async def test_ordinary_members_are_ranked_apart_from_kocs(measured: ignition.Measured) -> None:
    names = [m.name for m in measured.members]
    assert "kate" not in names and "zed" not in names  # zed spoke only before the campaign
    bob = next(m for m in measured.members if m.name == "bob")
    # bob 10:05 then 10:25: (10:05, 10:55] holds carol, dave, kate, bob's own 10:25, erin, carol.
    assert (bob.messages, bob.volume, bob.participants, bob.keywords, bob.joins, bob.replies) == (2, 6, 4, 2, 1, 0)
    assert measured.messages == 8  # the discussion messages of the campaign read: 9 sent, /ping left out


async def test_the_usual_rate_is_that_hours_and_a_new_room_has_none(app: App, clock: FakeClock, chat: Chat) -> None:
    await baseline(app, clock, chat)
    clock.set(local(8, 8, 30))
    await chat.say("newcomer", "hi", room="fresh")  # first seen half an hour before the campaign
    campaign_id = await create_campaign(app, rooms=("playground", "fresh"))
    clock.set(local(9, 15))
    await chat.say("kate", "下午好")
    clock.set(local(9, 15, 10))
    await chat.say("bob", "下午好呀")
    clock.set(local(9, 15, 20))
    await chat.say("newcomer", "下午", room="fresh")
    async with app.engine.connect() as conn:
        campaign = await store.load(conn, campaign_id)
        assert campaign is not None
        measured = await ignition.measure_campaign(
            conn, campaign, app.services.settings.section(CampaignsSection), local(10, 9).astimezone(UTC)
        )
    kate = await member_id(app, "kate")
    afternoon = next(s for s in measured.sparks if s.member_id == kate)
    assert (afternoon.volume, afternoon.expected, afternoon.lift) == (1, 0.0, 1.0)  # nobody usually talks at 15:00
    fresh = next(s for s in measured.sparks if s.community_id != afternoon.community_id)
    assert (fresh.volume, fresh.expected, fresh.lift) == (0, None, None)  # too new to know its usual rate


async def test_the_bots_own_messages_echoed_back_are_not_discussion(app: App, clock: FakeClock, chat: Chat) -> None:
    await baseline(app, clock, chat)
    campaign_id = await create_campaign(app)
    clock.set(local(9, 20))
    await chat.say("kate", "今晚有线索吗？")
    clock.set(local(9, 20, 1))
    await chat.say("bob", "等等看")
    # The bot's clue, as WeChat echoes it back: logged like any message, sent through the outbox.
    async with app.engine.begin() as conn:
        await conn.execute(
            insert(schema.outbox).values(
                created_at=local(9, 20, 2),
                not_before=local(9, 20, 2),
                status="sent",
                room_platform_id="playground",
                text="线索",
                mentions=[],
                template="campaigns/clue",
                locale="zh_CN",
                attempts=1,
                sent_at=local(9, 20, 2),
                platform_msg_id="echo-1",
            )
        )
    clock.set(local(9, 20, 2))
    await chat.send(make_message("线索", "kocbot-account", message_id="echo-1"))
    async with app.engine.connect() as conn:
        campaign = await store.load(conn, campaign_id)
        assert campaign is not None
        measured = await ignition.measure_campaign(
            conn, campaign, app.services.settings.section(CampaignsSection), local(10, 9).astimezone(UTC)
        )
    assert "kocbot-account" not in [i.name for i in measured.kocs + measured.members]
    kate = await member_id(app, "kate")
    first = next(s for s in measured.sparks if s.member_id == kate)
    assert (first.volume, first.participants) == (1, 1)  # bob only


async def test_an_at_mention_in_the_same_instant_as_the_message_it_answers_counts(
    app: App, clock: FakeClock, chat: Chat
) -> None:
    await baseline(app, clock, chat)
    campaign_id = await create_campaign(app)
    clock.set(local(9, 10))  # the playground's clock stands still: both in the same instant
    await chat.send(make_message("新品到了吗？", "kate", message_id="asked"))
    await chat.send(make_message("@kate 到了", "bob"))
    clock.set(local(9, 10, 1))
    await chat.send(make_message("@bob 谢谢", "kate", message_id="later"))
    async with app.engine.connect() as conn:
        campaign = await store.load(conn, campaign_id)
        assert campaign is not None
        measured = await ignition.measure_campaign(
            conn, campaign, app.services.settings.section(CampaignsSection), local(10, 9).astimezone(UTC)
        )
    asked = next(s for s in measured.sparks if s.message_id == "asked")
    assert (asked.mentions, asked.volume) == (1, 2)
    bob_id = await member_id(app, "bob")
    bob = next(s for s in measured.sparks if s.member_id == bob_id)
    assert bob.mentions == 1  # kate's @bob a minute later; his own message is no mention of him
