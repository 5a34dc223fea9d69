"""The moderators' lifecycle: status changes with history, audit and private notices, rewards once, merges."""

from __future__ import annotations

import pytest

from bot.db import schema
from handlers.feedback.tables import history, items, people
from handlers.recognition.tables import ledger, title_events
from tests.support import Chat, rows

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
IDEA = "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式"
HEAD = "FB-1「下单页点击支付以后闪退」"
REFUSED = "抱歉，{command} 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"


@pytest.fixture
def settings_overrides() -> dict:
    # Not about the contact budget: a busy item tells its people more than twice a day here.
    return {"feedback": {"reproduced_points": 20, "adopted_points": 50}, "delivery": {"daily_private_limit": 0}}


async def _audit(app) -> list[tuple]:
    return [(a.action, a.outcome, a.details) for a in sorted(await rows(app, schema.audit_log), key=lambda a: a.id)]


async def _bug_with_a_plus_one(chat: Chat) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", "/反馈 +1 FB-1 安卓也闪退")


async def test_each_status_change_is_told_recorded_and_audited(chat: Chat, app) -> None:
    await _bug_with_a_plus_one(chat)
    assert await chat.say("mod", "/fb status FB-1 acknowledged 已转给研发") == [
        f"[dm mod] {HEAD}：已提交 → 已确认收到\n说明：已转给研发\n已私信通知 2 人。",
        f"[dm bob] 你的反馈 {HEAD}有新进展：已确认收到。\n说明：已转给研发",
        f"[dm carol] 你关注的反馈 {HEAD}有新进展：已确认收到。\n说明：已转给研发",
    ]
    assert await chat.say("mod", "/反馈 分派 FB-1 研发") == [
        f"[dm mod] 已把 {HEAD} 分派给研发。",
        f"[dm bob] 你的反馈 {HEAD}已交给研发跟进。",
        f"[dm carol] 你关注的反馈 {HEAD}已交给研发跟进。",
    ]
    assert await chat.say("mod", "/fb decline FB-1 设计如此") == [
        f"[dm mod] {HEAD}：已确认收到 → 暂不采纳\n说明：设计如此\n已私信通知 2 人。",
        f"[dm bob] 你的反馈 {HEAD}这次暂不采纳。\n理由：设计如此\n谢谢你花时间反馈，每一条我们都认真看过。",
        f"[dm carol] 你关注的反馈 {HEAD}这次暂不采纳。\n理由：设计如此\n谢谢你花时间反馈，每一条我们都认真看过。",
    ]
    [item] = await rows(app, items)
    assert (item.status, item.department) == ("declined", "研发")
    assert [(h.what, h.from_status, h.to_status, h.note) for h in await rows(app, history)] == [
        ("submitted", None, "submitted", ""),
        ("plus_one", None, None, "安卓也闪退"),
        ("status", "submitted", "acknowledged", "已转给研发"),
        ("assigned", None, None, "研发"),
        ("status", "acknowledged", "declined", "设计如此"),
    ]
    assert await _audit(app) == [
        (
            "fb status",
            "ok",
            {
                "args": "FB-1 acknowledged 已转给研发",
                "item": "FB-1",
                "from_status": "submitted",
                "to_status": "acknowledged",
                "note": "已转给研发",
            },
        ),
        ("fb assign", "ok", {"args": "FB-1 研发", "item": "FB-1", "department": "研发"}),
        (
            "fb decline",
            "ok",
            {
                "args": "FB-1 设计如此",
                "item": "FB-1",
                "from_status": "acknowledged",
                "to_status": "declined",
                "note": "设计如此",
            },
        ),
    ]


