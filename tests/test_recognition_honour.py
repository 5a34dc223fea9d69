"""The monthly honour roll: posted once per month and community, rewards never twice, quotes chosen the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.bootstrap import open_app
from handlers import REGISTRIES
from handlers.recognition.config import RecognitionSection
from handlers.recognition.tables import honour_rolls, ledger
from tests.support import Chat, rows

JANUARY = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 January in Asia/Shanghai


@pytest.fixture
def settings_overrides() -> dict:
    # Posted by hand here; the scheduler's honour_roll job is tested in tests/test_scheduled_jobs.py (and the
    # moderators' monthly report, due at the same moment, in tests/test_monthly_report.py).
    return {
        "recognition": {"monthly_thanks_threshold": 3},
        "scheduler": {"jobs": {"honour_roll": {"enabled": False}, "monthly_report": {"enabled": False}}},
        "communities": [
            {"id": "playground", "name": "新品体验一群"},
            {"id": "global", "name": "Overseas users", "locale": "en"},
            {"id": "quiet", "name": "老用户群"},
        ],
    }


async def _december(chat: Chat) -> None:
    await chat.say("alice", "谢谢 @bob 帮我查到了物流")
    await chat.say("carol", "谢谢 @bob")
    await chat.say("dave", "太感谢了 @bob 耐心教我设置夜间模式，终于弄好了")
    await chat.say("erin", "谢谢 @dave")
    for fan in ("fan1", "fan2", "fan3"):
        await chat.say(fan, f"thanks @carol, from {fan}", room="global")
    await chat.say("alice", "大家新年快乐", room="quiet")
    chat.transport.take()


ROLL_ZH = (
    "[playground] 🌟 2026 年 12 月光荣榜 🌟\n这几位群友耐心帮助了大家，每人都收到了 3 次以上的感谢：\n"
    "1. @bob「热心答主」：收到 3 次感谢，累计 50 积分\n"
    "   “太感谢了 @bob 耐心教我设置夜间模式，终于弄好了” —— dave\n"
    "   “谢谢 @bob 帮我查到了物流” —— alice\n"
    "谢谢你们让这个社群更温暖，也谢谢每一位说出“谢谢”的朋友 💐"
)
ROLL_EN = (
    "[global] 🌟 Honour roll, December 2026 🌟\n"
    "These members patiently helped others, and each was thanked 3 times or more:\n"
    "1. @carol [热心答主]: thanked 3 times, 50 points in all\n"
    '   "thanks @carol, from fan1" (fan1)\n   "thanks @carol, from fan2" (fan2)\n'
    "Thank you for making this community a warmer place, and thanks to everyone who said thank you 💐"
)
DONE = (
    "[dm mod] 已在 新品体验一群、Overseas users 发布 2026 年 12 月光荣榜 🎉\n"
    "老用户群：2026 年 12 月没有成员收到 3 次以上的感谢，这次不发布。"
)
ALREADY = (
    "[dm mod] 2026 年 12 月光荣榜已经发布过了：新品体验一群（01-01 09:00）、Overseas users（01-01 09:00）、"
    "老用户群（01-01 09:00）。不会重复发布，积分也不会重复发放。"
)


async def test_last_months_honour_roll_is_posted_once_in_each_community(chat: Chat, app) -> None:
    await _december(chat)
    await app.advance_to(JANUARY)
    assert await chat.say("mod", "/honour-roll") == [DONE, ROLL_ZH, ROLL_EN]
    posted = {(r.month, r.honoured) for r in await rows(app, honour_rolls)}
    assert posted == {("2026-12", 1), ("2026-12", 0)}
    assert await chat.say("mod", "/光荣榜 2026-12") == [ALREADY]
    assert await chat.say("mod", "/honour-roll") == [ALREADY]
    assert len(await rows(app, honour_rolls)) == 3
    assert sorted(e.key.rsplit(":", 1)[1] for e in await rows(app, ledger)) == ["2026-12", "2026-12"]


async def test_the_month_must_be_over_and_well_written(chat: Chat, app) -> None:
    assert await chat.say("mod", "/honour-roll 2026-12") == [
        "[dm mod] 2026 年 12 月还没有结束，等到下个月再发布光荣榜吧。"
    ]
    assert await chat.say("mod", "/honour-roll 上个月") == [
        "[dm mod] “上个月”不是月份，请写成 2026-11 这样。\n正确的用法：/光荣榜 [2026-11] （或 /honour-roll）"
    ]
    assert (await chat.say("alice", "/honour-roll"))[0].startswith(
        "[playground] @alice 抱歉，/honour-roll 只有社群运营可以使用。"
    )
    assert await rows(app, honour_rolls) == []


async def test_a_revoked_thank_you_is_never_quoted_and_a_member_who_left_is_not_listed(chat: Chat, app) -> None:
    await _december(chat)
    await chat.say("mod", "/thanks revoke 3")  # dave's long one
    await chat.say("frank", "谢谢 @bob")
    await chat.say("carol", "谢谢大家，我要暂时离开一阵子", room="global")
    await chat.leave("carol", room="global")
    await app.advance_to(JANUARY)
    replies = await chat.say("mod", "/honour-roll")  # the moderator's answer first, then the roll
    assert replies[1] == ROLL_ZH.replace("   “太感谢了 @bob 耐心教我设置夜间模式，终于弄好了” —— dave\n", "").replace(
        "—— alice\n", "—— alice\n   “谢谢 @bob” —— carol\n"
    )
    assert replies[0] == (
        "[dm mod] 已在 新品体验一群 发布 2026 年 12 月光荣榜 🎉\n"
        "Overseas users、老用户群：2026 年 12 月没有成员收到 3 次以上的感谢，这次不发布。"
    )


async def test_the_honour_roll_rewards_whoever_the_moment_missed_but_never_twice(settings, clock, transport) -> None:
    strict = settings.model_copy(
        update={"recognition": settings.section(RecognitionSection).model_copy(update={"monthly_thanks_threshold": 5})}
    )
    first = await open_app(strict, transport=transport, registries=REGISTRIES, clock=clock)
    await first.start()
    await _december(Chat(first, transport))
    assert await rows(first, ledger) == []  # 3 thanks: not enough in December's rules
    await first.close()
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    try:
        chat = Chat(app, transport)
        await app.advance_to(JANUARY)
        assert await chat.say("mod", "/honour-roll") == [DONE, ROLL_ZH, ROLL_EN]
        await chat.say("mod", "/honour-roll")
        entries = await rows(app, ledger)
        assert sorted((e.source, e.amount, e.month) for e in entries) == [
            ("thanks_threshold", 50, "2027-01"),
            ("thanks_threshold", 50, "2027-01"),
        ]
    finally:
        await app.close()
