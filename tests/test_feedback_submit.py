"""Submitting feedback: the guided conversation step by step, the one-shot form, duplicates and +1s."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import open_app
from bot.db import schema
from handlers.feedback.tables import history, items, people
from tests.support import Chat, rows

ASK_KIND = (
    "[dm alice] 这是哪一类反馈？回复数字或文字：\n1 缺陷：功能坏了、出错了\n2 建议：希望增加或改进什么\n"
    "3 困惑：不知道怎么用、看不懂"
)
NAV = "\n（/返回 回到上一步，/取消 放弃）"
ASK_SCENARIO = "[dm alice] （2/5）这个缺陷是在什么场景下遇到的？例如：在哪个页面、做什么的时候。" + NAV
ASK_STEPS = "[dm alice] （3/5）怎么操作能再次遇到它？请按顺序写出步骤，例如：1. 打开… 2. 点击… 3. 出现…" + NAV
ASK_EXPECTED = "[dm alice] （4/5）你期望的结果是什么？" + NAV
ASK_PRODUCT = "[dm alice] （5/5）是哪个产品、哪个版本？不确定可以回复“跳过”。" + NAV
NEXT = "接下来：运营同学会阅读并整理给负责的团队，通常在 3 个工作日内回复；每次处理进展都会私信告诉你。"
BUG_FORM = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"


async def test_the_guided_conversation_step_by_step(chat: Chat, app) -> None:
    assert await chat.say("alice", "/反馈") == ["[playground] @alice 我私信你了，我们一步步把反馈写清楚。", ASK_KIND]
    assert await chat.dm("alice", "4") == ["[dm alice] 请回复 1、2、3，或者“缺陷”“建议”“困惑”。"]
    assert await chat.dm("alice", "1") == [ASK_SCENARIO]
    assert await chat.dm("alice", "闪退") == [
        "[dm alice] 能再多写一点吗？至少 6 个字，写具体些，负责的同学才能看懂并跟进。"
    ]
    assert await chat.dm("alice", "下单页点击支付后闪退") == [ASK_STEPS]
    assert await chat.dm("alice", "/返回") == [ASK_SCENARIO]
    assert await chat.dm("alice", "下单页点击支付按钮后闪退") == [ASK_STEPS]
    assert await chat.dm("alice", "1. 加购 2. 点支付") == [ASK_EXPECTED]
    assert await chat.dm("alice", "正常进入支付") == [ASK_PRODUCT]
    assert await chat.dm("alice", "跳过") == [
        "[dm alice] 请确认你的反馈：\n类型：缺陷\n场景：下单页点击支付按钮后闪退\n步骤：1. 加购 2. 点支付\n"
        "期望：正常进入支付\n回复“提交”发送，/返回 修改上一步，/取消 放弃。"
    ]
    assert await chat.dm("alice", "嗯") == ["[dm alice] 回复“提交”发送这条反馈；想修改就发 /返回，不想提交了发 /取消。"]
    assert await chat.dm("alice", "提交") == [f"[dm alice] 谢谢你的缺陷反馈！编号 FB-1。\n{NEXT}"]
    [item] = await rows(app, items)
    assert (item.id, item.kind, item.status, item.title, item.steps, item.expected, item.product) == (
        1,
        "bug",
        "submitted",
        "下单页点击支付按钮后闪退",
        "1. 加购 2. 点支付",
        "正常进入支付",
        "",
    )
    assert [(p.role, p.member_id) for p in await rows(app, people)] == [("reporter", item.reporter_id)]
    assert [(h.what, h.to_status) for h in await rows(app, history)] == [("submitted", "submitted")]
    assert await rows(app, schema.conversations) == []


async def test_suggestions_skip_the_steps_and_back_cancel_work(chat: Chat, app) -> None:
    await chat.dm("alice", "/feedback")
    assert await chat.dm("alice", "/back") == [
        "[dm alice] 已经是第一步了。请回复 1、2、3 选择反馈类型，或发 /取消 放弃。"
    ]
    await chat.dm("alice", "建议")
    assert await chat.dm("alice", "晚上打开 App 屏幕太亮") == ["[dm alice] （3/4）你期望的结果是什么？" + NAV]
    assert await chat.dm("alice", "/返回") == [
        "[dm alice] （2/4）这个建议是在什么场景下遇到的？例如：在哪个页面、做什么的时候。" + NAV
    ]
    assert await chat.dm("alice", "/取消") == ["[dm alice] 已取消，这次没有提交任何内容。想反馈时随时发 /反馈。"]
    assert await rows(app, schema.conversations) == [] and await rows(app, items) == []


async def test_a_type_given_with_the_command_starts_at_the_scenario(chat: Chat, app) -> None:
    assert await chat.dm("alice", "/反馈 缺陷") == [ASK_SCENARIO]


async def test_an_unfinished_submission_survives_a_restart(settings, clock, transport, registries) -> None:
    first = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await first.start()
    await Chat(first, transport).dm("alice", "/反馈")
    await Chat(first, transport).dm("alice", "1")
    await first.close()
    second = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await second.start()
    try:
        assert await Chat(second, transport).dm("alice", "下单页点击支付后闪退") == [ASK_STEPS]
    finally:
        await second.close()


CLOSED = "你的反馈很久没有继续，已经关闭了，没有提交。想反馈时随时发 /反馈。"
POINTER = (
    "你好！我是 kocbot，社群里的小助手 🙂 我只认得以“/”开头的命令，这条消息我没法直接回答。\n"
    "· 想反馈问题或提建议：发送 /反馈，我会一步步帮你写清楚；每一条反馈运营同学都会阅读，并私信回复你。\n"
    "· 查看你收到的感谢、积分和称号：/我的\n· 我能做的全部事情：/帮助"
)


async def test_an_abandoned_submission_is_reminded_then_closed(chat: Chat, app, clock) -> None:
    start = clock.now()  # 09:00: the reminder falls due at 07:00, inside the quiet hours (22:00-08:00)
    await chat.dm("alice", "/反馈")
    await app.advance_to(start + timedelta(hours=22, minutes=59))
    assert chat.transport.take() == []
    await app.advance_to(start + timedelta(hours=23))  # 08:00, with the time really left
    assert [m.text for m in chat.transport.take()] == ["你的反馈还没写完，1小时后就会关闭。回复上一个问题就能继续。"]
    await app.advance_to(start + timedelta(hours=24))
    assert [m.text for m in chat.transport.take()] == [CLOSED]
    assert await rows(app, schema.conversations) == []
    assert await chat.dm("alice", "1") == [f"[dm alice] {POINTER}"]  # the conversation is over


async def test_a_submission_abandoned_at_night_is_reminded_before_the_quiet_hours(chat: Chat, app, clock) -> None:
    start = clock.now() - timedelta(hours=8)  # 01:00 in Shanghai
    clock.set(start)
    await chat.dm("alice", "/反馈")
    await app.advance_to(start + timedelta(hours=20, minutes=58))
    assert chat.transport.take() == []
    await app.advance_to(start + timedelta(hours=20, minutes=59))  # 21:59: the last minute before the night
    assert [m.text for m in chat.transport.take()] == ["你的反馈还没写完，3小时后就会关闭。回复上一个问题就能继续。"]
    await app.advance_to(start + timedelta(days=1, hours=6, minutes=59))  # closed at 01:00, told in the morning
    assert chat.transport.take() == []
    assert await rows(app, schema.conversations) != []  # kept only for the notice: no answer reaches it
    assert await chat.dm("alice", "1") == [f"[dm alice] {POINTER}"]
    await app.advance_to(start + timedelta(days=1, hours=7))  # 08:00
    assert [m.text for m in chat.transport.take()] == [CLOSED]
    assert await rows(app, schema.conversations) == []


@pytest.mark.parametrize("settings_overrides", [{"feedback": {"wizard_timeout_hours": 3, "wizard_reminder_hours": 1}}])
async def test_a_reminder_with_no_moment_outside_the_night_is_not_sent(chat: Chat, app, clock) -> None:
    start = clock.now() + timedelta(hours=13, minutes=30)  # 22:30: it would close at 01:30
    clock.set(start)
    await chat.dm("alice", "/反馈")
    await app.advance_to(start + timedelta(hours=9, minutes=29))
    assert chat.transport.take() == []
    await app.advance_to(start + timedelta(hours=9, minutes=30))  # 08:00: only the closing notice
    assert [m.text for m in chat.transport.take()] == [CLOSED]


async def test_the_one_shot_form_names_what_is_missing(chat: Chat, app) -> None:
    assert await chat.say("bob", "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n期望：正常支付") == [
        "[playground] @bob 表单还缺：步骤。\n补全后再发一次就好，也可以发 /反馈 让我一步步问你。"
    ]
    assert await chat.say("bob", "/反馈 场景：首页加载很慢") == [
        "[playground] @bob 表单还缺：类型、期望。\n类型请写在第一行：缺陷、建议或困惑。\n"
        "补全后再发一次就好，也可以发 /反馈 让我一步步问你。"
    ]
    assert await rows(app, items) == []
    assert await chat.say("bob", BUG_FORM) == [f"[playground] @bob 谢谢你的缺陷反馈！编号 FB-1。\n{NEXT}"]
    assert await chat.dm(
        "carol", "/feedback suggestion\nscenario: the order list\ncontinues here\nexpected: filters by date"
    ) == [f"[dm carol] 谢谢你的建议反馈！编号 FB-2。\n{NEXT}"]
    second = (await rows(app, items, items.c.id == 2))[0]
    assert (second.kind, second.scenario, second.expected) == (
        "suggestion",
        "the order list\ncontinues here",
        "filters by date",
    )


async def test_similar_open_items_are_shown_and_a_plus_one_joins_one(chat: Chat, app) -> None:
    await chat.say("bob", BUG_FORM)
    assert await chat.say(
        "carol", "/反馈 缺陷\n场景: 下单页点击支付后闪退了\n步骤: 加购以后点支付\n期望: 能正常支付"
    ) == [
        f"[playground] @carol 谢谢你的缺陷反馈！编号 FB-2。\n{NEXT}\n这些未关闭的反馈看起来很像：\n"
        "· FB-1 [缺陷·已提交] 下单页点击支付以后闪退\n如果说的是同一件事，可以发“/反馈 +1 编号 你的情况”补充进去。"
    ]
    assert await chat.say("dave", "/反馈 +1 FB-1 安卓 14 也闪退") == [
        "[playground] @dave 已把你的情况加到 FB-1「下单页点击支付以后闪退」，谢谢补充！有进展会私信告诉你。"
    ]
    assert await chat.say("dave", "/feedback +1 fb1") == [
        "[playground] @dave 你已经在 FB-1「下单页点击支付以后闪退」里了，有进展会私信告诉你。"
    ]
    assert await chat.say("dave", "/feedback +1 FB-9") == ["[playground] @dave 没有找到反馈 FB-9，请检查编号。"]
    plus = [(p.role, p.details) for p in await rows(app, people, people.c.item_id == 1)]
    assert plus == [("reporter", ""), ("plus_one", "安卓 14 也闪退")]
    assert [(h.what, h.note) for h in await rows(app, history, history.c.item_id == 1)] == [
        ("submitted", ""),
        ("plus_one", "安卓 14 也闪退"),
    ]


@pytest.mark.parametrize(
    "settings_overrides", [{"feedback": {"wizard_timeout_hours": 1, "wizard_reminder_hours": 0.5}}]
)
async def test_the_timeout_and_reminder_come_from_the_config(chat: Chat, app, clock) -> None:
    start = clock.now()
    await chat.dm("alice", "/反馈")
    await app.advance_to(start + timedelta(minutes=30))
    assert [m.text for m in chat.transport.take()] == ["你的反馈还没写完，30分钟后就会关闭。回复上一个问题就能继续。"]
    await app.advance_to(start + timedelta(hours=1))
    assert [m.text for m in chat.transport.take()] == [
        "你的反馈很久没有继续，已经关闭了，没有提交。想反馈时随时发 /反馈。"
    ]


async def test_unreadable_forms_and_overlong_answers_are_explained(chat: Chat, app) -> None:
    assert await chat.say("bob", "/反馈 App 太卡了\n真的很卡") == [
        "[playground] @bob 没能读懂这份表单。可以发 /反馈 让我一步步问你，或者按这个格式一次贴上：\n/反馈 建议\n"
        "场景: 在哪里、做什么的时候\n步骤: 怎么操作会遇到（缺陷才需要）\n期望: 你希望怎样"
    ]
    await chat.dm("alice", "/反馈 困惑")
    assert await chat.dm("alice", "长" * 2001) == ["[dm alice] 这段有点长，请控制在 2000 字以内，重点写清楚就好。"]
    assert await rows(app, items) == []