async def test_wrong_status_changes_are_explained(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("bob", IDEA)
    assert await chat.say("mod", "/fb status FB-1 under_review") == [
        f"[dm mod] {HEAD}是缺陷，不能标记为「评估中」：已复现只用于缺陷，评估中只用于建议和困惑。"
    ]
    assert await chat.say("mod", "/fb status FB-2 reproduced") == [
        "[dm mod] FB-2「晚上打开 App 屏幕太亮」是建议，不能标记为「已复现」：已复现只用于缺陷，评估中只用于建议和困惑。"
    ]
    assert await chat.say("mod", "/fb status FB-1 adopted") == [
        f"[dm mod] {HEAD}现在是「已提交」，不能直接改成「已采纳」。\n可以改成：已确认收到、已复现"
    ]
    assert await chat.say("mod", "/fb status FB-1 submitted") == [f"[dm mod] {HEAD}已经是「已提交」了。"]
    assert await chat.say("mod", "/fb status FB-1 shipped") == ["[dm mod] 改成「已上线」请用 /反馈 上线 FB-编号 版本。"]
    assert await chat.say("mod", "/fb decline FB-1") == [
        "[dm mod] 请写上理由：反馈人会收到它，写清楚为什么暂不采纳。\n"
        "正确的用法：/反馈 不采纳 FB-编号 理由 （或 /fb decline）"
    ]
    assert await chat.say("mod", "/fb assign FB-1 市场") == [
        "[dm mod] 没有「市场」这个部门。可以分派给：产品、研发、测试、客服\n"
        "正确的用法：/反馈 分派 FB-编号 部门 （或 /fb assign）"
    ]
    assert await chat.say("mod", "/fb ship FB-7 v2") == ["[dm mod] 没有找到反馈 FB-7，请检查编号。"]
    assert [i.status for i in await rows(app, items)] == ["submitted", "submitted"]


async def test_rewards_are_given_once_however_the_status_moves(chat: Chat, app) -> None:
    await _bug_with_a_plus_one(chat)
    assert await chat.say("mod", "/fb status FB-1 reproduced") == [
        f"[dm mod] {HEAD}：已提交 → 已复现\n已私信通知 2 人，1 人获得奖励。",
        f"[dm bob] 你的反馈 {HEAD}有新进展：已复现。\n感谢你的贡献：+20 积分",
        f"[dm carol] 你关注的反馈 {HEAD}有新进展：已复现。",
    ]
    await chat.say("mod", "/fb status FB-1 acknowledged")
    back = await chat.say("mod", "/fb status FB-1 reproduced")
    assert "积分" not in "".join(back)
    await chat.say("mod", "/fb ship FB-1 v2.3")
    bob = (await rows(app, schema.members, schema.members.c.platform_id == "bob"))[0]
    assert [(e.member_id, e.amount, e.source, e.key) for e in await rows(app, ledger)] == [
        (bob.id, 20, "feedback", f"feedback:1:reproduced:{bob.id}")
    ]


async def test_an_adopted_suggestion_earns_points_and_the_title(chat: Chat, app) -> None:
    await chat.say("bob", IDEA)
    await chat.say("mod", "/fb status FB-1 under_review")
    assert await chat.say("mod", "/fb status FB-1 adopted 下个版本做") == [
        "[dm mod] FB-1「晚上打开 App 屏幕太亮」：评估中 → 已采纳\n说明：下个版本做\n已私信通知 1 人，1 人获得奖励。",
        "[dm bob] 你的反馈 FB-1「晚上打开 App 屏幕太亮」有新进展：已采纳。\n说明：下个版本做\n"
        "感谢你的贡献：+50 积分，并获得「荣誉产品顾问」称号 🏅",
    ]
    await chat.say("mod", "/fb status FB-1 under_review")
    await chat.say("mod", "/fb status FB-1 adopted")
    assert [(e.amount, e.source) for e in await rows(app, ledger)] == [(50, "feedback")]
    assert [(t.title, t.granted, t.source) for t in await rows(app, title_events)] == [
        ("荣誉产品顾问", True, "feedback")
    ]


async def test_a_merge_moves_people_who_are_told_and_credited(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("mod", "/fb status FB-1 reproduced")
    await chat.say("dave", "/反馈 缺陷\n场景: 支付的时候 App 闪退\n步骤: 加购以后点支付\n期望: 能正常支付")
    await chat.say("erin", "/feedback +1 FB-2")
    assert await chat.say("mod", "/fb merge FB-2 FB-1") == [
        "[dm mod] 已把 FB-2 合并到 FB-1「下单页点击支付以后闪退」（相似度 54/100），2 人加入并已通知。",
        f"[dm dave] 你的反馈 FB-2「支付的时候 App 闪退」和 {HEAD}说的是同一件事，已经合并，之后的进展按 FB-1 通知你。\n"
        "感谢你的贡献：+20 积分",
        f"[dm erin] 你的反馈 FB-2「支付的时候 App 闪退」和 {HEAD}说的是同一件事，已经合并，之后的进展按 FB-1 通知你。",
    ]
    assert await chat.say("mod", "/fb merge FB-2 FB-1") == [  # moderators' words, not a member's
        "[dm mod] FB-2「支付的时候 App 闪退」已经关闭（与其他反馈重复），关闭的反馈不能再更改。"
        "它的处理记录可以用 /反馈 查看 FB-2 查看。"
    ]
    assert await chat.say("frank", "/feedback +1 FB-2 我也是") == [
        f"[playground] @frank 已把你的情况加到 {HEAD}，谢谢补充！有进展会私信告诉你。"
    ]
    merged = {i.id: (i.status, i.duplicate_of) for i in await rows(app, items)}
    assert merged == {1: ("reproduced", None), 2: ("duplicate", 1)}
    roles = [(p.member_id, p.role) for p in await rows(app, people, people.c.item_id == 1)]
    assert [r for _, r in roles] == ["reporter", "reporter", "plus_one", "plus_one"]
    assert await chat.say("mod", "/fb ship FB-1 v2.3") == [
        f"[dm mod] {HEAD}：已复现 → 已上线（v2.3）\n已私信通知 4 人。",
        f"[dm bob] 好消息！你的反馈 {HEAD}已在 v2.3 上线，谢谢你帮我们把产品变得更好 🎉",
        f"[dm dave] 好消息！你的反馈 {HEAD}已在 v2.3 上线，谢谢你帮我们把产品变得更好 🎉",
        f"[dm erin] 好消息！你关注的反馈 {HEAD}已在 v2.3 上线，谢谢你帮我们把产品变得更好 🎉",
        f"[dm frank] 好消息！你关注的反馈 {HEAD}已在 v2.3 上线，谢谢你帮我们把产品变得更好 🎉",
    ]
    assert await chat.say("mod", "/致谢 v2.3") == [
        "[dm mod] v2.3 致谢名单：感谢 bob、dave 的反馈 ❤️\n· FB-1 下单页点击支付以后闪退"
    ]
    assert await chat.say("mod", "/credits v9") == ["[dm mod] v9 还没有上线的反馈，所以暂时没有致谢名单。"]


async def test_moderator_commands_are_refused_to_members(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    for command in (
        "/fb list",
        "/fb show FB-1",
        "/fb status FB-1 acknowledged",
        "/fb ship FB-1 v1",
        "/fb decline FB-1 不要",
        "/fb merge FB-1 FB-1",
        "/fb assign FB-1 研发",
        "/fb overdue",
        "/credits v1",
    ):
        name = "/" + " ".join(command[1:].split()[: 2 if command.startswith("/fb") else 1])
        assert await chat.say("bob", command) == [f"[playground] @bob {REFUSED.format(command=name)}"]
    assert [i.status for i in await rows(app, items)] == ["submitted"]


async def test_a_declined_item_can_be_reopened_and_statuses_are_read_in_chinese(chat: Chat, app) -> None:
    await chat.say("bob", IDEA)
    await chat.say("mod", "/fb decline FB-1 暂无计划")
    assert await chat.say("mod", "/反馈 状态 FB-1 已确认 重新评估") == [
        "[dm mod] FB-1「晚上打开 App 屏幕太亮」：暂不采纳 → 已确认收到\n说明：重新评估\n已私信通知 1 人。",
        "[dm bob] 你的反馈 FB-1「晚上打开 App 屏幕太亮」有新进展：已确认收到。\n说明：重新评估",
    ]
    assert await chat.say("mod", "/fb status FB-1 fixed") == [
        "[dm mod] 请写上状态，可以是：已提交、已确认收到、已复现、评估中、已采纳。\n"
        "正确的用法：/反馈 状态 FB-编号 状态 [说明] （或 /fb status）"
    ]


CLOSED_FB1 = "[dm mod] FB-1「下单页点击支付以后闪退」已经关闭（已上线），关闭的反馈不能再更改。它的处理记录可以用 /反馈 查看 FB-1 查看。"


async def test_a_closed_item_is_refused_first_and_in_moderators_words(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("mod", "/fb ship FB-1 v2.3")
    for command in (
        "/fb ship FB-1 v2.4",
        "/fb ship FB-1",  # the state, not the missing version
        "/fb decline FB-1",  # not the missing reason
        "/fb status FB-1",  # not the missing status
        "/反馈 状态 FB-1 已确认收到",
    ):
        assert await chat.say("mod", command) == [CLOSED_FB1], command
    [item] = await rows(app, items)
    assert (item.status, item.version) == ("shipped", "v2.3")
    await chat.say("carol", "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式")
    await chat.say("mod", "/fb decline FB-2 暂时不做")
    assert await chat.say("mod", "/fb ship FB-2") == [  # a declined item can be reopened: how
        "[dm mod] FB-2「晚上打开 App 屏幕太亮」已经关闭（暂不采纳），要继续处理，请先用 /反馈 状态 FB-2 已确认收到 重新打开。"
        "它的处理记录可以用 /反馈 查看 FB-2 查看。"
    ]
    # a member's +1 on it keeps the member's words
    assert await chat.say("dave", "/feedback +1 FB-1") == [
        "[playground] @dave FB-1「下单页点击支付以后闪退」已经关闭（已上线）。如果问题还在，欢迎发 /反馈 提交一条新的。"
    ]
