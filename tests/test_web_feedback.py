"""The console's feedback board: an action there is the chat command (same notices, history and audit)."""

from __future__ import annotations

import pytest

from bot.db import schema
from handlers.feedback.tables import history, items
from tests.support import Chat, rows
from tests.web_support import console_client, sign_in

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
IDEA = "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式"
HEAD = "FB-1「下单页点击支付以后闪退」"


@pytest.fixture
def settings_overrides() -> dict:
    return {"delivery": {"daily_private_limit": 0}}


async def _audit(app) -> list[tuple]:
    entries = sorted(await rows(app, schema.audit_log), key=lambda a: a.id)
    return [(a.actor_id, a.action, a.outcome, a.details) for a in entries]


async def test_a_status_change_in_the_console_is_the_chat_command(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", "/反馈 +1 FB-1 安卓也闪退")
    client = await console_client(app)
    csrf = await sign_in(client, chat)
    board = await client.get("/feedback")
    assert "下单页点击支付以后闪退" in board.text and 'href="/feedback/1"' in board.text
    page = await client.post(
        "/feedback/1/status", data={"csrf": csrf, "status": "acknowledged", "reason": "已转给研发"}
    )
    assert page.status_code == 200
    assert f"{HEAD}：已提交 → 已确认收到" in page.text  # the moderator's answer, shown in the page
    await app.drain()
    sent = [f"[dm {m.contact_id}] {m.text}" for m in chat.transport.take()]
    assert sent == [
        f"[dm bob] 你的反馈 {HEAD}有新进展：已确认收到。\n说明：已转给研发",
        f"[dm carol] 你关注的反馈 {HEAD}有新进展：已确认收到。\n说明：已转给研发",
    ]  # the members are told exactly as from chat; the moderator's answer stays in the page
    [item] = await rows(app, items)
    assert item.status == "acknowledged"
    assert [(h.what, h.to_status, h.note) for h in await rows(app, history)][-1] == (
        "status",
        "acknowledged",
        "已转给研发",
    )
    from_console = (await _audit(app))[-1]
    # The same command typed in chat, on a second item, is audited the same way.
    await chat.say("bob", IDEA)
    await chat.say("mod", "/fb status FB-2 acknowledged 已转给研发")
    from_chat = (await _audit(app))[-1]
    assert from_console[:3] == from_chat[:3] == (from_console[0], "fb status", "ok")
    assert from_console[3] == {"args": "FB-1 acknowledged 已转给研发", **_without_args(from_console[3])}
    assert _without_args(from_console[3]) == {
        k: (v.replace("FB-2", "FB-1") if isinstance(v, str) else v) for k, v in _without_args(from_chat[3]).items()
    }


def _without_args(details: dict) -> dict:
    return {k: v for k, v in details.items() if k != "args"}


async def test_a_refused_change_shows_the_bots_answer_and_changes_nothing(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    client = await console_client(app)
    csrf = await sign_in(client, chat)
    page = await client.post("/feedback/1/ship", data={"csrf": csrf, "version": ""})
    assert page.status_code == 422
    assert "/反馈 上线" in page.text  # the usage reply, as chat would answer
    [item] = await rows(app, items)
    assert item.status == "submitted"
    assert (await _audit(app))[-1][1:3] == ("fb ship", "invalid")


async def test_bulk_change_confirms_once_then_reports_each_item(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("bob", BUG)
    await chat.say("bob", IDEA)  # only bugs are reproduced
    client = await console_client(app)
    csrf = await sign_in(client, chat)
    form = {"csrf": csrf, "action": "status", "status": "reproduced", "reason": "收到", "item": ["1", "2", "3"]}
    confirm = await client.post("/feedback/bulk", data=form)
    assert confirm.status_code == 200 and "/fb status FB-3 reproduced 收到" in confirm.text
    assert [i.status for i in sorted(await rows(app, items), key=lambda i: i.id)] == [
        "submitted",
        "submitted",
        "submitted",
    ]  # nothing before the confirmation
    done = await client.post("/feedback/bulk", data={**form, "confirmed": "yes"})
    assert "3 条中 2 条成功" in done.text
    assert [i.status for i in sorted(await rows(app, items), key=lambda i: i.id)] == [
        "reproduced",
        "reproduced",
        "submitted",
    ]
    assert [a[1:3] for a in (await _audit(app))[-3:]] == [
        ("fb status", "ok"),
        ("fb status", "ok"),
        ("fb status", "invalid"),
    ]


async def test_the_board_filters_by_status_words_and_plus_ones(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("bob", IDEA)
    await chat.say("carol", "/反馈 +1 FB-2")
    client = await console_client(app)
    await sign_in(client, chat)
    assert "深色模式" not in (await client.get("/feedback?q=闪退")).text
    plus = (await client.get("/feedback?plus=1")).text
    assert "屏幕太亮" in plus and "闪退" not in plus
    assert "屏幕太亮" not in (await client.get("/feedback?kind=bug")).text
