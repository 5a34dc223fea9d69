"""Promises through the pipeline: added, listed overdue first, kept, waived; created by rewards and feedback; the digest."""

from __future__ import annotations

from datetime import timedelta

from bot.db import schema
from handlers.koc.tables import promises
from tests.support import Chat, rows

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"


async def _promise_rows(app) -> list:
    return sorted(await rows(app, promises), key=lambda r: r.id)


async def test_a_moderator_records_lists_keeps_and_waives_promises(chat: Chat, app) -> None:
    await chat.say("mod", "/koc promote @bob 私域")
    assert await chat.say("mod", "/koc promise @bob 12 月线下见面会名额 --due 2026-12-20") == [
        "[dm mod] 已记下对 bob 的承诺 #1：12 月线下见面会名额（2026-12-20 前）。兑现后请用 /koc 兑现 1。"
    ]
    await chat.say("mod", "/koc 承诺 @bob 新品试用装 --due 2026-12-05")
    assert await chat.say("mod", "/koc promises @bob") == [
        "[dm mod] bob 的未兑现的承诺：2 项\n· #2 新品试用装 · 2026-12-05 前\n· #1 12 月线下见面会名额 · 2026-12-20 前"
    ]
    assert await chat.say("mod", "/koc 兑现 2 已寄出") == ["[dm mod] 承诺 #2 已兑现：新品试用装（已寄出）。"]
    assert await chat.say("mod", "/koc keep 2") == ["[dm mod] 承诺 #2 已经兑现了。"]
    assert await chat.say("mod", "/koc waive 1") == [
        "[dm mod] 放弃一项承诺需要写明原因。\n正确的用法：/koc 放弃 编号 原因 （或 /koc waive）"
    ]
    assert await chat.say("mod", "/koc waive 1 活动取消") == [
        "[dm mod] 承诺 #1 已放弃：12 月线下见面会名额。原因：活动取消。请记得向对方说明。"
    ]
    waived, kept = await _promise_rows(app)
    assert (kept.status, kept.settle_note, waived.status, waived.settle_note) == (
        "kept",
        "已寄出",
        "waived",
        "活动取消",
    )
    audits = [(a.action, a.details.get("promise")) for a in await rows(app, schema.audit_log)]
    assert ("koc waive", 1) in audits and ("koc keep", 2) in audits
    assert await chat.say("mod", "/koc promises") == ["[dm mod] 未兑现的承诺：0 项"]


async def test_bad_input_gets_the_usage(chat: Chat) -> None:
    usage = "\n正确的用法：/koc 承诺 @成员 内容 --due 2026-12-20 （或 /koc promise）"
    assert await chat.say("mod", "/koc promise @bob 名额") == [
        "[dm mod] 请用 --due 写上兑现日期，比如 --due 2026-12-20。" + usage
    ]
    assert await chat.say("mod", "/koc promise @bob 名额 --due 12月20日") == [
        "[dm mod] 请用 --due 写上兑现日期，比如 --due 2026-12-20。" + usage
    ]
    assert await chat.say("mod", "/koc promise @bob --due 2026-12-20") == ["[dm mod] 请写上承诺的内容。" + usage]
    assert await chat.say("mod", "/koc keep abc") == [
        "[dm mod] 请写上承诺的编号，比如 3。\n正确的用法：/koc 兑现 编号 [备注] （或 /koc keep）"
    ]
    assert await chat.say("mod", "/koc keep 9") == ["[dm mod] 没有编号为 9 的承诺。"]


