"""A community where alice has left a trace of every kind (for the privacy tests)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from bot.db import schema
from bot.events import Contact, Quote
from handlers.campaigns.tables import awards, campaigns
from tests.support import Chat

FORM = "/反馈 缺陷\n场景: 夜间模式下结算页文字看不清\n步骤: 打开夜间模式后进入结算页\n期望：文字清楚可读"
ALICE_WORDS = "我的订单一直显示待发货已经三天了"


async def alice_everywhere(chat: Chat) -> None:
    """Messages, thanks both ways, points, a title, feedback (+1'd by bob), a thread, KOC records, a welcome."""
    await chat.join("alice")
    await chat.say("alice", ALICE_WORDS, message_id="m-1")
    await chat.say("bob", "谢谢 @alice 帮我看了物流")
    await chat.say("alice", "谢谢 @bob 你的教程很有用")
    await chat.say(
        "carol", "我也是这样", quote=Quote(text=ALICE_WORDS, sender=Contact("alice", "alice"), message_id="m-1")
    )
    await chat.say("mod", "/points grant @alice 20 帮忙整理 FAQ")
    await chat.say("mod", "/title grant @alice 热心答主")
    await chat.dm("alice", FORM)
    await chat.say("bob", "/反馈 +1 FB-1 我也看不清")
    await chat.say(
        "mod",
        "/issue open 订单一直待发货",
        quote=Quote(text=ALICE_WORDS, sender=Contact("alice", "alice"), message_id="m-1"),
    )
    await chat.say("mod", "/issue note 1 alice 很着急，物流部在查")
    await chat.say("mod", "/koc promote @alice 私域")
    await chat.say("mod", "/koc promise @alice 新品试用装 --due 2026-12-20")
    await chat.say("mod", "/koc rest @alice 最近太忙")
    await _campaign_award(chat)
    chat.transport.take()


async def _campaign_award(chat: Chat) -> None:
    """A campaign reward (its ignition measures need weeks of chat: written as the reward job would)."""
    now = chat.app.services.clock.now()
    async with chat.app.database.write_transaction() as conn:
        ids = dict((await conn.execute(select(schema.members.c.platform_id, schema.members.c.id))).all())
        campaign = await conn.execute(
            insert(campaigns)
            .values(
                name="新品预热",
                launch_on=date(2026, 12, 20),
                timezone="Asia/Shanghai",
                starts_at=now,
                ends_at=now,
                keywords=[],
                talking_points=[],
                created_by=ids["mod"],
                created_at=now,
            )
            .returning(campaigns.c.id)
        )
        await conn.execute(
            insert(awards).values(
                campaign_id=campaign.scalar_one(),
                period="campaign",
                rule=0,
                member_id=ids["alice"],
                rank=1,
                measure="replies",
                value=12.0,
                points=30,
                title="点火达人",
                awarded_at=now,
            )
        )
