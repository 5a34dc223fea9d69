"""What members and moderators see: /me, /top (ties, the caller's place, months, the brand) and /thanks list."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.events import Contact
from tests.support import Chat, make_message

ME_RULES = (
    "【怎样获得更多】\n"
    "· 一个月收到 3 次有效感谢：50 积分和「热心答主」称号（{progress}）\n"
    "· 组织一次社群活动：30 积分和「活动组织者」称号\n"
    "· 反馈的缺陷被复现：20 积分\n"
    "· 反馈的建议被采纳：50 积分和「荣誉产品顾问」称号\n"
    "· 新品预热活动中每周引发讨论最多的前 3 位 KOC：20 积分和「引爆者」称号\n"
    "· 群友在群里说“谢谢 @你”，或引用你的消息道谢，就会记下一次感谢。同一个人 24 小时内的感谢只计一次，"
    "每人每天最多送出 10 次有效感谢，感谢自己不计入。"
)


@pytest.fixture
def settings_overrides() -> dict:
    return {"recognition": {"monthly_thanks_threshold": 3, "top_size": 3}}


async def _thank(chat: Chat, counts: dict[str, int], room: str = "playground", givers: str = "fan") -> None:
    """Give each member `counts[member]` counted thank-yous, each from a different giver."""
    for receiver, count in counts.items():
        for n in range(count):
            await chat.say(f"{givers}{n}", f"谢谢 @{receiver}", room=room)


async def test_me_answers_privately_with_everything_recorded_and_the_rules(chat: Chat, app) -> None:
    await _thank(chat, {"bob": 3})
    await chat.say("bob", "谢谢 @carol")
    await chat.say("bob", "谢谢 @carol")  # within the cooldown: given, not counted
    await chat.say("mod", "/points grant @bob 20 帮忙整理 FAQ")
    await chat.say("mod", "/event credit @bob 周末读书会")
    assert await chat.say("bob", "/me") == [
        "[playground] @bob 你的贡献记录已经私信发给你啦 📬",
        "[dm bob] bob「热心答主·活动组织者」，这是社群为你记下的一切 🌱\n"
        "【2026 年 12 月】收到感谢 3 次，送出 1 次（另有 1 次没有计入）\n"
        "【累计】收到感谢 3 次，送出 1 次\n"
        "【积分】100（感谢达标 50 · 组织活动 30 · 运营发放 20）\n"
        "2026 年 12 月的积分记录：\n"
        "  12-01 +50 感谢达标：2026 年 12 月\n"
        "  12-01 +20 运营发放：帮忙整理 FAQ\n"
        "  12-01 +30 组织活动：周末读书会\n"
        "【称号】热心答主、活动组织者\n" + ME_RULES.format(progress="本月已达成 🎉"),
    ]


async def test_me_in_private_for_a_newcomer(chat: Chat) -> None:
    assert await chat.dm("dave", "/我的") == [
        "[dm dave] dave，这是社群为你记下的一切 🌱\n"
        "【2026 年 12 月】收到感谢 0 次，送出 0 次\n"
        "【累计】收到感谢 0 次，送出 0 次\n"
        "【积分】0\n"
        "2026 年 12 月的积分记录：没有\n"
        "【称号】还没有，继续加油！\n" + ME_RULES.format(progress="本月还差 3 次")
    ]


BOARD = {"bob": 5, "carol": 4, "dave": 4, "erin": 2, "frank": 2}


async def test_top_ranks_ties_together_and_adds_the_callers_place(chat: Chat) -> None:
    await _thank(chat, BOARD)
    chat.transport.take()
    assert await chat.say("erin", "/top") == [
        "[playground] @erin 🏆 感谢榜 · Playground · 2026 年 12 月\n"
        "1. bob「热心答主」 5 次\n2. carol「热心答主」 4 次\n2. dave「热心答主」 4 次\n"
        "你目前排第 4 名（2 次），继续加油！"
    ]
    assert await chat.say("carol", "/排行") == [
        "[playground] @carol 🏆 感谢榜 · Playground · 2026 年 12 月\n"
        "1. bob「热心答主」 5 次\n2. carol「热心答主」 4 次 ← 你\n2. dave「热心答主」 4 次"
    ]
    assert await chat.say("grace", "/top") == [
        "[playground] @grace 🏆 感谢榜 · Playground · 2026 年 12 月\n"
        "1. bob「热心答主」 5 次\n2. carol「热心答主」 4 次\n2. dave「热心答主」 4 次\n你还没有上榜，继续加油！"
    ]


@pytest.mark.parametrize("settings_overrides", [{"recognition": {"top_size": 2}}])
async def test_a_tie_on_the_last_place_shown_is_said_not_cut_silently(chat: Chat) -> None:
    await _thank(chat, BOARD)
    assert await chat.say("dave", "/top thanks month") == [
        "[playground] @dave 🏆 感谢榜 · Playground · 2026 年 12 月\n"
        "1. bob 5 次\n2. carol 4 次\n……还有 1 位同样是第 2 名\n你目前排第 2 名（4 次），继续加油！"
    ]


async def test_month_and_all_time_boards(chat: Chat, app, clock) -> None:
    await _thank(chat, {"bob": 2, "carol": 1})
    await app.advance_to(clock.now().replace(day=31, hour=16))  # January in Asia/Shanghai
    await _thank(chat, {"carol": 1})
    assert await chat.say("bob", "/top") == [
        "[playground] @bob 🏆 感谢榜 · Playground · 2027 年 1 月\n1. carol 1 次\n你还没有上榜，继续加油！"
    ]
    assert await chat.say("bob", "/排行 全部") == [
        "[playground] @bob 🏆 感谢榜 · Playground · 累计\n1. bob 2 次 ← 你\n1. carol 2 次"
    ]


async def test_the_brand_board_sums_every_group_for_one_identity(chat: Chat) -> None:
    await _thank(chat, {"bob": 1, "carol": 2})
    await _thank(chat, {"bob": 2}, room="room2", givers="friend")
    renamed = replace(make_message("谢谢 @carol", "zoe", "room2"), mentions=(Contact("bob", "Bobby"),))
    await chat.send(renamed)  # bob's nickname changed: still bob
    assert await chat.say("carol", "/top") == [
        "[playground] @carol 🏆 感谢榜 · Playground · 2026 年 12 月\n1. carol 2 次 ← 你\n2. Bobby「热心答主」 1 次"
    ]
    assert await chat.say("carol", "/top", room="room2") == [
        "[room2] @carol 🏆 感谢榜 · room2 · 2026 年 12 月\n1. Bobby「热心答主」 3 次\n你还没有上榜，继续加油！"
    ]
    assert await chat.say("carol", "/top brand") == [
        "[playground] @carol 🏆 感谢榜 · 全品牌 · 2026 年 12 月\n1. Bobby「热心答主」 4 次\n2. carol 2 次 ← 你"
    ]
    assert await chat.dm("carol", "/top") == [  # in private, the brand's board
        "[dm carol] 🏆 感谢榜 · 全品牌 · 2026 年 12 月\n1. Bobby「热心答主」 4 次\n2. carol 2 次 ← 你"
    ]


async def test_the_points_board_and_revoked_thanks(chat: Chat) -> None:
    await _thank(chat, {"bob": 1, "carol": 1})
    await chat.say("mod", "/points grant @carol 20 分享使用心得")
    await chat.say("mod", "/points grant @dave 5 第一次发言")
    await chat.say("mod", "/thanks revoke 1")
    assert await chat.say("bob", "/top points") == [
        "[playground] @bob 🏆 积分榜 · Playground · 2026 年 12 月\n1. carol 20 积分\n2. dave 5 积分\n"
        "你还没有上榜，继续加油！"
    ]
    assert await chat.say("bob", "/top") == [
        "[playground] @bob 🏆 感谢榜 · Playground · 2026 年 12 月\n1. carol 1 次\n你还没有上榜，继续加油！"
    ]
    assert await chat.say("bob", "/top points brand all") == [
        "[playground] @bob 🏆 积分榜 · 全品牌 · 累计\n1. carol 20 积分\n2. dave 5 积分\n你还没有上榜，继续加油！"
    ]


async def test_an_empty_board_and_unknown_words(chat: Chat) -> None:
    assert await chat.say("bob", "/top") == [
        "[playground] @bob 🏆 感谢榜 · Playground · 2026 年 12 月\n还没有人上榜。在群里帮群友解答问题，就会收到感谢哦！"
    ]
    assert await chat.say("bob", "/top weekly") == [
        "[playground] @bob 我看不懂“weekly”。可以用：本月 / 全部，感谢 / 积分，全品牌（顺序随意）。\n"
        "正确的用法：/排行 [本月|全部] [感谢|积分] [全品牌] （或 /top [month|all] [thanks|points] [brand]）"
    ]


async def test_thanks_list_shows_who_when_why_and_whether_it_counted(chat: Chat, app, clock) -> None:
    await chat.say("alice", "谢谢 @bob 帮我查到了物流")
    await chat.say("bob", "谢谢 @bob")
    await chat.say("bob", "thanks @kocbot")
    await chat.say("carol", "/thanks @bob 推荐的色号很适合我")
    await chat.say("mod", "/thanks revoke 4")
    assert await chat.say("mod", "/感谢 列表 @bob") == [
        "[dm mod] bob 的感谢记录：有效收到 1 次，有效送出 0 次\n"
        "#4 12-01 09:00 carol → bob ✗ 已撤回 “推荐的色号很适合我”\n"
        "#3 12-01 09:00 bob → kocbot ✗ 感谢机器人 “thanks @kocbot”\n"
        "#2 12-01 09:00 bob → bob ✗ 感谢自己 “谢谢 @bob”\n"
        "#1 12-01 09:00 alice → bob ✓ “谢谢 @bob 帮我查到了物流”"
    ]
    assert (await chat.say("bob", "/thanks list @bob"))[0].startswith(
        "[playground] @bob 抱歉，/thanks list 只有社群运营可以使用。"
    )
