"""Staff: /privacy requests, an admin's erasure on request (audited, refused to others); the daily retention job and
its digest section; /fb edit for a member's own open item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.db import schema
from handlers.feedback.tables import history, items
from handlers.privacy.tables import sweeps
from tests.privacy_world import FORM
from tests.support import Chat, rows


@pytest.fixture
def settings_overrides() -> dict:
    return {"privacy": {"notice_in_first_message": False, "audit_days": 30, "feedback_text_days": 10}}


async def test_requests_are_listed_for_moderators(chat: Chat, app) -> None:
    assert await chat.dm("mod", "/privacy requests") == ["[dm mod] 没有等待中的隐私请求，最近 7 天也没有新的。"]
    await chat.dm("alice", "/mydata")
    await chat.dm("bob", "/forgetme")
    await chat.dm("bob", "确认删除")
    assert await chat.say("mod", "/隐私 请求") == [
        "[dm mod] 隐私请求（等待中的，以及最近 7 天的）：\n· #1 数据副本 · alice · 已完成 · 12-01 09:00\n"
        "· #2 删除 · bob · 等待执行 · 12-02 09:00"
    ]
    assert (await chat.say("alice", "/privacy requests"))[0].startswith("[playground] @alice")
    assert len(await rows(app, schema.audit_log, schema.audit_log.c.outcome == "refused")) == 1


async def test_an_admin_erases_at_once_and_it_is_audited_under_the_pseudonym(chat: Chat, app) -> None:
    await chat.say("carol", "我叫 carol，手机尾号 1234")
    assert await chat.dm("mod", "/privacy erase @carol 客服转来的删除请求") == [
        "[dm mod] 抱歉，/privacy erase 只有超级管理员可以使用。需要的话，请找超级管理员操作。"
    ]
    assert await chat.dm("admin", "/privacy erase @carol") == [
        "[dm admin] 请 @ 一位成员并写明原因（例如对方通过客服提出了删除请求）。\n"
        "正确的用法：/隐私 删除 @成员 原因 （或 /privacy erase）"
    ]
    replies = await chat.dm("admin", "/privacy erase @carol 客服转来的删除请求")
    assert replies[0].startswith("[dm admin] 已安排删除")
    assert replies[1].startswith("[dm carol] 删除回执：")
    [member] = await rows(app, schema.members, schema.members.c.platform_id.like("erased:%"))
    audit = schema.audit_log.c
    [entry] = await rows(app, schema.audit_log, audit.action == "privacy erase", audit.outcome == "ok")
    assert entry.actor_id != member.id and entry.target_id == member.id and entry.outcome == "ok"
    assert "carol" not in str(entry.details)
    [message] = await rows(app, schema.messages, schema.messages.c.member_id == member.id)
    assert message.text == "[erased]"


async def test_the_retention_job_removes_what_is_past_its_time_and_the_digest_says_so(chat: Chat, app, clock) -> None:
    await chat.dm("alice", FORM)
    await chat.dm("mod", "/fb decline FB-1 已有同类设计")
    await chat.dm("mod", "/privacy requests")  # an audited staff command
    async with app.database.write_transaction() as conn:  # both old enough now
        old = clock.now() - timedelta(days=40)
        await conn.execute(update(items).values(updated_at=old))
        await conn.execute(update(schema.audit_log).values(at=old))
    clock.advance(timedelta(hours=18, minutes=41))  # 03:41 in Shanghai: the daily run
    await app.drain()
    [item] = await rows(app, items)
    assert (item.scenario, item.status, item.title) == ("[erased]", "declined", "夜间模式下结算页文字看不清")
    assert await rows(app, schema.audit_log) == []
    [sweep] = await rows(app, sweeps)
    assert sweep.counts == {"feedback": 1, "audit": 2}
    digest = await chat.dm("mod", "/周报")
    assert "🔒 数据保存期限：本周按配置清理了\n· 已关闭反馈的文字 1 条\n· 审计日志 2 条" in digest[0]


async def test_a_member_corrects_their_own_open_feedback(chat: Chat, app) -> None:
    await chat.dm("alice", FORM)
    assert await chat.dm("alice", "/反馈 修改 FB-1 场景：夜间模式下结算页的价格看不清") == [
        "[dm alice] 已修改 FB-1 的场景。"
    ]
    [item] = await rows(app, items)
    assert (item.scenario, item.title) == ("夜间模式下结算页的价格看不清", "夜间模式下结算页的价格看不清")
    assert [h.what for h in await rows(app, history)] == ["submitted", "edited"]
    assert await chat.dm("bob", "/fb edit FB-1 场景：我来改改别人的反馈内容") == [
        "[dm bob] FB-1 不是你提交的反馈，只能修改自己提交的反馈。"
    ]
    assert await chat.dm("alice", "/fb edit FB-1") == [
        "[dm alice] 请写明反馈编号和要修改的内容，例如：/反馈 修改 FB-3 场景：打开夜间模式后结算页的文字看不清\n"
        "正确的用法：/反馈 修改 FB-编号 字段：新内容 （或 /fb edit）"
    ]
    await chat.dm("mod", "/fb decline FB-1 已有同类设计")
    assert await chat.dm("alice", "/fb edit FB-1 期望：看得清楚") == [
        "[dm alice] FB-1 已经关闭，不能再修改了。有新情况可以提交一条新的反馈。"
    ]
