"""The KOC candidate pool: ranking from the bot's own signals (scores computed by hand), invitations, replacements."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Context
from bot.db import schema
from bot.events import Contact, Quote
from bot.scheduling.jobs import system_actor
from bot.uow import UnitOfWork
from handlers.koc.pool import notify_replacements
from handlers.koc.tables import koc_events, koc_records
from tests.conftest import START
from tests.support import Chat, rows

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"


async def _signals(chat: Chat, app) -> None:
    """bob: 3 thanks, 1 reproduced bug, 2 active weeks, 1 mention + 1 quote; carol: 1 thanks, 1 confirmed
    thread, 1 active week; dave, erin and the fans: 1 active week each. mod is staff: never a candidate."""
    for n in range(3):
        await chat.say(f"fan{n}", "谢谢 @bob")
    await chat.say("fan0", "谢谢 @carol")
    await chat.say("carol", "大家好")
    await chat.say("bob", BUG)
    await chat.say("mod", "/fb status FB-1 reproduced")
    await chat.say("mod", "/问题 新建 物流太慢 @carol")
    await chat.say("mod", "/issue status 1 修复中")
    await chat.say("dave", "@bob 你说的那个设置方法在哪里找")
    await chat.say("bob", "设置里打开省电模式")
    await chat.say("erin", "同意，我也是这么用的", quote=Quote("设置里打开省电模式", Contact("bob", "bob"), "m-bob"))
    await app.advance_to(START + timedelta(days=7))  # everything above is in the week before this one
    await chat.say("bob", "大家早，今天新版本上线了")
    chat.transport.take()


async def test_candidates_are_ranked_by_weighted_signals_and_explained(chat: Chat, app) -> None:
    await _signals(chat, app)
    # Default weights: thanks 1, feedback 3, threads 2, active week 0.5, reply or mention 0.2.
    bob = 3 * 1 + 1 * 3 + 0 * 2 + 2 * 0.5 + 2 * 0.2  # 7.4
    carol = 1 * 1 + 0 * 3 + 1 * 2 + 1 * 0.5 + 0 * 0.2  # 3.5
    dave = 1 * 0.5  # one active week (so are erin and the fans; ties go by name)
    assert (bob, carol, dave) == (7.4, 3.5, 0.5)
    assert await chat.say("mod", "/koc 候选 3") == [
        "[dm mod] 候选人名单已私信发给你。",
        "[dm mod] KOC 候选人（按最近 30 天的表现排序，共 7 位有表现）：\n"
        "1. bob（7.4 分）：30 天内收到 3 次感谢，1 条反馈被复现或采纳，最近 10 周有 2 周发言，发言引来 2 次回复或 @\n"
        "2. carol（3.5 分）：30 天内收到 1 次感谢，反映的 1 个问题被确认，最近 10 周有 1 周发言\n"
        "3. dave（0.5 分）：最近 10 周有 1 周发言\n"
        "用 /koc 邀请 @成员 私信发出邀请。",
    ]
    [reply] = await chat.dm("mod", "/koc candidates 2")
    assert reply.startswith("[dm mod] KOC 候选人（按最近 30 天的表现排序，共 7 位有表现）：\n1. bob（7.4 分）")
    assert "3. " not in reply


async def test_weeks_spoken_count_community_messages_only(chat: Chat, app) -> None:
    """Steadiness is weeks with community messages (bot.talk), as the monthly report and ignition count
    them: commands to the bot, refused or not, and private messages are no talk in a community."""
    await chat.say("gina", "/我的")
    await chat.say("gina", "/ping")
    await chat.say("gina", "/koc 候选")  # refused: staff only
    await chat.dm("gina", "你好，请问积分怎么用？")
    await app.advance_to(START + timedelta(days=7))
    await chat.say("gina", "/top")
    await chat.say("hank", "今天的活动几点开始？")
    chat.transport.take()
    assert await chat.dm("mod", "/koc candidates") == [
        "[dm mod] KOC 候选人（按最近 30 天的表现排序，共 1 位有表现）：\n"
        "1. hank（0.5 分）：最近 10 周有 1 周发言\n用 /koc 邀请 @成员 私信发出邀请。"
    ]


async def test_signals_outside_the_window_no_longer_count(chat: Chat, app) -> None:
    await _signals(chat, app)
    await app.advance_to(START + timedelta(days=31))  # thanks, mentions and the thread are 31 days old
    chat.transport.take()
    [reply] = await chat.dm("mod", "/koc candidates 1")
    assert reply == (
        "[dm mod] KOC 候选人（按最近 30 天的表现排序，共 7 位有表现）：\n"
        "1. bob（1 分）：最近 10 周有 2 周发言\n用 /koc 邀请 @成员 私信发出邀请。"
    )


async def test_an_invitation_is_warm_private_and_marks_a_candidate(chat: Chat, app) -> None:
    await _signals(chat, app)
    replies = await chat.say("mod", "/koc 邀请 @bob")
    assert replies[0] == "[dm mod] 已私信邀请 bob 成为 KOC，TA 现在是候选人。"
    assert replies[1].startswith("[dm bob] bob，你好！我们注意到你一直在群里热心帮助大家")
    assert "没有任何任务和指标" in replies[1] and "从不给稿子" in replies[1]
    ids = {r.platform_id: r.id for r in await rows(app, schema.members)}
    [member] = await rows(app, schema.members, schema.members.c.id == ids["bob"])
    [record] = await rows(app, koc_records, koc_records.c.member_id == ids["bob"])
    [event] = await rows(app, koc_events, koc_events.c.member_id == ids["bob"])
    assert member.stage == "candidate"
    assert (record.invited_at, record.owner_id) == (app.clock.now(), ids["mod"])
    assert (event.kind, event.from_stage, event.to_stage, event.actor_id) == (
        "invite",
        "member",
        "candidate",
        ids["mod"],
    )
    [reply] = await chat.dm("mod", "/koc candidates 1")
    assert "1. bob（7.4 分，已邀请）" in reply
    assert await chat.say("mod", "/koc invite @bob") == [
        "[dm mod] bob 在 2026-12-08 已经收到过邀请了。为了不给 TA 压力，30 天内不再重复邀请。"
    ]
    await app.advance_to(START + timedelta(days=40))
    chat.transport.take()
    assert (await chat.say("mod", "/koc invite @bob"))[0] == "[dm mod] 已私信邀请 bob 成为 KOC，TA 现在是候选人。"
    assert len(await rows(app, koc_events, koc_events.c.member_id == ids["bob"])) == 2


async def test_invitations_are_refused_for_kocs_and_bad_input_gets_the_usage(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    async with app.engine.begin() as conn:
        await conn.execute(schema.members.update().where(schema.members.c.platform_id == "bob").values(stage="active"))
    assert await chat.say("mod", "/koc invite @bob") == ["[dm mod] bob 已经是活跃 KOC 了，不需要再发邀请。"]
    assert await chat.say("mod", "/koc invite") == [
        "[dm mod] 请 @ 一下要操作的成员，或者引用 TA 的消息。\n正确的用法：/koc 邀请 @成员 （或 /koc invite）"
    ]
    assert await chat.say("mod", "/koc invite @bob @carol") == [
        "[dm mod] 请 @ 一位要邀请的成员（或者引用 TA 的消息）。\n正确的用法：/koc 邀请 @成员 （或 /koc invite）"
    ]
    assert await chat.say("mod", "/koc candidates 很多") == [
        "[dm mod] 人数请写 1 到 50 之间的数字。\n正确的用法：/koc 候选 [人数] （或 /koc candidates [n]）"
    ]
    assert (await chat.say("bob", "/koc candidates"))[0].startswith(
        "[playground] @bob 抱歉，/koc candidates 只有社群运营可以使用"
    )


async def test_replacements_propose_the_best_three_from_the_same_groups(chat: Chat, app) -> None:
    await _signals(chat, app)
    await chat.say("zoe", "另一个群的消息", room="二群")  # not in the KOC's groups
    await chat.say("ken", "谢谢 @zoe", room="二群")
    chat.transport.take()
    async with app.engine.begin() as conn:
        await conn.execute(
            schema.members.update().where(schema.members.c.platform_id == "carol").values(stage="resting")
        )
    async with app.engine.connect() as conn:
        carol = await app.services.directory.find_member(conn, "carol")
    async with UnitOfWork(app.database, app.clock) as uow:
        await notify_replacements(Context(app.services, uow, None, system_actor(app.services), None), carol)
        await uow.commit()
    await app.drain()
    sent = [m for m in chat.transport.take() if m.contact_id == "mod"]
    assert [m.text for m in sent] == [
        "carol 开始休息了，TA 所在的群里可以考虑这些候选人：\n"
        "1. bob（7.4 分）：30 天内收到 3 次感谢，1 条反馈被复现或采纳，最近 10 周有 2 周发言，发言引来 2 次回复或 @\n"
        "2. dave（0.5 分）：最近 10 周有 1 周发言\n3. erin（0.5 分）：最近 10 周有 1 周发言\n"
        "用 /koc 邀请 @成员 发出邀请（私信，不会有压力）。"
    ]
