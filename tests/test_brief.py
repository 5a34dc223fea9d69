"""The monthly communication brief: set by moderators, sent privately to active KOCs once a month."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.db import schema
from tests.support import Chat

SHANGHAI = ZoneInfo("Asia/Shanghai")
BRIEF = "/简报 设置 {month}\n1. 新品 X1 的续航表现\n2. 冬季保养小技巧"


async def _kocs(app, *names: str) -> None:
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id.in_(names)).values(stage="active"))


async def test_a_brief_set_before_the_month_goes_to_each_active_koc_once(chat: Chat, app) -> None:
    for name in ("bob", "carol", "dave"):
        await chat.say(name, "大家好")
    await _kocs(app, "bob", "carol")
    reply = await chat.say("mod", BRIEF.format(month="2027-01"))
    assert reply == [
        "[dm mod] 已保存 2027-01 的沟通主题（2 个要点）：\n· 新品 X1 的续航表现\n· 冬季保养小技巧\n"
        "2027-01 月初（每月 1 号的定时任务）会私信发给所有活跃 KOC。"
    ]
    chat.transport.take()
    await app.advance_to(datetime(2027, 1, 1, 10, 1, tzinfo=SHANGHAI))
    sent = [m for m in chat.transport.take() if m.contact_id in ("bob", "carol", "dave")]
    assert sorted(m.contact_id or "" for m in sent) == ["bob", "carol"]
    assert sent[0].text.endswith(
        "这些只是要点，不是稿子：请用你自己的话、结合你自己的真实体验来聊，不认同的地方也可以直说。谢谢你一直以来的分享 🙏"
    )
    assert "· 新品 X1 的续航表现\n· 冬季保养小技巧" in sent[0].text
    assert await chat.say("mod", "/简报 发送 2027-01") == ["[dm mod] 所有活跃 KOC 都已经收到 2027-01 的沟通主题了。"]
    assert await chat.say("mod", "/简报 查看 2027-01") == [
        "[dm mod] 2027-01 的沟通主题：\n· 新品 X1 的续航表现\n· 冬季保养小技巧\n已私信发给 2 位 KOC（目前活跃 KOC 2 位）。"
    ]


async def test_a_brief_set_late_is_sent_by_hand_to_those_without_it(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await _kocs(app, "bob")
    await app.advance_to(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))  # December's run has passed
    reply = await chat.say("mod", BRIEF.format(month="2026-12"))
    assert reply[0].endswith("这个月的 1 号已经过了：用 /简报 发送 2026-12 现在私信发给还没收到的活跃 KOC。")
    assert await chat.say("mod", "/简报 发送 2026-12") == [
        "[dm mod] 2026-12 的沟通主题正在私信发给 1 位活跃 KOC。",
        "[dm bob] bob，你好！这是 2026-12 的沟通主题，供你参考：\n· 新品 X1 的续航表现\n· 冬季保养小技巧\n"
        "这些只是要点，不是稿子：请用你自己的话、结合你自己的真实体验来聊，不认同的地方也可以直说。谢谢你一直以来的分享 🙏",
    ]


async def test_active_kocs_who_opted_out_do_not_get_the_brief_and_the_moderator_is_told(chat: Chat, app) -> None:
    for name in ("bob", "carol"):
        await chat.say(name, "大家好")
    await _kocs(app, "bob", "carol")
    await chat.dm("carol", "不要再发了")
    await chat.say("mod", BRIEF.format(month="2026-12"))
    sent = await chat.say("mod", "/简报 发送 2026-12")
    assert sent[0] == "[dm mod] 2026-12 的沟通主题正在私信发给 1 位活跃 KOC。1 位活跃 KOC 退订了主动推送，不会收到。"
    assert [line.split("]")[0] for line in sent[1:]] == ["[dm bob"]


async def test_bad_brief_commands_say_what_is_missing(chat: Chat, app) -> None:
    [reply] = await chat.say("mod", "/简报 设置 十二月 要点")
    assert reply.startswith("[dm mod] 请写上月份，例如 2026-12。\n正确的用法：/简报 设置")
    [reply] = await chat.say("mod", "/简报 设置 2026-12")
    assert reply.startswith("[dm mod] 请在月份后面写上要点，每行一个（是要点，不是稿子）。")
    assert await chat.say("mod", "/简报 查看 2026-11") == [
        "[dm mod] 2026-11 还没有设置沟通主题。用 /简报 设置 2026-11 加上要点（每行一个）来设置。"
    ]
    assert (await chat.say("bob", "/简报 设置 2026-12\n要点"))[0].startswith(
        "[playground] @bob 抱歉，/brief set 只有社群运营可以使用"
    )


async def test_the_koc_form_of_the_command_sets_the_same_brief(chat: Chat, app) -> None:
    await app.drain()
    reply = await chat.say("mod", "/koc brief set 2027-02\n· 春节期间的物流安排")
    assert reply[0].startswith("[dm mod] 已保存 2027-02 的沟通主题（1 个要点）：\n· 春节期间的物流安排")


async def test_a_koc_who_opted_out_does_not_get_the_brief(chat: Chat, app) -> None:
    for name in ("bob", "carol"):
        await chat.say(name, "大家好")
    await _kocs(app, "bob", "carol")
    await chat.dm("carol", "别发了")
    await chat.say("mod", BRIEF.format(month="2027-01"))
    chat.transport.take()
    await app.advance_to(datetime(2027, 1, 1, 10, 1, tzinfo=SHANGHAI))
    sent = [m.contact_id for m in chat.transport.take() if m.contact_id in ("bob", "carol")]
    assert sent == ["bob"]
