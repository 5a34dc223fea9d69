"""/outreach send --at and --every: through the scheduler, confirmed once, each run's segment, shown and cancelled."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.context import Context
from bot.db import schema
from bot.heavy.spec import Work
from bot.uow import UnitOfWork
from handlers.outreach import sends
from handlers.outreach.tables import outreach_recipients, outreach_sends
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
HELLO = "/模板 设置 hello {{ member.name }}，周末好！"


@pytest.fixture
def settings_overrides() -> dict:
    return {"outreach": {"confirm_over": 3}}


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


async def _setup(chat: Chat, *names: str, segment: str = "群=playground") -> None:
    for name in names:
        await chat.say(name, "大家好")
    await chat.dm("mod", HELLO)
    await chat.dm("mod", f"/分群 设置 大家 {segment}")
    chat.transport.take()


def _sent(chat: Chat) -> list[str]:
    return [f"{m.contact_id}: {m.text.splitlines()[0]}" for m in chat.transport.take() if m.contact_id]


async def test_a_send_at_a_time_goes_out_then_to_the_segment_as_it_is_then(chat: Chat, app) -> None:
    await _setup(chat, "bob", "carol")
    assert await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 2026-12-05 10:00") == [
        "[dm mod] 已安排触达 #1：分群「大家」（现在 2 位成员），模板 hello。\n"
        "发送时间：2026-12-05 10:00（Asia/Shanghai 时间），到时按当时的分群发送。\n"
        "查看：/触达 查看 1　取消：/触达 取消 1"
    ]
    await chat.say("dave", "我也来了")  # joins the segment before it runs
    await app.advance_to(_at(5, 9, 59))
    assert _sent(chat) == []
    await app.advance_to(_at(5, 10, 1))
    assert _sent(chat) == [
        "mod: 触达 #1 已排队：3 位成员会私信收到。",
        "bob: bob，周末好！",
        "carol: carol，周末好！",
        "dave: dave，周末好！",
    ]
    assert await chat.dm("mod", "/触达 查看 1") == [
        "[dm mod] 触达 #1：分群「大家」，模板 hello（已排队）\n定时：2026-12-05 10:00（Asia/Shanghai 时间）\n"
        "目标 3 位：已发出 3，待发 0，免打扰时段后发 0，因打扰上限推后 0，失败 0\n跳过：已退订 0，已退群 0"
    ]
    [send] = await rows(app, outreach_sends)
    assert (send.status, send.runs) == ("done", 1)
    assert [j.id for j in await rows(app, schema.scheduler_jobs) if j.id.startswith("outreach:")] == []


async def test_times_in_the_past_or_malformed_and_bad_crons_are_refused_with_the_reason(chat: Chat, app) -> None:
    await _setup(chat, "bob")
    [past] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 2026-11-30 10:00")
    assert past.startswith(
        "[dm mod] 2026-11-30 10:00 已经过去了（现在是 2026-12-01 09:00），请选一个将来的时间。\n正确的用法："
    )
    [bad] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 明天上午")
    assert bad.startswith(
        "[dm mod] 「明天上午」不是一个时间，请写成 2026-12-01 10:00 这样的格式。\n正确的用法：/触达 发送"
    )
    [no_day] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 2026-02-30 10:00")
    assert "2026-02-30" in no_day
    [cron] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --每 0 25 * * *")
    assert cron.startswith("[dm mod] 重复规则有误：「时」这一项的 25 超出了 0-23。")
    [short] = await chat.dm("mod", "/触达 发送 大家 --每 0 10 --模板 hello")
    assert short.startswith("[dm mod] 重复规则有误：需要 5 项，这里有 2 项。")
    [both] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 2026-12-05 10:00 --每 0 10 * * 1")
    assert both.startswith("[dm mod] --定时 和 --每 只能选一个")
    [english] = await chat.dm("mod", "/outreach send 大家 --template hello --every 0 10 * * 9")
    assert english.startswith("[dm mod] 重复规则有误：「星期」这一项的 9 超出了 0-7")
    assert await rows(app, outreach_sends) == []


async def test_a_recurring_send_evaluates_its_segment_at_each_run_and_stops_when_cancelled(chat: Chat, app) -> None:
    await _setup(chat, "bob", "carol")
    [scheduled] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --每 0 10 * * 1")
    assert scheduled == (
        "[dm mod] 已安排触达 #1：分群「大家」（现在 2 位成员），模板 hello。\n"
        "重复规则：0 10 * * 1（Asia/Shanghai 时间），每次发送时重新计算分群，"
        "接下来几次：2026-12-07 10:00、2026-12-14 10:00、2026-12-21 10:00。\n"
        "查看：/触达 查看 1　取消：/触达 取消 1"
    )
    await app.advance_to(_at(7, 12))
    assert _sent(chat) == [
        "mod: 触达 #1第 1 次 已排队：2 位成员会私信收到。",
        "bob: bob，周末好！",
        "carol: carol，周末好！",
    ]
    await chat.dm("carol", "TD")
    await chat.say("dave", "新人报到")
    chat.transport.take()
    await app.advance_to(_at(14, 12))
    assert _sent(chat) == [
        "mod: 触达 #1第 2 次 已排队：2 位成员会私信收到。",
        "bob: bob，周末好！",
        "dave: dave，周末好！",
    ]
    assert await chat.dm("mod", "/触达 查看 1") == [
        "[dm mod] 触达 #1：分群「大家」，模板 hello（已安排）\n"
        "重复规则：0 10 * * 1（Asia/Shanghai 时间），每次重新计算分群，下次 2026-12-21 10:00\n"
        "第 1 次（12-07 10:00）：目标 2 位：已发出 2，待发 0，免打扰时段后发 0，因打扰上限推后 0，失败 0；跳过：已退订 0，已退群 0\n"
        "第 2 次（12-14 10:00）：目标 2 位：已发出 2，待发 0，免打扰时段后发 0，因打扰上限推后 0，失败 0；跳过：已退订 0，已退群 0"
    ]
    assert await chat.dm("mod", "/触达 取消 1") == ["[dm mod] 已取消触达 #1，之后不会再发送。"]
    await app.advance_to(_at(28, 12))
    assert _sent(chat) == []
    assert await chat.dm("mod", "/触达 取消 1") == ["[dm mod] 触达 #1 已经取消，不能再取消。"]
    assert (
        sorted((r.run, r.outcome) for r in await rows(app, outreach_recipients))
        == [(1, "queued")] * 2 + [(2, "queued")] * 2
    )
    [send] = await rows(app, outreach_sends)
    assert (send.status, send.runs, send.cancelled_by is not None) == ("cancelled", 2, True)


async def test_a_big_recurring_send_is_confirmed_once_ahead_of_its_runs(chat: Chat, app) -> None:
    await _setup(chat, "bob", "carol", "dave", "erin")
    [scheduled] = await chat.dm("mod", "/outreach send 大家 --template hello --every 0 10 * * 1")
    assert scheduled.splitlines()[2] == "超过 3 位，需要一位运营用 /触达 确认 1 确认后才会发出（确认一次即可）。"
    assert await chat.dm("admin", "/触达 确认 1") == [
        "[dm admin] 已确认触达 #1（重复发送只需确认这一次）。下次发送：2026-12-07 10:00。"
    ]
    await app.advance_to(_at(14, 12))
    sent = _sent(chat)
    assert sent.count("mod: 触达 #1第 1 次 已排队：4 位成员会私信收到。") == 1
    assert sent.count("mod: 触达 #1第 2 次 已排队：4 位成员会私信收到。") == 1
    assert len(sent) == 10


async def test_a_run_due_before_the_confirmation_goes_out_when_confirmed(chat: Chat, app) -> None:
    await _setup(chat, "bob", "carol", "dave", "erin")
    await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 2026-12-02 10:00")
    await app.advance_to(_at(2, 11))
    assert _sent(chat) == []
    [shown] = await chat.dm("mod", "/触达 查看 1")
    assert "第 1 次已到时间，等待确认：/触达 确认 1" in shown
    confirmed = await chat.dm("admin", "/触达 确认 1")
    assert confirmed[0].startswith("[dm admin] 触达 #1 已排队：4 位成员会私信收到。")
    assert confirmed[1:] == [f"[dm {n}] {n}，周末好！\n回复 TD 退订" for n in ("bob", "carol", "dave", "erin")]
    [send] = await rows(app, outreach_sends)
    assert (send.status, send.runs, send.waiting_run) == ("done", 1, None)


async def test_a_dry_run_with_a_time_says_when_it_would_run_and_sends_nothing(chat: Chat, app) -> None:
    await _setup(chat, "bob")
    [dry] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 2026-12-01 23:00 --试发")
    assert dry.splitlines()[:3] == [
        "[dm mod] 试发（什么都没有发出）：分群「大家」用模板 hello，会私信发给 1 位成员。",
        "会在 2026-12-01 23:00（Asia/Shanghai 时间）发出，按当时的分群发送。",
        "其中 1 条会因免打扰时段晚些发，0 条会因打扰上限推到之后的日子。",
    ]
    [every] = await chat.dm("mod", "/触达 发送 大家 --模板 hello --每 30 9 * * * --试发")
    assert every.splitlines()[1] == (
        "重复规则：30 9 * * *（Asia/Shanghai 时间），接下来几次：2026-12-01 09:30、2026-12-02 09:30、2026-12-03 09:30；"
        "每次按当时的分群发送。"
    )
    assert await rows(app, outreach_sends) == []
    assert [j.id for j in await rows(app, schema.scheduler_jobs) if j.id.startswith("outreach:")] == []


async def test_a_member_who_opts_out_while_a_run_is_rendered_is_skipped(chat: Chat, app) -> None:
    """The segment leaves out who opted out when the run starts; who opts out before its messages are
    written is skipped too (the run's rendering and its writing are separate transactions)."""
    await _setup(chat, "bob", "carol")
    await chat.dm("mod", "/触达 发送 大家 --模板 hello --定时 2026-12-05 10:00")
    async with app.engine.connect() as conn:
        work = Work(conn, app.services.settings, app.services.renderer, {"send": 1, "run": 1}, app.clock.now())
        result = await sends.compute_send(work)
    assert [r.name for r in result["recipients"]] == ["bob", "carol"]
    await chat.dm("bob", "退订")
    chat.transport.take()
    async with UnitOfWork(app.database, app.clock) as uow:
        mod = await app.services.directory.find_member(uow.conn, "mod")
        await sends.deliver_send(Context(app.services, uow, None, mod, None, answering=True), result)
        await uow.commit()
    await app.drain()
    assert _sent(chat) == ["mod: 触达 #1 已排队：1 位成员会私信收到，1 位刚刚退订，不发。", "carol: carol，周末好！"]
    outcomes = {r.member_id: r.outcome for r in await rows(app, outreach_recipients)}
    assert sorted(outcomes.values()) == ["opted_out", "queued"]
