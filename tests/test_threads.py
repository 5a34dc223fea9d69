"""Issue threads through the pipeline: open, link, +1, internal handling, support, resolution, confirmation, digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db import schema
from bot.events import Contact, Quote
from handlers.threads.tables import events, people, rooms, threads
from tests.conftest import START
from tests.support import Chat, rows

COMPLAINT = "你们的 App 又登录失败了，什么情况？"
OUTCOME = "技术部已经修复了证书问题"
NOTE = "服务器证书过期，内部排查中"


def _quote(sender: str = "bob", text: str = COMPLAINT) -> Quote:
    return Quote(text=text, sender=Contact(sender, sender), message_id=f"m-{sender}")


async def _open_in_two_rooms(chat: Chat) -> None:
    await chat.say("bob", COMPLAINT, message_id="m-bob")
    await chat.say("mod", "/issue open 登录失败", quote=_quote())
    await chat.say("mod", "/问题 关联 1 @carol", room="二群")


async def _ids(app) -> dict[str, int]:
    return {m.platform_id: m.id for m in await rows(app, schema.members)}


async def _room_posts(app) -> list:
    return [r for r in await rows(app, schema.outbox) if r.room_platform_id is not None]


async def test_open_quoting_the_complaint_thanks_its_author_publicly(chat: Chat, app) -> None:
    await chat.say("bob", COMPLAINT, message_id="m-bob")
    assert await chat.say("mod", "/issue open 登录失败", quote=_quote()) == [
        "[playground] @bob 谢谢你提出「登录失败」这个问题 🙏 我们已经记下（#1），会认真跟进，有结果会第一时间在群里告诉大家。"
    ]
    ids = await _ids(app)
    [thread] = await rows(app, threads)
    assert (thread.id, thread.title, thread.status, thread.opened_by) == (1, "登录失败", "open", ids["mod"])
    assert [(p.member_id, p.part) for p in await rows(app, people)] == [(ids["bob"], "reporter")]
    assert [(e.kind, e.text) for e in await rows(app, events)] == [("open", COMPLAINT)]
    [post] = await _room_posts(app)
    assert post.mentions == ["bob"]
    [audit] = await rows(app, schema.audit_log)
    assert (audit.action, audit.outcome, audit.target_id, audit.details["thread"]) == (
        "issue open",
        "ok",
        ids["bob"],
        1,
    )


async def test_open_without_a_quote_names_reporters_or_nobody(chat: Chat, app) -> None:
    assert await chat.say("mod", "/问题 新建 物流太慢 @bob @carol") == [
        "[playground] @bob @carol 谢谢大家提出「物流太慢」这个问题 🙏 我们已经记下（#1），会认真跟进，有结果会第一时间在群里告诉大家。"
    ]
    assert await chat.say("mod", "/issue open 客服回复慢") == [
        "[playground] 谢谢大家提出「客服回复慢」这个问题 🙏 我们已经记下（#2），会认真跟进，有结果会第一时间在群里告诉大家。"
    ]
    assert len(await rows(app, people)) == 2
    assert await chat.say("mod", "/issue open") == [
        "[dm mod] 请写上问题的标题，比如：/问题 新建 登录失败\n"
        "正确的用法：/问题 新建 标题 [@反馈人] （可引用反馈的消息；或 /issue open）"
    ]
    assert await chat.dm("mod", "/issue open 私信里不行") == [
        "[dm mod] 这个命令需要在群聊里使用：/问题 新建 标题 [@反馈人] （可引用反馈的消息；或 /issue open）"
    ]


async def test_members_may_not_use_moderator_commands(chat: Chat, app) -> None:
    await chat.say("mod", "/issue open 登录失败")
    for command in (
        "/issue open 登录失败",
        "/issue route 1 技术部",
        "/issue note 1 x",
        "/issue resolve 1 好了",
        "/issue show 1",
        "/issue support 1 @bob",
        "/issue reopen 1 x",
        "/issue digest",
    ):
        [answer] = await chat.say("bob", command)
        assert "只有社群运营可以使用" in answer
    assert len(await rows(app, threads)) == 1
    assert {a.outcome for a in await rows(app, schema.audit_log) if a.action != "issue open" or a.outcome != "ok"} == {
        "refused"
    }


async def test_linked_across_two_rooms_and_followed(chat: Chat, app) -> None:
    await chat.say("bob", COMPLAINT, message_id="m-bob")
    await chat.say("mod", "/issue open 登录失败", quote=_quote())
    assert await chat.say("mod", "/问题 关联 1", room="二群", quote=_quote("carol", "登录不上")) == [
        "[二群] @carol 谢谢你的反馈 🙏 「登录失败」这个问题我们已经在跟进（#1），有结果会在这个群里告诉大家。"
    ]
    assert await chat.say("mod", "/issue link 1 @carol", room="二群") == ["[dm mod] #1 已经包含这个群和这些反馈人了。"]
    assert await chat.say("dave", "/issue +1 1", room="二群") == [
        "[二群] @dave 收到！#1「登录失败」有结果时会私信告诉你 👍"
    ]
    assert await chat.say("dave", "/问题 +1 #1") == [
        "[playground] @dave 你已经在关注 #1「登录失败」了，有结果会私信告诉你。"
    ]
    assert await chat.say("dave", "/issue +1 9") == ["[playground] @dave 没有找到 #9 这个问题。"]
    ids = await _ids(app)
    assert sorted((p.member_id, p.part) for p in await rows(app, people)) == sorted(
        [(ids["bob"], "reporter"), (ids["carol"], "reporter"), (ids["dave"], "follower")]
    )
    assert len(await rows(app, rooms)) == 2


async def test_routing_status_and_notes_stay_internal(chat: Chat, app) -> None:
    await _open_in_two_rooms(chat)
    assert await chat.say("mod", "/issue route 1 技术部") == ["[dm mod] #1 已转交给技术部。"]
    assert await chat.say("mod", "/issue route 1 财务部") == [
        "[dm mod] 没有「财务部」这个部门。可以转交的部门：产品部、技术部、客服部、物流部、市场部\n"
        "正确的用法：/问题 转交 编号 部门 （或 /issue route）"
    ]
    assert await chat.say("mod", f"/问题 备注 1 {NOTE}", room="二群") == [
        "[dm mod] #1 已记下内部备注（只有运营能在 /问题 查看 里看到，不会发到群里）。"
    ]
    assert await chat.say("mod", "/issue status 1 修复中") == ["[dm mod] #1 的进度已更新为：修复中。"]
    assert await chat.say("mod", "/issue show 1") == [
        "[dm mod] #1「登录失败」\n状态：修复中\n部门：技术部 · 已 0 天\n群：Playground、二群\n反馈人：bob、carol\n"
        "关注（+1）：0 人\n【记录】\n· 新建（mod）：你们的 App 又登录失败了，什么情况？\n· 关联（mod）\n· 转交（mod）：技术部\n"
        f"· 备注（mod）：{NOTE}\n· 进度（mod）：修复中"
    ]
    [thread] = await rows(app, threads)
    assert (thread.department, thread.status) == ("技术部", "fixing")
    await chat.say("mod", f"/issue resolve 1 {OUTCOME}")
    assert all(NOTE not in post.text for post in await _room_posts(app))
    audited = [(a.action, a.outcome) for a in sorted(await rows(app, schema.audit_log), key=lambda a: a.id)]
    assert audited[2:7] == [
        ("issue route", "ok"),
        ("issue route", "invalid"),
        ("issue note", "ok"),
        ("issue status", "ok"),
        ("issue show", "ok"),
    ]


async def test_support_for_a_member_under_suspicion_is_private_and_recorded(chat: Chat, app) -> None:
    await chat.say("mod", "/issue open 有人质疑 KOC 只报喜不报忧")
    assert await chat.say("mod", "/issue support 1 @erin") == [
        "[dm mod] 已私信支持 erin（记在 #1 下）。",
        "[dm erin] erin，你好 🌱 关于群里「有人质疑 KOC 只报喜不报忧」的讨论，运营团队想私下跟你说一声：你一直真实地分享自己的使用感受，"
        "好的坏的都说，这正是大家信任你的原因。有质疑很正常，我们会在群里把问题跟进到底，你不需要替品牌解释什么。谢谢你，有任何想法随时私信我们。",
    ]
    ids = await _ids(app)
    assert [(e.kind, e.details) for e in await rows(app, events)][1:] == [("support", {"target": ids["erin"]})]
    assert len(await _room_posts(app)) == 1


async def test_preview_shows_the_exact_notice_and_sends_nothing(chat: Chat, app, clock) -> None:
    await _open_in_two_rooms(chat)
    clock.set(START + timedelta(days=1))
    before = len(await rows(app, schema.outbox))
    assert await chat.say("mod", f"/issue resolve 1 {OUTCOME}。 --preview") == [
        "[dm mod] #1 的处理结果预览，还没有发出：\n"
        f"【Playground】\n@bob 关于昨天大家集中讨论的「登录失败」问题（#1），{OUTCOME}。谢谢你提出来 🙏\n"
        f"【二群】\n@carol 关于昨天大家集中讨论的「登录失败」问题（#1），{OUTCOME}。谢谢你提出来 🙏"
    ]
    assert len(await rows(app, schema.outbox)) == before + 1
    [thread] = await rows(app, threads)
    assert (thread.status, thread.resolutions) == ("open", 0)


async def test_resolution_goes_to_every_room_once_naming_its_reporters(chat: Chat, app, clock) -> None:
    await _open_in_two_rooms(chat)
    await chat.say("dave", "/issue +1 1")
    await app.advance_to(START + timedelta(days=7))
    chat.transport.take()  # the moderators' weekly digest, on Monday
    assert await chat.say("mod", f"/问题 解决 1 {OUTCOME}") == [
        "[dm mod] #1 的处理结果发布到：Playground、二群。",
        f"[playground] @bob 关于上周大家集中讨论的「登录失败」问题（#1），{OUTCOME}。谢谢你提出来 🙏",
        f"[二群] @carol 关于上周大家集中讨论的「登录失败」问题（#1），{OUTCOME}。谢谢你提出来 🙏",
        f"[dm dave] 你关注的问题 #1「登录失败」有结果了：{OUTCOME}。谢谢你的耐心 🙏",
    ]
    for again in (f"/issue resolve 1 {OUTCOME}", "/issue resolve 1 xx --at 2026-01-01", "/issue status 1 xx"):
        assert await chat.say("mod", again) == [  # the state first: no date or word could make it possible
            "[dm mod] #1 已经是已解决状态。如果问题还在，请先 /问题 重开 1 原因。"
        ], again
    notices = [p for p in await _room_posts(app) if p.template == "threads/resolution"]
    assert sorted((p.room_platform_id, p.mentions, p.dedupe_key) for p in notices) == [
        ("playground", ["bob"], "threads:1:resolution:1:room:1"),
        ("二群", ["carol"], "threads:1:resolution:1:room:2"),
    ]
    [thread] = await rows(app, threads)
    assert (thread.status, thread.resolutions, thread.resolution_text) == ("resolved", 1, OUTCOME)


async def test_reopen_and_a_second_resolution_post_once_more_as_an_update(chat: Chat, app, clock) -> None:
    await _open_in_two_rooms(chat)
    await chat.say("mod", f"/issue resolve 1 {OUTCOME}")
    assert await chat.say("mod", "/issue reopen 1") == [
        "[dm mod] 请写上重新打开的原因（会记在内部备注里）。\n正确的用法：/问题 重开 编号 原因 （或 /issue reopen）"
    ]
    assert await chat.say("mod", "/问题 重开 1 安卓用户仍然登录失败") == [
        "[dm mod] #1 已重新打开。下次发布结果时，群里会看到一条【更新】。"
    ]
    assert await chat.say("mod", "/issue reopen 1 再开一次") == ["[dm mod] #1 还没有解决，不需要重新打开。"]
    assert await chat.say("mod", "/issue reopen 1") == ["[dm mod] #1 还没有解决，不需要重新打开。"]  # not the reason
    clock.set(START + timedelta(days=2))
    assert await chat.say("mod", "/issue resolve 1 安卓版也已修复") == [
        "[dm mod] #1 的新处理结果发布到：Playground、二群。",
        "[playground] @bob 【更新】关于前天大家集中讨论的「登录失败」问题（#1），安卓版也已修复。谢谢你提出来 🙏",
        "[二群] @carol 【更新】关于前天大家集中讨论的「登录失败」问题（#1），安卓版也已修复。谢谢你提出来 🙏",
    ]
    notices = [p for p in await _room_posts(app) if p.template == "threads/resolution"]
    assert len(notices) == 4
    assert [(e.kind, e.text) for e in await rows(app, events)][-3:] == [
        ("resolve", OUTCOME),
        ("reopen", "安卓用户仍然登录失败"),
        ("resolve", "安卓版也已修复"),
    ]


async def test_a_scheduled_notice_goes_out_on_time_or_is_withdrawn_by_a_reopen(chat: Chat, app, clock) -> None:
    await _open_in_two_rooms(chat)
    assert await chat.say("mod", f"/issue resolve 1 {OUTCOME} --at 2026-12-01 08:00") == [
        "[dm mod] 定时的时间已经过去了，请写一个以后的时间，或者去掉 --at 立即发布。\n"
        "正确的用法：/问题 解决 编号 处理结果 [--preview] [--at 2026-12-01 10:00] （或 /issue resolve）"
    ]
    assert await chat.say("mod", f"/issue resolve 1 {OUTCOME} --at 2026-12-02 10:00") == [
        "[dm mod] #1 的处理结果将于 2026-12-02 10:00 发布到：Playground、二群。"
    ]
    assert await chat.say("mod", "/issue reopen 1 还要再确认") == [
        "[dm mod] #1 已重新打开，尚未发出的定时处理结果已撤回。下次发布结果时，群里会看到一条【更新】。"
    ]
    await app.advance_to(START + timedelta(days=2))
    assert chat.transport.take() == []
    assert await chat.say("mod", f"/issue resolve 1 {OUTCOME} --at 2026-12-04 10:00") == [
        "[dm mod] #1 的处理结果将于 2026-12-04 10:00 发布到：Playground、二群。"
    ]
    await app.advance_to(START + timedelta(days=3, minutes=59))
    assert chat.transport.take() == []
    await app.advance_to(START + timedelta(days=3, hours=1))
    assert [m.text for m in chat.transport.take()] == [
        f"@bob 关于本周二大家集中讨论的「登录失败」问题（#1），{OUTCOME}。谢谢你提出来 🙏",
        f"@carol 关于本周二大家集中讨论的「登录失败」问题（#1），{OUTCOME}。谢谢你提出来 🙏",
    ]


async def _resolved_and_asked(chat: Chat, app) -> list[str]:
    await _open_in_two_rooms(chat)
    await chat.say("mod", "/issue link 1 @erin", room="二群")
    await chat.say("mod", f"/issue resolve 1 {OUTCOME}")
    await app.advance_to(START + timedelta(hours=71))
    assert chat.transport.take() == []
    await app.advance_to(START + timedelta(hours=72))
    return sorted(m.contact_id or "" for m in chat.transport.take())


async def test_reporters_are_asked_whether_the_fix_works(chat: Chat, app) -> None:
    assert await _resolved_and_asked(chat, app) == ["bob", "carol", "erin"]
    assert await chat.dm("bob", "是的！") == ["[dm bob] 太好了，谢谢你告诉我们 🎉 #1 记为在你那里已解决。"]
    assert await chat.dm("carol", "还是不行，安卓上一样") == [
        "[dm carol] 谢谢你告诉我们，抱歉问题还没解决 🙏 #1 已经重新打开，你的原话记在了跟进记录里，我们会继续跟进。",
        "[dm mod] ⚠️ #1「登录失败」：carol 回复问题没有解决，问题已重新打开。TA 的原话：还是不行，安卓上一样",
    ]
    await app.advance_to(START + timedelta(hours=72 + 72))
    ids = await _ids(app)
    answers = {p.member_id: (p.answer, p.answer_text) for p in await rows(app, people)}
    assert answers == {
        ids["bob"]: ("yes", "是的！"),
        ids["carol"]: ("no", "还是不行，安卓上一样"),
        ids["erin"]: ("no_answer", None),
    }
    [thread] = await rows(app, threads)
    assert thread.status == "open"
    assert ("note", "还是不行，安卓上一样") in [(e.kind, e.text) for e in await rows(app, events)]
    await app.drain()
    chat.transport.take()  # Monday 09:00: the moderators' weekly digest lists the reopened thread
    [show] = await chat.say("mod", "/issue show 1")
    assert "反馈人：bob（已确认解决）、carol（仍有问题）、erin（未回复）" in show
    assert "确认已解决：1/3 位反馈人" in show
    [pointer] = await chat.dm("erin", "是")  # the question expired: no conversation is waiting, the pointer
    assert pointer.startswith("[dm erin] 你好！我是 kocbot，社群里的小助手")
    assert [p.answer for p in await rows(app, people) if p.member_id == ids["erin"]] == ["no_answer"]


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict:
    flag = "flag" in request.node.name
    return {"threads": {"on_not_fixed": "flag"}} if flag else {}


async def test_a_no_can_flag_the_thread_instead_per_config(chat: Chat, app) -> None:
    await _resolved_and_asked(chat, app)
    assert await chat.dm("bob", "否") == [
        "[dm bob] 谢谢你告诉我们，抱歉问题还没解决 🙏 已经请运营同学查看 #1，你的原话记在了跟进记录里，我们会继续跟进。",
        "[dm mod] ⚠️ #1「登录失败」：bob 回复问题可能还在，已标记待你查看。TA 的原话：否",
    ]
    [thread] = await rows(app, threads)
    assert (thread.status, thread.flagged) == ("resolved", True)


async def test_own_words_that_do_not_say_yes_or_no_flag_the_thread(chat: Chat, app) -> None:
    await _resolved_and_asked(chat, app)
    assert await chat.dm("bob", "我换了手机") == [
        "[dm bob] 谢谢你告诉我们，抱歉问题还没解决 🙏 已经请运营同学查看 #1，你的原话记在了跟进记录里，我们会继续跟进。",
        "[dm mod] ⚠️ #1「登录失败」：bob 回复问题可能还在，已标记待你查看。TA 的原话：我换了手机",
    ]
    [thread] = await rows(app, threads)
    assert (thread.status, thread.flagged) == ("resolved", True)


async def test_digest_lists_open_threads_by_department_and_age(chat: Chat, app, clock) -> None:
    await chat.say("mod", "/issue open 登录失败")
    clock.set(START + timedelta(days=3))
    await chat.say("mod", "/issue open 物流太慢")
    await chat.say("mod", "/issue open 包装破损")
    await chat.say("mod", "/issue route 1 技术部")
    await chat.say("mod", "/issue route 3 物流部")
    await chat.say("mod", "/issue resolve 3 已更换包装供应商")
    clock.set(START + timedelta(days=10))
    assert await chat.say("mod", "/issue digest") == [
        "[dm mod] 📋 问题周报：未解决的问题\n【技术部】1 个\n· #1「登录失败」待处理 · 已 10 天\n"
        "【未转交】1 个\n· #2「物流太慢」待处理 · 已 7 天"
    ]
    assert await chat.say("mod", "/issue list 已解决") == [
        "[dm mod] 问题列表（已解决）：\n#3「包装破损」已解决 · 物流部 · 7 天"
    ]
    assert await chat.say("mod", "/issue list 技术部") == [
        "[dm mod] 问题列表（技术部）：\n#1「登录失败」待处理 · 技术部 · 10 天"
    ]
    assert await chat.say("mod", "/issue list 财务") == [
        "[dm mod] 不认识「财务」。可以写：未解决、我的、已解决，或者部门：产品部、技术部、客服部、物流部、市场部"
    ]


async def test_a_reporter_busy_in_another_conversation_is_asked_once_it_is_over(chat: Chat, app) -> None:
    await _open_in_two_rooms(chat)
    await chat.say("mod", f"/issue resolve 1 {OUTCOME}")
    await app.advance_to(START + timedelta(hours=71))
    await chat.dm("bob", "/反馈")  # bob starts the feedback wizard just before the question falls due
    await app.advance_to(START + timedelta(hours=72))
    assert [m.contact_id for m in chat.transport.take()] == ["carol"]
    await chat.dm("bob", "/取消")
    await app.advance_to(START + timedelta(hours=73))
    [question] = chat.transport.take()
    assert (question.contact_id, question.text.startswith("bob，你好 🌱 前几天我们在群里发布了")) == ("bob", True)
    assert await chat.dm("bob", "好了") == ["[dm bob] 太好了，谢谢你告诉我们 🎉 #1 记为在你那里已解决。"]
