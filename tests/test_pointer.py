"""A private message nothing handles gets a short pointer, once per member and day (across restarts)."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import open_app
from bot.db import schema
from handlers.feedback.tables import items as feedback_items
from handlers.recognition.tables import thanks
from tests.support import Chat, rows

POINTER = (
    "你好！我是 kocbot，社群里的小助手 🙂 我只认得以“/”开头的命令，这条消息我没法直接回答。\n"
    "· 想反馈问题或提建议：发送 /反馈，我会一步步帮你写清楚；每一条反馈运营同学都会阅读，并私信回复你。\n"
    "· 查看你收到的感谢、积分和称号：/我的\n"
    "· 我能做的全部事情：/帮助"
)
STAFF_POINTER = (
    "这条消息不是命令，我没有处理（命令以“/”开头）。发送 /帮助 查看你能用的命令，按主题分组。\n"
    "成员提交的反馈在 /反馈 列表 里。"
)
PRIVATE_THANKS = "不客气 😊 想感谢帮过你的群友的话，在群里 @TA 说声谢谢就好：我会记下来，大家也都看得到。"


async def test_a_private_question_gets_a_pointer_once_a_day(chat: Chat, app, clock) -> None:
    assert await chat.dm("alice", "你好，请问积分怎么用？") == [f"[dm alice] {POINTER}"]
    assert await chat.dm("alice", "在吗？") == []
    assert await chat.dm("bob", "hello") == [f"[dm bob] {POINTER}"]  # each member has their own day
    await app.advance_to(clock.now() + timedelta(hours=14))  # 23:00 in Shanghai: the same day
    assert await chat.dm("alice", "还在吗") == []
    await app.advance_to(clock.now() + timedelta(hours=1, minutes=1))  # 00:01: a new day
    assert await chat.dm("alice", "还在吗") == [f"[dm alice] {POINTER}"]
    pointers = [r for r in await rows(app, schema.outbox) if r.template == "core/pointer"]
    assert [(r.contact_platform_id, r.delivery) for r in pointers] == [
        ("alice", "reply"),
        ("bob", "reply"),
        ("alice", "reply"),
    ]


async def test_once_a_day_holds_across_a_restart(settings, clock, transport, registries) -> None:
    first = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await first.start()
    assert await Chat(first, transport).dm("alice", "你好") == [f"[dm alice] {POINTER}"]
    await first.close()
    second = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await second.start()
    try:
        assert await Chat(second, transport).dm("alice", "你好？") == []
    finally:
        await second.close()


async def test_staff_get_a_pointer_of_their_own(chat: Chat) -> None:
    assert await chat.dm("mod", "测试一下") == [f"[dm mod] {STAFF_POINTER}"]


async def test_text_after_a_conversation_ended_gets_the_pointer_but_its_steps_do_not(chat: Chat) -> None:
    await chat.dm("dave", "/反馈")
    [step] = await chat.dm("dave", "缺陷")
    assert step.startswith("[dm dave] （2/5）这个缺陷是在什么场景下遇到的？")
    assert await chat.dm("dave", "/取消") == ["[dm dave] 已取消，这次没有提交任何内容。想反馈时随时发 /反馈。"]
    assert await chat.dm("dave", "好的") == [f"[dm dave] {POINTER}"]


async def test_a_form_pasted_privately_is_submitted_not_pointed_at(chat: Chat, app) -> None:
    assert await chat.dm(
        "carol", "缺陷\n问题描述：蓝牙耳机连不上手机，重启也不行\n复现步骤：打开蓝牙，点配对\n期望：能正常连接"
    ) == [
        "[dm carol] 谢谢你的缺陷反馈！编号 FB-1。\n接下来：运营同学会阅读并整理给负责的团队，通常在 3 个工作日内回复；"
        "每次处理进展都会私信告诉你。"
    ]
    [item] = await rows(app, feedback_items)
    assert (item.scenario, item.steps, item.expected) == (
        "蓝牙耳机连不上手机，重启也不行",
        "打开蓝牙，点配对",
        "能正常连接",
    )
    # a form lacking its type is still a form: what is missing, not the pointer
    assert await chat.dm("carol", "问题描述：耳机充不进电，换线也不行\n期望：能充电") == [
        "[dm carol] 表单还缺：类型。\n类型请写在第一行：缺陷、建议或困惑。\n补全后再发一次就好，也可以发 /反馈 让我一步步问你。"
    ]
    # one label alone is a question
    assert await chat.dm("erin", "问题：积分怎么用？") == [f"[dm erin] {POINTER}"]


async def test_thanks_said_privately_gets_a_word_back_not_the_pointer(chat: Chat, app) -> None:
    assert await chat.dm("bob", "好的，谢谢！") == [f"[dm bob] {PRIVATE_THANKS}"]
    assert await chat.dm("bob", "感谢客服") == []  # once a day too
    assert await chat.dm("carol", "感谢客服") == [f"[dm carol] {PRIVATE_THANKS}"]
    assert await rows(app, thanks) == []  # thanks count in the group only
    # a request that thanks in advance wants an answer: the pointer
    assert await chat.dm("frank", "你好，请问积分怎么用？谢谢") == [f"[dm frank] {POINTER}"]


async def test_commands_and_group_messages_never_get_the_pointer(chat: Chat) -> None:
    assert await chat.dm("alice", "/在吗") == ["[dm alice] 我在呢，一切正常。"]
    assert await chat.dm("alice", "/帮主") == [
        "[dm alice] 我还不认识 /帮主 这个命令。你是想用 /帮助 吗？\n发送 /帮助 可以查看全部命令。"
    ]
    assert await chat.say("alice", "大家好，请问积分怎么用？") == []
