"""Scheduled announcements through the chat: once and on cron, validation, list/show/cancel/preview, downtime."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import open_app
from bot.db import schema
from bot.transports.memory import InMemoryTransport
from handlers.outreach.tables import announcements
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "communities": [
            {"id": "playground", "name": "一群"},
            {"id": "second", "name": "二群"},
            {"id": "overseas", "name": "Overseas", "locale": "en", "timezone": "Europe/London"},
        ]
    }


def _at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=zone)


def _posts(chat: Chat) -> list[str]:
    return [f"[{m.room_id}] {m.text}" for m in chat.transport.take() if m.room_id]


async def test_a_one_off_announcement_goes_out_once_at_its_time(chat: Chat, app) -> None:
    reply = await chat.say("mod", "/公告 定时 2026-12-01 20:00 #一群 #二群 周六晚 8 点直播，欢迎来看！")
    assert reply == [
        "[dm mod] 已安排定时公告 #1，发到：一群、二群。\n发送时间：2026-12-01 20:00（Asia/Shanghai 时间）。\n"
        "内容预览：\n周六晚 8 点直播，欢迎来看！\n查看：/公告 查看 1　取消：/公告 取消 1"
    ]
    await app.advance_to(_at(1, 19, 59))
    assert _posts(chat) == []
    await app.advance_to(_at(3, 12))
    assert _posts(chat) == ["[playground] 周六晚 8 点直播，欢迎来看！", "[second] 周六晚 8 点直播，欢迎来看！"]
    [row] = await rows(app, announcements)
    assert (row.status, row.runs) == ("done", 1)
    assert await chat.say("mod", "/公告 列表") == [
        "[dm mod] 现在没有已安排的定时公告。用 /公告 定时 或 /公告 每 来安排。"
    ]
    assert [r.id for r in await rows(app, schema.scheduler_jobs)].count("announce:1") == 0


async def test_a_recurring_announcement_follows_the_cron_in_the_rooms_time_zone(chat: Chat, app) -> None:
    reply = await chat.say("mod", "/announce every 0 9 * * 1-5 #Overseas Stand-up in the community call at 9!")
    assert reply[0].startswith(
        "[dm mod] 已安排定时公告 #1，发到：Overseas。\n重复规则：0 9 * * 1-5（Europe/London 时间），"
        "接下来几次：2026-12-01 09:00、2026-12-02 09:00、2026-12-03 09:00。"
    )
    await app.advance_to(_at(8, 9, zone=ZoneInfo("Europe/London")) + timedelta(minutes=1))  # Tue 1st .. Tue 8th
    sent = [m for m in chat.transport.take() if m.room_id]
    assert [m.text for m in sent] == ["Stand-up in the community call at 9!"] * 6  # Tue-Fri, Mon, Tue
    listed = await chat.say("mod", "/announce list")
    assert listed == [
        "[dm mod] 已安排的定时公告（1 条）：\n#1 每「0 9 * * 1-5」 → Overseas，下次 12-09 09:00："
        "Stand-up in the community cal…"
    ]


async def test_the_commands_are_for_moderators_only_and_refusals_are_audited(chat: Chat, app) -> None:
    assert await chat.say("bob", "/announce at 2026-12-01 20:00 hi") == [
        "[playground] @bob 抱歉，/announce at 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    assert await rows(app, announcements) == []
    audit = await rows(app, schema.audit_log)
    assert [(a.action, a.outcome) for a in audit] == [("announce at", "refused")]


CRON = "。格式是 5 项「分 时 日 月 星期」，例如 0 10 * * 1 表示每周一 10:00（星期 0 和 7 都是周日）。"


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (
            "/公告 定时 2026-11-30 10:00 hi",
            "2026-11-30 10:00 已经过去了（现在是 2026-12-01 09:00），请选一个将来的时间。",
        ),
        ("/公告 定时 明天十点 hi", "「明天十点 hi」不是一个时间，请写成 2026-12-01 10:00 这样的格式。"),
        (
            "/公告 定时 2026-02-30 10:00 hi",
            "「2026-02-30 10:00」不是一个存在的日期：2026 年 2 月只有 28 天。请检查后再发一次。",
        ),
        (
            "/公告 定时 2026-12-02 24:00 hi",
            "「2026-12-02 24:00」不是一个存在的时间：小时是 0 到 23，分钟是 0 到 59。请检查后再发一次。",
        ),
        ("/公告 定时 2026-12-02 10:00 #三群 hi", "找不到群「#三群」。已知的群：一群、二群、Overseas（或用 #全部）。"),
        ("/公告 定时 2026-12-02 10:00", "请写上公告内容，或用 --模板 名称 指定一个模板。"),
        ("/公告 定时 2026-12-02 10:00 --模板 周报", "没有名为「周报」的模板。可以先用 /模板 设置 创建。"),
        ("/公告 每 0 25 * * * hi", "重复规则有误：「时」这一项的 25 超出了 0-23" + CRON),
        ("/公告 每 0 10 * * 8 hi", "重复规则有误：「星期」这一项的 8 超出了 0-7，或者范围前大后小" + CRON),
        ("/公告 每 x 10 * * * hi", "重复规则有误：「分」这一项的 x 不是数字、*、范围 a-b 或间隔 */n" + CRON),
        ("/公告 每 0 10 5-1 * * hi", "重复规则有误：「日」这一项的范围 5-1 前大后小" + CRON),
        ("/公告 每 0 10 31 2 * hi", "重复规则有误：这个规则永远不会触发（比如 2 月 31 日）" + CRON),
        ("/公告 每 0 10 * *", "重复规则有误：需要 5 项规则再加上要发的内容，这里只有 4 项" + CRON),
    ],
)
async def test_bad_input_gets_what_was_wrong_and_the_usage(chat: Chat, app, command: str, problem: str) -> None:
    [reply] = await chat.say("mod", command)
    assert reply.startswith(f"[dm mod] {problem}\n正确的用法：/公告 ")
    assert await rows(app, announcements) == []
    assert await rows(app, schema.scheduler_jobs, schema.scheduler_jobs.c.id.startswith("announce")) == []


async def test_in_private_the_rooms_must_be_named(chat: Chat, app) -> None:
    [reply] = await chat.dm("mod", "/announce at 2026-12-02 10:00 hello")
    assert reply.startswith("[dm mod] 私信里用这个命令时，请用 #群名 指明是哪些群（或 #全部）。")
    [reply] = await chat.dm("mod", "/announce at 2026-12-02 10:00 #全部 hello")
    assert reply.startswith("[dm mod] 已安排定时公告 #1，发到：一群、二群、Overseas。")


async def test_show_cancel_and_preview(chat: Chat, app) -> None:
    await chat.say("mod", "/announce every 0 10 * * * #二群 每日打卡提醒")
    shown = await chat.say("mod", "/公告 查看 1")
    assert shown == [
        "[dm mod] 定时公告 #1（已安排）\n发到：二群\n重复规则：0 10 * * *\n"
        "接下来：2026-12-01 10:00、2026-12-02 10:00、2026-12-03 10:00\n已发送 0 次\n内容：每日打卡提醒"
    ]
    preview = await chat.say("mod", "/公告 预览 每 30 8 * * 1 #一群 #二群 早安")
    assert preview == [
        "[dm mod] 【预览，不会发送】\n按「30 8 * * 1」，接下来：2026-12-07 08:30、2026-12-14 08:30、2026-12-21 08:30\n"
        "—— 一群 ——\n早安\n—— 二群 ——\n早安"
    ]
    assert await chat.say("mod", "/公告 预览 1") == ["[dm mod] 【预览，不会发送】\n—— 二群 ——\n每日打卡提醒"]
    await app.advance_to(_at(2, 10, 1))
    assert _posts(chat) == ["[second] 每日打卡提醒"] * 2
    assert await chat.say("mod", "/公告 取消 1") == ["[dm mod] 已取消定时公告 #1，之后不会再发送。"]
    assert await chat.say("mod", "/公告 取消 1") == ["[dm mod] 定时公告 #1 已经取消，无需再取消。"]
    assert await chat.say("mod", "/公告 取消 7") == [
        "[dm mod] 没有编号为 #7 的定时公告。用 /公告 列表 查看已安排的公告。"
    ]
    await app.advance_to(_at(5, 12))
    assert _posts(chat) == []
    [row] = await rows(app, announcements)
    assert (row.status, row.runs, row.cancelled_by is not None) == ("cancelled", 2, True)


async def test_restart_inside_the_grace_time_posts_once_late(chat: Chat, app, settings, clock, registries) -> None:
    await chat.say("mod", "/announce at 2026-12-01 10:00 #一群 #二群 hello")
    await app.advance_to(_at(1, 9, 55))
    await app.close()
    clock.set(_at(1, 10, 30))  # the bot was down from 09:55 to 10:30
    transport = InMemoryTransport()
    again = await open_app(settings, transport=transport, registries=registries, clock=clock)
    try:
        await again.start()
        await again.drain()
        await again.drain()
        assert sorted(f"[{m.room_id}] {m.text}" for m in transport.take()) == ["[playground] hello", "[second] hello"]
    finally:
        await again.close()


async def test_restart_beyond_the_grace_time_skips_and_tells_the_moderators(
    chat: Chat, app, settings, clock, registries
) -> None:
    await chat.say("mod", "/announce at 2026-12-01 10:00 #一群 hello")
    await app.advance_to(_at(1, 9, 55))
    await app.close()
    clock.set(_at(1, 12))
    transport = InMemoryTransport()
    again = await open_app(settings, transport=transport, registries=registries, clock=clock)
    try:
        await again.start()
        await again.drain()
        sent = sorted((m.contact_id or m.room_id, m.text) for m in transport.take())
        notice = (
            "【定时任务未执行】定时公告 #1原定 2026-12-01 10:00 执行，但机器人当时不在线，超过了补发时限（60 分钟），"
            "本次已跳过，不会再补发。\n如仍需要，请重新安排（/公告 定时 …）。"
        )
        assert sent == [("admin", notice), ("mod", notice)]
        [row] = await rows(again, announcements)
        assert (row.status, row.runs) == ("done", 0)
    finally:
        await again.close()


async def test_quiet_hours_hold_an_announcement_until_morning_unless_urgent(chat: Chat, app) -> None:
    reply = await chat.say("mod", "/公告 定时 2026-12-01 23:00 #一群 晚安，明天见")
    assert "注意：这个时间在免打扰时段（22:00-08:00）内，公告会等到免打扰结束后再发" in reply[0]
    await chat.say("mod", "/公告 定时 2026-12-01 23:00 #二群 --紧急 系统维护通知：23:30 开始停机 30 分钟")
    await app.advance_to(_at(1, 23, 1))
    assert _posts(chat) == ["[second] 系统维护通知：23:30 开始停机 30 分钟"]
    await app.advance_to(_at(2, 7, 59))
    assert _posts(chat) == []
    await app.advance_to(_at(2, 8, 1))
    assert _posts(chat) == ["[playground] 晚安，明天见"]


async def test_cancelling_withdraws_a_post_waiting_for_the_morning(chat: Chat, app) -> None:
    await chat.say("mod", "/公告 定时 2026-12-01 23:00 #一群 晚安")
    await app.advance_to(_at(1, 23, 30))
    assert await chat.say("mod", "/公告 取消 1") == [
        "[dm mod] 已取消定时公告 #1，之后不会再发送。还在排队、尚未发出的 1 条也已撤回。"
    ]
    await app.advance_to(_at(2, 9))
    assert _posts(chat) == []


async def test_an_announcement_from_a_template_is_rendered_for_each_room(chat: Chat, app) -> None:
    saved = await chat.say("mod", "/模板 设置 早安 {{ community.name }} 的朋友们早上好！今天也请多多分享 🌞")
    assert "早安" in saved[0]
    reply = await chat.say("mod", "/公告 每 0 9 * * * #一群 #二群 --模板 早安")
    assert reply[0].endswith(
        "内容预览：\n一群 的朋友们早上好！今天也请多多分享 🌞\n查看：/公告 查看 1　取消：/公告 取消 1"
    )
    await app.advance_to(_at(2, 9, 1))
    assert _posts(chat) == [
        "[playground] 一群 的朋友们早上好！今天也请多多分享 🌞",
        "[second] 二群 的朋友们早上好！今天也请多多分享 🌞",
    ]
    assert await chat.say("mod", "/公告 预览 1") == [
        "[dm mod] 【预览，不会发送】\n—— 一群 ——\n一群 的朋友们早上好！今天也请多多分享 🌞\n"
        "—— 二群 ——\n二群 的朋友们早上好！今天也请多多分享 🌞"
    ]
