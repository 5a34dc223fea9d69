"""/outbox and /outbox retry: what moderators see of the outbox, and sending a parked message again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.app import App
from bot.db import schema
from bot.db.schema import Delivery
from bot.outbox import Draft
from tests.support import Chat, enqueue, rows

OUTBOX = schema.outbox
RETRY_HELP = "重试一条：/发件箱 重试 编号；全部重试：/发件箱 重试 失败"


@pytest.fixture
def settings_overrides() -> dict:
    return {"outbox": {"jitter_ratio": 0, "retry_base_seconds": 10, "max_attempts": 2}}


async def _queue(app: App, *drafts: Draft) -> None:
    async with app.engine.begin() as conn:
        for draft in drafts:
            await enqueue(conn, draft, app.clock.now(), app.database.addressing)


async def _park(app: App, transport, *drafts: Draft) -> None:
    """Queue `drafts`, one at a time, while the platform refuses each until it is parked (the staff
    notices, which go first of what is due then, are sent and dropped)."""
    for draft in drafts:
        transport.failures_to_simulate = 2
        await _queue(app, draft)
        await app.advance_to(app.clock.now() + timedelta(minutes=5))
    transport.take()


def _announcement(text: str = "第一条公告\n第二行", room: str = "r1") -> Draft:
    return Draft(text, "t", "zh_CN", room_id=room, delivery=Delivery.ROUTINE)


async def test_outbox_shows_counts_failed_and_recently_sent(chat: Chat, app: App, transport) -> None:
    await chat.say("bob", "hello", room="r1")  # the bot learns the room's name
    await _park(app, transport, _announcement())
    later = app.clock.now() + timedelta(days=1)
    await _queue(
        app,
        Draft("明天的公告", "t", "zh_CN", room_id="r1", not_before=later, delivery=Delivery.ROUTINE),
        Draft("another account's", "t", "zh_CN", room_id="r9", delivery=Delivery.ROUTINE),
        Draft("in flight", "t", "zh_CN", room_id="r8", delivery=Delivery.ROUTINE),
    )
    async with app.engine.begin() as conn:  # another account's process has these
        await conn.execute(update(OUTBOX).where(OUTBOX.c.room_platform_id.in_(["r8", "r9"])).values(account="other"))
        await conn.execute(update(OUTBOX).where(OUTBOX.c.room_platform_id == "r8").values(status="sending"))
    assert await chat.dm("mod", "/outbox") == [
        "[dm mod] 📮 发件箱\n"
        "· 待发送：1 条现在就发，1 条定时稍后发\n"
        "  回复：0 条\n"
        "  通知：0 条\n"
        "  群发和推送：1 条，最早的 #5 → 群「r9」，刚开始等\n"
        "· 正在发送：1 条\n"
        "· 发送失败（已暂停）：1 条\n"
        "【发送失败】\n"
        "#1 → 群「r1」，试了 2 次：TransportError('simulated platform failure')\n"
        f"{RETRY_HELP}\n"
        "【最近发出】\n"
        "#3 12-01 09:00 → 私信 mod：【消息没能发出】发往群「r1」的消息 #1 试了 2 次都…\n"
        "#2 12-01 09:00 → 私信 admin：【消息没能发出】发往群「r1」的消息 #1 试了 2 次都…"
    ]
    replies = await chat.say("mod", "/发件箱")  # in a group: the answer comes privately
    assert replies[0] == "[dm mod] 发件箱的情况已经私信发给你啦 📬"
    assert replies[1].startswith("[dm mod] 📮 发件箱\n")


async def test_an_empty_outbox(chat: Chat) -> None:
    assert await chat.dm("mod", "/发件箱") == [
        "[dm mod] 📮 发件箱\n· 待发送：0 条现在就发，0 条定时稍后发\n· 正在发送：0 条\n· 发送失败（已暂停）：0 条\n"
        "还没有发出过消息。"
    ]


async def test_retry_one_sends_it_again_with_its_tries_reset(chat: Chat, app: App, transport) -> None:
    await _park(app, transport, _announcement())
    assert await chat.dm("mod", "/outbox retry 1") == [  # the answer first: it is a reply
        "[dm mod] 消息 #1 已经放回发件箱，马上重新发送。",
        "[r1] 第一条公告\n第二行",
    ]
    [row] = await rows(app, OUTBOX, OUTBOX.c.id == 1)
    assert (row.status, row.attempts) == ("sent", 1)
    assert await chat.dm("mod", "/发件箱 重试 #1") == ["[dm mod] 消息 #1 已经发出去了，只有发送失败的消息才需要重试。"]
    [audit, again] = await rows(app, schema.audit_log)
    assert (audit.action, audit.outcome, audit.details) == ("outbox retry", "ok", {"args": "1", "retried": [1]})
    assert (again.action, again.outcome) == ("outbox retry", "ok")


async def test_retry_refuses_an_unknown_or_pending_message(chat: Chat, app: App, transport) -> None:
    await _queue(
        app,
        Draft(
            "明天的公告",
            "t",
            "zh_CN",
            room_id="r1",
            not_before=app.clock.now() + timedelta(days=1),
            delivery=Delivery.ROUTINE,
        ),
    )
    assert await chat.dm("mod", "/outbox retry 99") == [
        "[dm mod] 发件箱里没有编号为 #99 的消息。发送 /发件箱 可以查看发送失败的消息和它们的编号。"
    ]
    assert await chat.dm("mod", "/outbox retry 1") == ["[dm mod] 消息 #1 还在等待发送，只有发送失败的消息才需要重试。"]
    usage = (
        "请写上要重试的消息编号，或者写“失败”重试全部发送失败的消息，例如：/发件箱 重试 12\n"
        "正确的用法：/发件箱 重试 编号|失败 （或 /outbox retry ID|failed）"
    )
    assert await chat.dm("mod", "/outbox retry") == [f"[dm mod] {usage}"]
    assert await chat.dm("mod", "/outbox retry soon") == [f"[dm mod] {usage}"]
    assert await chat.dm("mod", "/outbox retry 1 2") == [f"[dm mod] {usage}"]


async def test_retry_failed_sends_every_parked_message_again(chat: Chat, app: App, transport) -> None:
    assert await chat.dm("mod", "/发件箱 重试 失败") == ["[dm mod] 发件箱里没有发送失败的消息，不需要重试 👍"]
    await _park(app, transport, _announcement("一", "r1"), _announcement("二", "r2"))
    parked = [r.id for r in await rows(app, OUTBOX, OUTBOX.c.status == "failed")]
    assert parked == [2, 5]  # #3 and #4 are the notices to the staff
    assert await chat.dm("mod", "/outbox retry failed") == [
        "[dm mod] 2 条发送失败的消息已经放回发件箱，马上重新发送：#2、#5",
        "[r1] 一",
        "[r2] 二",
    ]
    assert {r.status for r in await rows(app, OUTBOX)} == {"sent"}


async def test_members_may_not_see_or_retry_the_outbox(chat: Chat, app: App) -> None:
    assert await chat.say("alice", "/outbox") == [
        "[playground] @alice 抱歉，/outbox 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    assert await chat.dm("alice", "/发件箱 重试 失败") == [
        "[dm alice] 抱歉，/outbox retry 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    assert [(a.action, a.outcome) for a in await rows(app, schema.audit_log)] == [
        ("outbox", "refused"),
        ("outbox retry", "refused"),
    ]


@pytest.mark.parametrize("settings_overrides", [{"bot": {"locale": "en"}, "outbox": {"max_attempts": 1}}])
async def test_in_english(chat: Chat, app: App, transport) -> None:
    transport.failures_to_simulate = 1
    await _queue(app, Draft("Launch day!", "t", "en", contact_id="bob", delivery=Delivery.ROUTINE))
    await app.drain()  # the staff are told in the same round
    assert [m.text for m in transport.take()] == [
        "[Message not delivered] Message #1 to bob (private) failed 1 time and is parked.\n"
        "Last error: TransportError('simulated platform failure')\n"
        "Once the cause is fixed, send /outbox retry 1 to send it again (/outbox lists every parked message).",
    ] * 2
    assert await chat.dm("mod", "/outbox") == [
        "[dm mod] 📮 Outbox\n- pending: 0 due now, 0 scheduled for later\n- being sent: 0\n- failed (parked): 1\n"
        "Failed:\n#1 to bob (private), 1 try: TransportError('simulated platform failure')\n"
        "Retry one: /outbox retry ID; all of them: /outbox retry failed\n"
        "Recently sent:\n"
        "#3 12-01 09:00 to mod (private): [Message not delivered] Messa…\n"
        "#2 12-01 09:00 to admin (private): [Message not delivered] Messa…"
    ]
    assert await chat.dm("mod", "/outbox retry all") == [
        "[dm mod] Message #1 is back in the outbox and will be sent again now.",
        "[dm bob] Launch day!",
    ]
    assert await chat.dm("mod", "/outbox retry 1") == [
        "[dm mod] Message #1 has already been sent; only failed messages need a retry."
    ]
