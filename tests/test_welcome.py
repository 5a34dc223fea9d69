"""Welcome messages: once per member and room, ever; the moderators' own welcome; held in quiet hours."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.db import schema
from handlers.outreach.tables import custom_templates, welcomes
from tests.conftest import START
from tests.support import Chat, rows

WELCOME_DAVE = (
    "[playground] 欢迎 @dave 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，"
    "发送 /帮助 可以看看我能帮你做什么。"
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON_MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))  # 18:00 in Shanghai


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "communities": [
            {"id": "playground", "name": "Playground"},
            {"id": "overseas", "name": "Overseas users", "locale": "en", "timezone": "Europe/London"},
        ]
    }


async def test_a_new_member_is_welcomed_once_even_after_rejoining(chat: Chat, app) -> None:
    assert await chat.join("dave") == [WELCOME_DAVE]
    assert await chat.leave("dave") == []
    assert await chat.join("dave") == []
    [post] = list(await rows(app, schema.outbox))
    assert (post.mentions, post.delivery, post.template) == (["dave"], "routine", "outreach/welcome")
    ids = {m.platform_id: m.id for m in await rows(app, schema.members)}
    [welcome] = await rows(app, welcomes)
    assert (welcome.member_id, welcome.welcomed_at) == (ids["dave"], START)


async def test_each_room_welcomes_in_its_own_language(chat: Chat, app, clock) -> None:
    clock.set(LONDON_MORNING)
    assert await chat.join("dave") == [WELCOME_DAVE]
    assert await chat.join("dave", room="overseas") == [
        "[overseas] Welcome to Overseas users, @dave! 🎉 This is where we share tips and help each other: ask "
        "anything, anytime, and send /help to see what I can do for you."
    ]
    assert len(await rows(app, welcomes)) == 2


async def test_the_bot_joining_is_not_welcomed_whatever_its_nickname(chat: Chat, app) -> None:
    # The transport knows the bot's own account by its id; its WeChat nickname need not be bot.name.
    assert await chat.join("品牌小助手", is_self=True) == []
    assert await rows(app, welcomes) == []
    assert await chat.join("dave") == [WELCOME_DAVE]


def test_the_bot_added_to_a_playground_room_is_known_as_itself() -> None:
    from bot.transports.console import PlaygroundState, parse_line

    state = PlaygroundState(bot_name="kocbot", room="playground")
    assert [(e.member.id, e.is_self) for e in (parse_line(x, state) for x in ("+kocbot", "+dave", "-kocbot"))] == [
        ("kocbot", True),
        ("dave", False),
        ("kocbot", True),
    ]


@pytest.mark.parametrize("settings_overrides", [{"outreach": {"welcome": False}}])
async def test_welcomes_can_be_switched_off(chat: Chat, app) -> None:
    assert await chat.join("dave") == []
    assert await rows(app, welcomes) == []


async def test_the_moderators_own_welcome_replaces_the_built_in_one(chat: Chat, app, clock) -> None:
    clock.set(LONDON_MORNING)
    await chat.say("alice", "大家好")
    await chat.say(
        "mod",
        "/template set welcome 欢迎 @{{ member.name }}！{{ community.name }} 现在有 "
        "{{ community.members }} 位朋友。\n先看看群公告吧 📌",
    )
    assert await chat.join("dave") == ["[playground] 欢迎 @dave！Playground 现在有 3 位朋友。\n先看看群公告吧 📌"]
    await chat.say(
        "mod", "/template set welcome 欢迎新朋友，{{ community.name }} 的第 {{ community.members }} 位成员！"
    )
    assert await chat.join("erin", room="overseas") == [
        "[overseas] @erin 欢迎新朋友，Overseas users 的第 1 位成员！"
    ]  # the member is always mentioned
    posts = [r for r in await rows(app, schema.outbox) if r.template == "outreach/template_text"]
    assert [(p.mentions, p.delivery) for p in posts] == [(["dave"], "routine"), (["erin"], "routine")]


async def test_a_broken_own_welcome_falls_back_to_the_built_in_one(chat: Chat, app, caplog) -> None:
    await chat.say("mod", "/ping")
    [mod] = [m for m in await rows(app, schema.members) if m.platform_id == "mod"]
    async with app.engine.begin() as conn:  # saved fine, fails on the day: 1/0
        await conn.execute(
            custom_templates.insert().values(
                name="welcome",
                source="欢迎 {{ member.name }}！{{ 1 / 0 }}",
                variables=["member"],
                created_at=START,
                created_by=mod.id,
                updated_at=START,
                updated_by=mod.id,
            )
        )
    with caplog.at_level(logging.WARNING, logger="handlers.outreach"):
        assert await chat.join("dave") == [WELCOME_DAVE]
    assert any("the custom welcome template failed (error: division by zero)" in r.getMessage() for r in caplog.records)


async def test_a_welcome_at_night_waits_for_the_morning(chat: Chat, app, clock) -> None:
    clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI))
    assert await chat.join("dave") == []
    await app.advance_to(datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI))
    assert [f"[{m.room_id}] {m.text}" for m in chat.transport.take()] == [WELCOME_DAVE]
    assert await chat.join("dave") == []  # once, ever: the welcome that waited counts


async def test_a_welcome_held_at_night_is_dropped_when_the_member_leaves_first(chat: Chat, app, clock, caplog) -> None:
    clock.set(datetime(2026, 12, 1, 23, 0, tzinfo=SHANGHAI))
    assert await chat.join("dave") == []
    assert await chat.join("erin") == []
    await app.advance_to(datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI))
    with caplog.at_level(logging.INFO):
        assert await chat.leave("dave") == []
    assert any("dave left playground: 1 post(s) meant for them dropped" in r.getMessage() for r in caplog.records)
    await app.advance_to(datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI))
    assert [f"[{m.room_id}] {m.text}" for m in chat.transport.take()] == [WELCOME_DAVE.replace("dave", "erin")]
    assert [(r.template, r.addressee) for r in await rows(app, schema.outbox)] == [("outreach/welcome", "erin")]
    # never welcomed, so welcomed when back
    await app.advance_to(datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI))
    assert await chat.join("dave") == [WELCOME_DAVE]


async def test_a_welcome_sent_stays_sent_when_the_member_leaves(chat: Chat, app) -> None:
    assert await chat.join("dave") == [WELCOME_DAVE]
    assert await chat.leave("dave") == []
    assert await chat.join("dave") == []
    assert len(await rows(app, welcomes)) == 1
