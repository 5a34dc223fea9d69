"""Words people see: free text kept as typed, no English in Chinese replies, plurals, real reasons for bad
dates, /me's whole month, the bot's own labels accepted (issue 16, "Words and numbers people see")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from matplotlib import dates
from matplotlib.figure import Figure

from bot import charts
from bot.config import LOCALES
from bot.db import schema
from bot.templates import TEMPLATES_DIR, relative_time
from handlers.feedback.rules import parse_status
from handlers.feedback.tables import Status, history
from handlers.threads.tables import events, threads
from tests.support import Chat, rows
from tests.template_samples import SAMPLES
from tests.test_templates import RENDERER

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
TYPED = "说明：已转给研发／测试，　下周一：发版"  # full-width colon, slash and space, as a phone types them


async def test_free_text_keeps_every_character_as_typed(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    [to_mod, to_bob] = await chat.say("mod", f"/fb status FB-1 acknowledged {TYPED}")
    assert to_mod.endswith(f"说明：{TYPED}\n已私信通知 1 人。")
    assert to_bob.endswith(f"说明：{TYPED}")
    assert [h.note for h in await rows(app, history)][-1] == TYPED
    await chat.say("mod", "/issue open 登录失败：偶发")
    await chat.say("mod", f"/issue note 1 {TYPED}")
    await chat.say("mod", f"/issue resolve 1 {TYPED}")
    [thread] = await rows(app, threads)
    assert (thread.title, thread.resolution_text) == ("登录失败：偶发", TYPED)
    assert [e.text for e in await rows(app, events)][1:] == [TYPED, TYPED]
    posts = [r.text for r in await rows(app, schema.outbox) if r.room_platform_id is not None]
    assert TYPED in posts[-1]
    assert not any(":" in post for post in posts)


def _tick_labels(start: datetime, end: datetime, locale: str) -> list[str]:
    figure = Figure()
    axes = figure.subplots()
    axes.plot(dates.date2num([start, end]), [0, 1])
    axes.xaxis.set_major_locator(dates.AutoDateLocator())
    axes.xaxis.set_major_formatter(charts.date_labels(axes, locale))
    figure.canvas.draw()
    return [label.get_text() for label in axes.get_xticklabels()]


def test_chart_dates_are_written_in_the_locale() -> None:
    assert _tick_labels(datetime(2026, 11, 1), datetime(2027, 5, 28), "zh_CN")[:4] == [
        "2026年11月",
        "2026年12月",
        "2027年1月",
        "2027年2月",
    ]
    assert _tick_labels(datetime(2026, 12, 1), datetime(2026, 12, 20), "zh_CN")[:2] == ["12月1日", "12月3日"]
    assert _tick_labels(datetime(2026, 12, 1), datetime(2026, 12, 2, 12), "zh_CN")[:3] == ["12月1日", "04:00", "08:00"]
    assert _tick_labels(datetime(2026, 12, 1), datetime(2026, 12, 20), "en")[:2] == ["Dec 1", "Dec 3"]


async def test_koc_history_names_every_event_in_chinese(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("mod", "/koc 称号 @bob 荣誉产品顾问 1个月")
    await chat.say("mod", "/koc exit @bob 工作太忙")
    [show] = await chat.say("mod", "/koc show @bob")
    history = show.split("【记录】\n")[1].split("\n【未兑现的承诺】")[0]
    # The title's term is a kept promise: nothing holds the exit, which completes at once.
    assert history == (
        "· 2026-12-01 晋升：普通成员 → 活跃（mod）\n"
        "· 2026-12-01 授予称号「荣誉产品顾问」，任期 1 个月（mod）\n"
        "· 2026-12-01 开始退出（mod）：工作太忙\n"
        "· 2026-12-01 退出：活跃 → 名人堂（mod）：工作太忙"
    )


async def test_the_bots_own_status_labels_are_accepted(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    [to_mod, _] = await chat.say("mod", "/fb status FB-1 已确认收到")
    assert to_mod == "[dm mod] FB-1「下单页点击支付以后闪退」：已提交 → 已确认收到\n已私信通知 1 人。"
    [to_mod, _] = await chat.say("mod", "/反馈 状态 FB-1 「已复现」")
    assert to_mod.startswith("[dm mod] FB-1「下单页点击支付以后闪退」：已确认收到 → 已复现")
    assert await chat.say("mod", "/fb status FB-1 暂不采纳") == [
        "[dm mod] 改成「暂不采纳」请用 /反馈 不采纳 FB-编号 理由。"
    ]
    assert await chat.say("mod", "/fb list 已确认收到") == ["[dm mod] 没有已确认收到的反馈。"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_status_label_the_bot_shows_is_read_back(locale: str) -> None:
    for status in Status:
        shown = RENDERER._env.from_string(
            f'{{% from "{locale}/feedback/macros.jinja" import status_label %}}{{{{ status_label(s) }}}}'
        ).render(s=status.value)
        assert parse_status(shown) is status, shown


PROMISE_USAGE = "正确的用法：/koc 承诺 @成员 内容 --due 2026-12-20 （或 /koc promise）"


async def test_a_date_that_does_not_exist_is_called_so(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc promote @bob 私域")
    assert await chat.say("mod", "/koc promise @bob 线下见面会名额 --due 2027-13-01") == [
        "[dm mod] 「2027-13-01」不是一个存在的日期：月份只有 1 到 12。请检查后再发一次。\n" + PROMISE_USAGE
    ]
    assert await chat.say("mod", "/koc promise @bob 线下见面会名额 --due 2027-02-29") == [
        "[dm mod] 「2027-02-29」不是一个存在的日期：2027 年 2 月只有 28 天。请检查后再发一次。\n" + PROMISE_USAGE
    ]
    await chat.say("mod", "/issue open 登录失败")
    assert await chat.say("mod", "/issue resolve 1 已修复 --at 2026-12-01 25:00") == [
        "[dm mod] 「2026-12-01 25:00」不是一个存在的时间：小时是 0 到 23，分钟是 0 到 59。请检查后再发一次。\n"
        "正确的用法：/问题 解决 编号 处理结果 [--preview] [--at 2026-12-01 10:00] （或 /issue resolve）"
    ]


ME_USAGE = "正确的用法：/我的 [月份] （或 /me [month]）"


async def test_a_month_that_does_not_exist_is_called_so(chat: Chat, app) -> None:
    no_month = "「{}」不是一个存在的月份：月份只有 1 到 12。请检查后再发一次。"
    assert await chat.dm("bob", "/我的 2026-13") == [f"[dm bob] {no_month.format('2026-13')}\n{ME_USAGE}"]
    assert await chat.dm("bob", "/me 上个月") == [f"[dm bob] {ME_USAGE}"]  # no month at all: the usage
    assert await chat.say("mod", "/光荣榜 2026-0") == [
        f"[dm mod] {no_month.format('2026-0')}\n正确的用法：/光荣榜 [2026-11] （或 /honour-roll）"
    ]
    assert await chat.say("mod", "/月报 2026-13") == [
        f"[dm mod] {no_month.format('2026-13')}\n正确的用法：/报告 月度 [2026-12] （或 /月报、/report monthly）"
    ]
    assert await chat.say("mod", "/简报 查看 2026-13") == [
        f"[dm mod] {no_month.format('2026-13')}\n正确的用法：/简报 查看 [2026-12] （或 /brief show）"
    ]


# Rendered template samples, scanned: no English word in a Chinese reply, no "1 messages" in an English one.
_ENGLISH = re.compile(r"(?<![\w/@#.:=*{_-])[A-Za-z][a-z]{2,}(?:[ _][a-z]{2,})*(?![\w.(/-])")
# Names, not words: a product, the bot, a time zone, a template's name and its variables.
_CODE_WORDS = {"App", "KOC", "kocbot", "http", "Asia", "Shanghai", "welcome", "community", "member"}
# Templates that teach the template language or name configuration keys: their English is code.
_TEACHES_CODE = {
    "outreach/template_help",
    "outreach/template_refused",
    "outreach/template_render_failed",
    "outreach/template_skipped",
    "web/disabled",
    "core/help",
    "core/help_topic",
}


def _strings(value) -> set[str]:
    """Every text a sample gives a template: names and free text may be anything."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for item in value.values() for s in _strings(item)}
    if isinstance(value, list | tuple | set):
        return {s for item in value for s in _strings(item)}
    if hasattr(value, "__dict__") or hasattr(value, "__slots__"):
        names = getattr(value, "__slots__", ()) or vars(value)
        return {s for name in names for s in _strings(getattr(value, name, None))}
    return set()


