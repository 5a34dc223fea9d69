"""Exit with honour: blocked while promises are open, completed once settled; the hall of fame; a return."""

from __future__ import annotations

from bot.db import schema
from handlers.koc.tables import koc_events, koc_exits
from handlers.recognition.ledger import titles_held
from tests.support import Chat, rows

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"


async def _ids(app) -> dict[str, int]:
    return {m.platform_id: m.id for m in await rows(app, schema.members)}


async def test_an_exit_waits_for_every_promise_then_honours_the_koc(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")  # seen in the group: only then a KOC
    await chat.say("carol", "谢谢 @bob 的耐心解答")
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("bob", BUG)
    await chat.say("mod", "/koc promise @bob 12 月线下见面会名额 --due 2026-12-20")
    chat.transport.take()
    opened = await chat.say("mod", "/koc exit @bob 工作太忙 --公开")
    assert opened[0].startswith(
        "[dm mod] 已为 bob 开始退出流程。在感谢和授予名人堂之前，先把我们对 TA 的承诺一一了结（3 项）："
    )
    assert "· #1 答复反馈 FB-1「下单页点击支付以后闪退」" in opened[0]
    assert "· #3 告知结果 FB-1「下单页点击支付以后闪退」" in opened[0]
    assert "· #2 12 月线下见面会名额（2026-12-20 前）" in opened[0]
    [stage] = [m.stage for m in await rows(app, schema.members) if m.platform_id == "bob"]
    assert stage == "active"  # not yet: promises are open
    await chat.say("mod", "/反馈 状态 FB-1 已确认")  # the answer owed (#1) is given
    again = await chat.say("mod", "/koc exit @bob")
    assert again[0].startswith("[dm mod] bob 的退出流程还没有完成。") and "（2 项）" in again[0]
    await chat.say("mod", "/koc waive 2 活动取消，已当面致歉")
    await chat.say("mod", "/反馈 上线 FB-1 v2.3")  # the outcome owed (#3) is told by the ship notice...
    again = await chat.say("mod", "/koc exit @bob")  # ...whose reward to a KOC is a new promise (#4)
    assert again[0].startswith("[dm mod] bob 的退出流程还没有完成。") and "· #4 发放奖励 " in again[0]
    await chat.say("mod", "/koc keep 4 积分已到账")
    chat.transport.take()
    done = await chat.say("mod", "/koc exit @bob")
    assert (
        "[dm bob] bob，谢谢你一路以来的陪伴和分享 🙏\n你在社群里收到了 1 次感谢，有 1 条建议被采纳。\n"
        "我们为你授予了「品牌名人堂」称号，你的记录会一直保留在这里。无论什么时候想回来看看，我们都欢迎你 🌱"
    ) in done
    assert "[playground] 感谢 @bob 一直以来在群里的分享和帮助！TA 已入选「品牌名人堂」，欢迎随时回来看看 🌟" in done
    assert done[0] == (  # the answer to the moderator first: a reply
        "[dm mod] bob 的退出已完成：已私信感谢，授予「品牌名人堂」，并在 Playground 公开致谢。接班人选已私信发给运营。"
    )
    ids = await _ids(app)
    async with app.engine.connect() as conn:
        assert "品牌名人堂" in await titles_held(conn, ids["bob"])
    [row] = await rows(app, koc_exits)
    assert row.completed_at is not None and row.contribution["thanks"] == 1 and row.reason == "工作太忙"
    kinds = [e.kind for e in await rows(app, koc_events) if e.member_id == ids["bob"]]
    assert kinds == ["promote", "exit_opened", "exit"]
    assert [a.action for a in await rows(app, schema.audit_log)].count("koc exit") == 4


async def test_the_hall_of_fame_and_a_return_with_history_intact(chat: Chat, app) -> None:
    assert await chat.say("bob", "/名人堂") == ["[playground] @bob 名人堂里还没有成员。"]
    await chat.say("dave", "大家好")  # seen in the group: only then a KOC
    await chat.say("mod", "/koc promote @dave 公域")
    await chat.say("mod", "/koc exit @dave")
    fame = await chat.say("bob", "/halloffame")
    assert fame == [
        "[playground] @bob 🌟 品牌名人堂\n· dave（2026-12 ~ 2026-12）：收到感谢 0 次，建议被采纳 0 条，提出问题 0 个\n"
        "谢谢每一位曾经和我们一起的朋友。"
    ]
    assert await chat.say("mod", "/koc return @dave") == [
        "[dm mod] 已欢迎 dave 回归，TA 重新成为活跃 KOC，历史记录完整保留。",
        "[dm dave] dave，欢迎回家！🎉 你的所有记录都还在，和以前一样，期待继续听到你真实的分享。",
    ]
    kinds = [e.kind for e in await rows(app, koc_events)]
    assert kinds == ["promote", "exit_opened", "exit", "return"]
    assert (await chat.say("bob", "/名人堂"))[0].endswith(
        "提出问题 0 个，现已回归 🎉\n谢谢每一位曾经和我们一起的朋友。"
    )


async def test_exit_and_return_refuse_politely(chat: Chat) -> None:
    assert await chat.say("mod", "/koc exit @erin") == [
        "[dm mod] erin 现在是普通成员，不是在任的 KOC，不需要退出流程。"
    ]
    assert await chat.say("mod", "/koc return @erin") == [
        "[dm mod] erin 现在是普通成员，不是名人堂成员，无需回归；要晋升请用 /koc 晋升。"
    ]
    [refused] = await chat.say("bob", "/koc exit @erin")
    assert refused.startswith("[playground] @bob 抱歉，/koc exit 只有社群运营可以使用")