async def test_a_reward_to_a_koc_is_a_promise_created_once_and_none_for_other_members(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")  # seen in the group: only then a KOC
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("mod", "/积分 发放 @bob 50 组织线下活动")
    await chat.say("mod", "/积分 发放 @carol 50 组织线下活动")
    await chat.say("mod", "/称号 授予 @bob 活动组织者")
    ids = {m.platform_id: m.id for m in await rows(app, schema.members)}
    assert [(p.member_id, p.source, p.text, p.due.isoformat(), p.status) for p in await _promise_rows(app)] == [
        (ids["bob"], "reward", "+50 · 组织线下活动", "2026-12-15", "open"),
        (ids["bob"], "title", "活动组织者", "2026-12-15", "kept"),  # granting the title is giving it
    ]
    assert await chat.say("mod", "/koc promises") == [
        "[dm mod] 未兑现的承诺：1 项\n· #1 bob：奖励兑现 +50 · 组织线下活动 · 2026-12-15 前"
    ]
    await chat.say("mod", "/积分 扣除 @bob 10 重复发放")  # a deduction owes nothing
    assert len(await _promise_rows(app)) == 2


IDEA = "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式"


async def test_every_path_that_grants_a_koc_a_title_keeps_the_promise_of_it(chat: Chat, app, clock) -> None:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("mod", "/称号 授予 @bob 荣誉产品顾问")  # the title command
    await chat.say("mod", "/活动 奖励 @bob 周末读书会")  # an event: points and the organiser's title
    for n in range(10):  # the month's thanks threshold: points and 热心答主
        await chat.say(f"giver{n}", "谢谢 @bob 的耐心解答")
    await chat.say("bob", IDEA)
    await chat.say("mod", "/fb status FB-1 adopted")  # an adopted suggestion: points and its title (held already)
    titles = [(p.text, p.status) for p in await _promise_rows(app) if p.source == "title"]
    assert titles == [("荣誉产品顾问", "kept"), ("活动组织者", "kept"), ("热心答主", "kept")]
    await app.advance_to(clock.now() + timedelta(days=20))  # past the two weeks a reward is due in
    chat.transport.take()
    [digest] = await chat.dm("mod", "/周报")
    assert "称号" not in digest  # overdue: the points only
    exit_list = (await chat.say("mod", "/koc exit @bob"))[0]
    assert "称号" not in exit_list and "奖励" in exit_list  # the points wait to be delivered; no title does


async def test_a_titles_promise_left_open_by_an_older_kocbot_is_kept_when_read(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("mod", "/称号 授予 @bob 活动组织者")
    async with app.engine.begin() as conn:  # as an older kocbot left it: open, though the title is held
        await conn.execute(promises.update().values(status="open", settled_at=None, settle_note=None))
    assert await chat.say("mod", "/koc promises") == ["[dm mod] 未兑现的承诺：0 项"]
    [kept] = await _promise_rows(app)
    assert (kept.source, kept.status, kept.settle_note) == ("title", "kept", "granted")


async def test_a_kocs_feedback_is_owed_an_answer_kept_at_its_first_status_change(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")  # seen in the group: only then a KOC
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("bob", BUG)
    await chat.say("carol", BUG.replace("闪退", "卡住"))  # not a KOC: nothing owed on record
    [owed] = await _promise_rows(app)
    assert (owed.source, owed.source_key, owed.text, owed.due.isoformat()) == (
        "feedback",
        "feedback:1:answer",
        "FB-1「下单页点击支付以后闪退」",
        "2026-12-04",
    )
    await chat.say("mod", "/fb status FB-1 acknowledged 已转给研发")
    [kept] = await _promise_rows(app)
    assert (kept.status, kept.settle_note) == ("kept", "acknowledged")
    await chat.say("mod", "/fb status FB-1 reproduced")  # rewarded: the reward is owed now
    assert [(p.source, p.status) for p in await _promise_rows(app)] == [("feedback", "kept"), ("reward", "open")]


async def test_overdue_promises_are_a_section_of_the_moderators_digest(chat: Chat, app, clock) -> None:
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("mod", "/koc promise @bob 新品试用装 --due 2026-12-03")
    await chat.say("mod", "/koc promise @bob 见面会名额 --due 2026-12-30")
    [digest] = await chat.dm("mod", "/digest")
    assert "逾期" not in digest
    await app.advance_to(clock.now() + timedelta(days=5))
    chat.transport.take()
    [digest] = await chat.dm("mod", "/周报")
    assert (
        "⏰ 逾期未兑现的承诺：1 项\n· #1 bob：新品试用装 · 应于 2026-12-03 前\n"
        "兑现后请用 /koc 兑现 编号；确实无法兑现，请用 /koc 放弃 编号 原因，并向对方说明。"
    ) in digest
    assert "见面会名额" not in digest
