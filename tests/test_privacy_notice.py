"""/privacy, and the short notice in the first private message the bot ever sends a member."""

from __future__ import annotations

import pytest

from handlers.privacy.tables import notices
from tests.support import Chat, rows

POLICY_START = "[dm alice] 机器人保存了你的哪些信息、为什么、保存多久：\n· 你在群里和私聊里发的消息：用于回复你、统计社群活跃度，保存 30 天。"
NOTICE = (
    "（机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。"
    "发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）"
)


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "privacy": {"erase_after_hours": 48, "notice_in_first_message": True},
        "database": {"message_retention_days": 30},
    }


async def test_privacy_answers_privately_with_the_configured_figures(chat: Chat, app) -> None:
    replies = await chat.say("alice", "/隐私")
    assert replies[0] == "[playground] @alice 我私信你了：机器人保存了什么、保存多久，以及你可以怎么做。"
    assert replies[1].startswith(POLICY_START)
    assert "确认后 48 小时执行，期间发 /取消删除 可以撤回" in replies[1]
    assert len(replies) == 2
    english = await chat.dm("bob", "/privacy")
    assert english[0].startswith("[dm bob] 机器人保存了你的哪些信息")  # the member's language: Chinese by default


async def test_the_first_private_message_ever_carries_the_notice_once(chat: Chat, app) -> None:
    assert await chat.dm("carol", "/ping") == [f"[dm carol] 我在呢，一切正常。\n{NOTICE}"]
    assert await chat.dm("carol", "/ping") == ["[dm carol] 我在呢，一切正常。"]
    [told] = await rows(app, notices)
    assert told.noticed_at == app.services.clock.now()


async def test_whoever_asked_for_the_policy_gets_no_notice_after_it(chat: Chat, app) -> None:
    await chat.dm("dave", "/隐私")
    assert await chat.dm("dave", "/ping") == ["[dm dave] 我在呢，一切正常。"]


async def test_a_room_reply_is_no_private_message(chat: Chat, app) -> None:
    assert await chat.say("erin", "/ping") == ["[playground] @erin 我在呢，一切正常。"]
    assert await rows(app, notices) == []