def test_chinese_replies_have_no_stray_english_words() -> None:
    stray = {}
    for name, params in SAMPLES.items():
        if name in _TEACHES_CODE:
            continue
        given = " ".join(_strings(params))
        text = RENDERER.render(name, "zh_CN", **params)
        words = {w for w in _ENGLISH.findall(text) if w not in _CODE_WORDS and w not in given}
        if words:
            stray[name] = sorted(words)
    assert stray == {}


def _ones(value):
    if isinstance(value, bool) or not isinstance(value, int | dict | list):
        return value
    if isinstance(value, int):
        return 1
    if isinstance(value, dict):
        return {key: _ones(item) for key, item in value.items()}
    return [_ones(item) for item in value]


_ONE_PLURAL = re.compile(
    r"(?<![\d.,/:#+-])1 (?:active |failed |counted )?(points|days|characters|times|minutes|messages"
    r"|KOCs|people|suggestions|months|hours|keywords|issues|weeks|thank-yous|reporters|clues"
    r"|campaigns|arguments|members|rooms|items|words|numbers)\b"
)


def test_english_counts_of_one_are_singular() -> None:
    wrong = {}
    for name, params in SAMPLES.items():
        if name in _TEACHES_CODE:
            continue
        try:
            text = RENDERER.render(name, "en", **_ones(params))
        except Exception:  # a sample whose numbers cannot all be 1 (an index, a range)
            continue
        found = _ONE_PLURAL.findall(text)
        if found:
            wrong[name] = found
    assert wrong == {}


