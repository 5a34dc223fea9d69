"""Honorary title terms: granted with a term, reviewed by the owning moderator, renewed or let end with thanks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.koc.tables import koc_events, title_terms
from handlers.recognition.ledger import titles_held
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
TITLE = "荣誉产品顾问"


@pytest.fixture
def settings_overrides() -> dict:
    # Not about the moderators' monthly report (its own job on each 1st; see tests/test_monthly_report.py).
    return {"scheduler": {"jobs": {"monthly_report": {"enabled": False}}}}


def at(month: int, day: int, year: int = 2026, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


async def held(app, member_id: int) -> tuple[str, ...]:
    async with app.engine.connect() as conn:
        return await titles_held(conn, member_id)


async def bob_id(app) -> int:
    from bot.db import schema

    [row] = await rows(app, schema.members, schema.members.c.platform_id == "bob")
    return row.id


async def grant(chat: Chat, term: str = "1个月") -> list[str]:
    await chat.say("bob", "大家好")
    return await chat.say("mod", f"/koc 称号 @bob {TITLE} {term}")


async def test_a_title_with_a_term_is_reviewed_then_let_end_with_thanks(chat: Chat, app) -> None:
    assert await grant(chat) == [
        f"[dm mod] 已授予 bob「{TITLE}」称号：1 个月（2026-12-01 至 2027-01-01，任期 #1）。\n"
        "到期前 14 天，我会私信 mod 一份任期回顾，由 TA 决定续期（/koc 续期 1）或到期结束并致谢（/koc 不续期 1）。"
    ]
    assert await held(app, await bob_id(app)) == (TITLE,)
    await chat.say("alice", "谢谢 @bob 帮我解决了问题")
    await chat.say("bob", "不客气")
    chat.transport.take()
    await app.advance_to(at(12, 17))
    assert chat.transport.take() == []
    await app.advance_to(at(12, 20))
    assert [(m.contact_id, m.text) for m in chat.transport.take()] == [
        (
            "mod",
            f"📋 任期回顾：bob 的「{TITLE}」称号（任期 #1，2026-12-01 起）将在14天后（2027-01-01）到期。\n"
            "这个任期里 TA：收到感谢 1 次，反馈被采纳 0 条，参与问题跟进 0 个，群消息 2 条。\n"
            "续期：/koc 续期 1 [6个月]\n到期结束并致谢：/koc 不续期 1",
        )
    ]
    assert await chat.say("mod", "/koc 不续期 1") == [
        f"[dm mod] 好的，bob 的「{TITLE}」称号将在 2027-01-01 任期结束时收回，那天我会私信 TA 一封感谢信。"
        "改主意的话，在那之前用 /koc 续期 1。"
    ]
    await app.advance_to(at(12, 31))
    assert chat.transport.take() == []
    await app.advance_to(at(1, 3, 2027))
    assert [(m.contact_id, m.text) for m in chat.transport.take()] == [
        (
            "bob",
            f"bob，你好！从 2026-12-01 到 2027-01-01，你作为「{TITLE}」陪伴了社群，收到了 1 次群友的感谢。\n"
            "这一任期到今天就结束了，称号也随之卸下，但你的每一份贡献都记录在案，不会消失。真心谢谢你 🙏 社群的大门一直为你敞开，欢迎常回来聊聊。",
        )
    ]
    assert await held(app, await bob_id(app)) == ()
    assert [r.status for r in await rows(app, title_terms)] == ["ended"]
    assert [e.kind for e in sorted(await rows(app, koc_events))] == ["title_term", "title_ended"]
    assert await chat.say("mod", "/koc 续期 1") == ["[dm mod] 任期 #1 已经结束了。"]


async def test_renewing_starts_a_new_term_where_the_old_one_ends(chat: Chat, app) -> None:
    await grant(chat)
    assert await chat.say("mod", "/koc renew 1 2m") == [
        f"[dm mod] 已为 bob 的「{TITLE}」续期 2 个月：新的任期 #2，2027-01-01 至 2027-03-01。"
    ]
    assert await chat.say("mod", "/koc renew 1") == ["[dm mod] 任期 #1 已经续期过了，请对新的任期操作。"]
    chat.transport.take()
    await app.advance_to(at(1, 5, 2027))
    assert chat.transport.take() == []  # the first term was renewed: no review, no end
    assert await held(app, await bob_id(app)) == (TITLE,)
    terms = sorted(await rows(app, title_terms))
    assert [(r.id, r.status, r.starts.isoformat(), r.ends.isoformat()) for r in terms] == [
        (1, "renewed", "2026-12-01", "2027-01-01"),
        (2, "active", "2027-01-01", "2027-03-01"),
    ]


async def test_a_term_over_with_no_decision_keeps_the_title_until_the_moderator_decides(chat: Chat, app) -> None:
    await grant(chat)
    await app.advance_to(at(1, 2, 2027))
    sent = [(m.contact_id, m.text) for m in chat.transport.take()]
    assert sent[-1] == (
        "mod",
        f"bob 的「{TITLE}」任期 #1 已于 2027-01-01 到期，还没有决定：称号先保留着。"
        "请用 /koc 续期 1 续期，或 /koc 不续期 1 让它结束并私信致谢。",
    )
    await app.advance_to(at(1, 4, 2027))
    assert chat.transport.take() == []  # told once
    assert await held(app, await bob_id(app)) == (TITLE,)
    reply = await chat.say("mod", "/koc letend 1")
    assert reply[0] == f"[dm mod] 任期 #1 已经到期：bob 的「{TITLE}」称号今天结束，感谢信已经私信发给 TA。"
    assert reply[1].startswith(f"[dm bob] bob，你好！从 2026-12-01 到 2027-01-01，你作为「{TITLE}」陪伴了社群。")
    assert await held(app, await bob_id(app)) == ()
    await app.advance_to(at(1, 6, 2027))
    assert chat.transport.take() == []


async def test_bad_title_commands_are_explained(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    [reply] = await chat.say("mod", "/koc 称号 @bob 顾问")
    assert reply.startswith(
        "[dm mod] 没有「顾问」这个称号。可以授予的称号：热心答主、活动组织者、荣誉产品顾问、品牌名人堂。\n"
        "正确的用法：/koc 称号 @成员 称号 [6个月]"
    )
    [reply] = await chat.say("mod", f"/koc 称号 @bob {TITLE} 半年")
    assert reply.startswith("[dm mod] “半年”不是一个任期。任期请写成 6个月 或 6m（1 到 36 个月）。")
    [reply] = await chat.say("mod", f"/koc 称号 {TITLE}")
    assert reply.startswith("[dm mod] 请 @ 一位成员，例如 /koc 称号 @bob 荣誉产品顾问 6个月。")
    assert (await chat.say("mod", f"/koc 称号 @bob {TITLE}"))[0].startswith(
        f"[dm mod] 已授予 bob「{TITLE}」称号：6 个月（2026-12-01 至 2027-06-01，任期 #1）。"
    )
    assert await chat.say("mod", f"/koc 称号 @bob {TITLE} 3m") == [
        f"[dm mod] bob 的「{TITLE}」已经在任期 #1 中（到 2027-06-01）。需要延长请用 /koc 续期 1。"
    ]
    [reply] = await chat.say("mod", "/koc 续期 一")
    assert reply.startswith("[dm mod] 请写上任期编号，例如 /koc 续期 3 6个月。\n正确的用法：/koc 续期 任期编号")
    assert await chat.say("mod", "/koc 不续期 9") == ["[dm mod] 没有找到任期 #9，请检查编号。"]
    assert (await chat.say("bob", f"/koc title @bob {TITLE}"))[0].startswith(
        "[playground] @bob 抱歉，/koc title 只有社群运营可以使用"
    )


async def test_granting_a_title_with_a_term_keeps_the_promise_of_it(chat: Chat, app, clock) -> None:
    from datetime import timedelta

    from handlers.koc.tables import promises

    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("mod", f"/koc 称号 @bob {TITLE} 6个月")
    [kept] = await rows(app, promises)
    assert (kept.source, kept.text, kept.status) == ("title", TITLE, "kept")
    assert await chat.say("mod", "/koc promises @bob") == ["[dm mod] bob 的未兑现的承诺：0 项"]
    await app.advance_to(clock.now() + timedelta(days=20))  # past the two weeks a reward is due in
    chat.transport.take()
    [digest] = await chat.dm("mod", "/周报")
    assert "逾期未兑现的承诺" not in digest
    done = await chat.say("mod", "/koc exit @bob")  # nothing owed holds up the exit
    assert done[0] == "[dm mod] bob 的退出已完成：已私信感谢，授予「品牌名人堂」。接班人选已私信发给运营。"
