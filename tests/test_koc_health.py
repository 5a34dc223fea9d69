"""Early warning: /koc health shows each active KOC's last four weeks, the silent ones first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db import schema
from tests.conftest import START
from tests.support import Chat

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"


async def _active(app, *names: str) -> None:
    async with app.engine.begin() as conn:
        await conn.execute(
            schema.members.update().where(schema.members.c.platform_id.in_(names)).values(stage="active")
        )


async def test_health_flags_the_silent_first_with_their_weekly_trend(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await chat.say("bob", "新版本的续航确实好了不少")
    await chat.say("bob", BUG)  # a command: counted as feedback, not as a community message (bot.talk)
    await chat.say("fan0", "谢谢 @bob")
    await chat.say("fan2", "@dave 在吗")  # dave is known, and has never written
    await chat.say("erin", "我只是普通群友")  # not a KOC: not listed
    await _active(app, "bob", "dave")
    await app.advance_to(START + timedelta(days=15))
    await chat.say("carol", "早上好，我来分享一下周末的骑行")
    await chat.say("fan1", "谢谢 @carol")
    await _active(app, "carol")
    chat.transport.take()
    # Weeks end now (START + 15 days): START falls in the third of the four, oldest first.
    assert await chat.say("mod", "/koc 状态") == [
        "[dm mod] KOC 状态已私信发给你。",
        "[dm mod] 活跃 KOC 最近 4 周的状态（每周一个数，从早到近）：\n"
        "⚠️ 超过 14 天没有发言，建议主动问候一下：\n"
        "· dave：消息 0 → 0 → 0 → 0，感谢 0 → 0 → 0 → 0，反馈 0 → 0 → 0 → 0（还没有发过言）\n"
        "· bob：消息 0 → 2 → 0 → 0，感谢 0 → 1 → 0 → 0，反馈 0 → 1 → 0 → 0（最后发言 15天前）\n"
        "其余 KOC：\n"
        "· carol：消息 0 → 0 → 0 → 1，感谢 0 → 0 → 0 → 1，反馈 0 → 0 → 0 → 0（今天发过言）",
    ]


@pytest.mark.parametrize("settings_overrides", [{"koc": {"silent_days": 20}}])
async def test_the_silence_threshold_is_configurable_and_no_kocs_is_said_plainly(chat: Chat, app) -> None:
    assert await chat.dm("mod", "/koc health") == ["[dm mod] 现在还没有活跃 KOC。"]
    await chat.say("bob", "大家好")
    await _active(app, "bob")
    await app.advance_to(START + timedelta(days=15))
    chat.transport.take()
    assert await chat.dm("mod", "/koc health") == [
        "[dm mod] 活跃 KOC 最近 4 周的状态（每周一个数，从早到近）：\n大家都很活跃：\n"
        "· bob：消息 0 → 1 → 0 → 0，感谢 0 → 0 → 0 → 0，反馈 0 → 0 → 0 → 0（最后发言 15天前）"
    ]
    assert (await chat.say("bob", "/koc health"))[0].startswith(
        "[playground] @bob 抱歉，/koc health 只有社群运营可以使用"
    )