async def test_me_shows_the_whole_month_with_real_kinds_and_every_way_to_earn(chat: Chat, app, clock) -> None:
    await chat.say("mod", "/points grant @bob 10 上月帮忙")
    await app.advance_to(clock.now() + timedelta(days=31))  # January 2027
    await chat.say("mod", "/points grant @bob 30 线下活动")
    await chat.say("mod", "/undo")
    for n in range(6):
        await chat.say("mod", f"/points grant @bob 1 第 {n + 1} 次")
    await chat.say("mod", "/积分 扣除 @bob 5 重复发放")
    [_, me] = await chat.say("bob", "/me")
    lines = me.split("的积分记录：\n")[1].split("\n【称号】")[0]
    assert lines.splitlines() == [
        "  01-01 +30 运营发放：线下活动（已撤销）",
        "  01-01 -30 撤销：线下活动",
        *(f"  01-01 +1 运营发放：第 {n} 次" for n in range(1, 7)),
        "  01-01 -5 运营扣除：重复发放",
        "更早还有 1 条记录：发送 /我的 2026-12 查看那个月的（可以换成任意月份）。",
    ]
    assert "· 反馈的缺陷被复现：" in me and "· 反馈的建议被采纳：" in me
    [_, december] = await chat.say("bob", "/我的 2026-12")
    assert "2026 年 12 月的积分记录：\n  12-01 +10 运营发放：上月帮忙\n【称号】" in december


# Relative times ("3天后", "in 2 hours", "5 minutes ago") come from Babel, never built by hand in a template.
_HAND_BUILT = (
    re.compile(r"\}\}\s*(?:天|小时|分钟|周|个月|秒)\s*(?:前|后|以后|之后|之前)"),  # {{ days }} 天后
    re.compile(r"(?:前|后)\s*\d+\s*(?:天|小时|分钟)"),
    re.compile(r"\}\}\s*(?:\{\{[^}]*\}\}\s*)?(?:min|minutes?|hours?|days?|weeks?)\s+ago\b"),  # {{ n }} min ago
    re.compile(r"\bin \{\{[^}]*\}\}\s*(?:\{\{[^}]*\}\}|minutes?|hours?|days?)"),  # in {{ n }} {{ "day" ... }}
    re.compile(r"%d\s*(?:天前|天后|day%s ago)"),  # "%d 天前" | format(...)
)


# A rule's length, not a moment: "加入社群满 7 天后" (once a member for 7 days).
_RULE_LENGTH = re.compile(r"满 \{\{[^}]*\}\} 天后")


def test_no_template_builds_a_relative_time_by_hand() -> None:
    found = []
    for path in sorted(TEMPLATES_DIR.rglob("*.j*")):
        text = _RULE_LENGTH.sub("", path.read_text(encoding="utf-8"))
        found += [
            f"{path.relative_to(TEMPLATES_DIR)}: {m[0]}" for pattern in _HAND_BUILT for m in pattern.finditer(text)
        ]
    assert found == []


def test_relative_times_are_said_by_babel_in_each_language() -> None:
    assert [relative_time(w, "zh_CN") for w in (timedelta(days=3), -900, 5400, 1800)] == [
        "3天后",
        "15分钟前",
        "2小时后",
        "30分钟后",
    ]
    assert [relative_time(w, "en") for w in (timedelta(days=3), -900, 3600, 1800)] == [
        "in 3 days",
        "15 minutes ago",
        "in 1 hour",
        "in 30 minutes",
    ]
    assert relative_time(30 * 86400, "zh_CN", "day") == "30天后"  # in days, not "1个月后"
    assert relative_time(-86400, "en", "day") == "1 day ago"
    reminder = {"kind": "payment", "member": "bob", "what": "尾款", "due": "2026-12-20", "id": 1}
    assert RENDERER.render("koc/reminder", "en", days=1, **reminder).startswith(
        "⏰ Reminder: in 1 day (2026-12-20) a payment to bob is due"
    )
    assert RENDERER.render("koc/reminder", "zh_CN", days=30, **reminder).startswith(
        "⏰ 提醒：30天后（2026-12-20）要向 bob 付款"
    )
