"""Issue threads linked to feedback items, notices in an English group, and the weekly digest for the scheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.threads.tables import feedback_links
from tests.conftest import START
from tests.support import Chat, rows

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"


@pytest.fixture
def settings_overrides() -> dict:
    # Not about quiet hours: the English group's notice is posted at midnight in London on purpose.
    return {
        "communities": [{"id": "overseas", "name": "Overseas users", "locale": "en", "timezone": "Europe/London"}],
        "delivery": {"quiet_hours": ""},
    }


async def test_a_thread_links_to_feedback_and_shipping_prompts_its_resolution(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("mod", "/issue open 支付闪退 @bob")
    assert await chat.say("mod", "/issue link 1 FB-9") == ["[dm mod] 没有找到反馈 FB-9。"]
    assert await chat.dm("mod", "/issue link 1 FB-1") == [
        "[dm mod] #1 已关联反馈：FB-1。反馈上线时会提醒你发布处理结果。"
    ]
    assert await chat.dm("mod", "/issue link 1") == [
        "[dm mod] 在群里关联时可以 @ 反馈人或引用消息；私信里只能关联反馈（FB-编号）。\n"
        "正确的用法：/问题 关联 编号 [@反馈人] [FB-编号] （可引用消息；或 /issue link）"
    ]
    assert [(link.thread_id, link.item_id) for link in await rows(app, feedback_links)] == [(1, 1)]
    replies = await chat.say("mod", "/fb ship FB-1 v2.3")
    assert (
        "[dm mod] FB-1 已上线，它关联的问题 #1「支付闪退」还没有发布处理结果。"
        "可以用 /问题 解决 1 处理结果 --preview 先预览。"
    ) in replies
    [show] = await chat.say("mod", "/issue show 1")
    assert "关联反馈：FB-1" in show


async def test_a_notice_in_an_english_group_speaks_english_in_its_time_zone(chat: Chat, app, clock) -> None:
    clock.set(START + timedelta(hours=-2))  # 2026-11-30 23:00 in London, 07:00 on Dec 1 in Shanghai
    await chat.say("mod", "/issue open 登录失败 @bob")
    await chat.say("mod", "/issue link 1 @jane", room="overseas")
    clock.set(START + timedelta(hours=23))  # Wednesday Dec 2: 00:00 in London, 08:00 in Shanghai
    assert await chat.say("mod", "/issue resolve 1 Fixed in version 2.3") == [
        "[dm mod] #1 的处理结果发布到：playground、Overseas users。",
        "[playground] @bob 关于昨天大家集中讨论的「登录失败」问题（#1），Fixed in version 2.3。谢谢你提出来 🙏",
        '[overseas] @jane About "登录失败" (#1), which you raised this Monday: Fixed in version 2.3. '
        "Thank you for bringing it up 🙏",
    ]


async def test_the_weekly_digest_goes_to_each_moderator_once_a_week(chat: Chat, app, clock) -> None:
    await chat.say("mod", "/issue open 登录失败")
    await chat.say("mod", "/issue route 1 技术部")
    chat.transport.take()
    monday = START + timedelta(days=6)  # Monday Dec 7, 09:00 in Shanghai: the scheduler's moderators_digest
    await app.advance_to(monday + timedelta(days=6))  # and not again before the next Monday
    digest = "📋 运营周报（2026-W50）\n\n📋 问题周报：未解决的问题\n【技术部】1 个\n· #1「登录失败」待处理 · 已 6 天"
    sent = sorted(f"[dm {m.contact_id}] {m.text}" for m in chat.transport.take())
    assert sent == [f"[dm {staff}] {digest}" for staff in sorted(await _staff(app))]
    assert await chat.say("mod", "/issue list mine") == [
        "[dm mod] 问题列表（我新建的）：\n#1「登录失败」待处理 · 技术部 · 12 天"
    ]
    assert await chat.say("admin", "/问题 列表 我的") == ["[dm admin] 没有你新建的问题。"]


async def _staff(app) -> list[str]:
    async with app.engine.connect() as conn:
        return [m.platform_id for m in await app.services.directory.staff(conn)]
