"""Segments: the expression language, its SQL on both databases, and the /segment commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from bot.db import schema
from handlers.feedback.tables import history as feedback_history
from handlers.feedback.tables import items as feedback_items
from handlers.feedback.tables import people as feedback_people
from handlers.outreach.segment_parse import SegmentProblem, parse
from handlers.outreach.segment_query import count_and_first
from handlers.recognition.tables import ledger, thanks, title_events
from handlers.threads.tables import people as issue_people
from handlers.threads.tables import threads as issue_threads
from tests.support import Chat


async def _ids(app) -> dict[str, int]:
    async with app.engine.connect() as conn:
        return dict((await conn.execute(select(schema.members.c.platform_id, schema.members.c.id))).all())


async def _community(app) -> dict[str, int]:
    async with app.engine.connect() as conn:
        return dict((await conn.execute(select(schema.communities.c.platform_id, schema.communities.c.id))).all())


async def _town(chat: Chat, app, clock) -> dict[str, int]:
    """bob: active KOC with a title, thanked 3 times, silent for 20 days; carol: candidate with 120 points,
    reported FB-1 (adopted) and thread 1; dave: +1 on FB-1, gave the thanks; newbie: joined today;
    erin: in the overseas room only."""
    for name in ("bob", "carol", "dave"):
        await chat.say(name, "大家好")
    await chat.say("erin", "hello", room="overseas")
    clock.advance(timedelta(days=20))
    for name in ("carol", "dave"):
        await chat.say(name, "还在")
    await chat.join("newbie")
    ids, rooms = await _ids(app), await _community(app)
    now = clock.now()
    async with app.engine.begin() as conn:
        members = schema.members
        await conn.execute(update(members).where(members.c.id == ids["bob"]).values(stage="active"))
        await conn.execute(update(members).where(members.c.id == ids["carol"]).values(stage="candidate"))
        await conn.execute(
            insert(ledger).values(
                member_id=ids["carol"], amount=120, reason="", source="manual", month="2026-12", created_at=now
            )
        )
        await conn.execute(
            insert(title_events).values(
                member_id=ids["bob"], title="热心答主", granted=True, source="manual", created_at=now
            )
        )
        for days in (1, 2, 40):
            await conn.execute(
                insert(thanks).values(
                    giver_id=ids["dave"],
                    receiver_id=ids["bob"],
                    community_id=rooms["playground"],
                    month="2026-12",
                    created_at=now - timedelta(days=days),
                    via="message",
                    counted=True,
                )
            )
        item = {"kind": "bug", "status": "adopted", "title": "闪退", "scenario": "s", "expected": "e"}
        await conn.execute(
            insert(feedback_items).values(id=1, reporter_id=ids["carol"], created_at=now, updated_at=now, **item)
        )
        for who, role in (("carol", "reporter"), ("dave", "plus_one")):
            await conn.execute(insert(feedback_people).values(item_id=1, member_id=ids[who], role=role, created_at=now))
        await conn.execute(
            insert(feedback_history).values(item_id=1, what="status", to_status="adopted", created_at=now)
        )
        await conn.execute(
            insert(issue_threads).values(id=1, title="登录失败", opened_by=ids["carol"], created_at=now, updated_at=now)
        )
        await conn.execute(
            insert(issue_people).values(thread_id=1, member_id=ids["carol"], part="reporter", added_at=now)
        )
    return ids


async def _members(app, expression: str) -> list[str]:
    async with app.engine.connect() as conn:
        _, first = await count_and_first(conn, expression, app.clock.now(), app.services.settings, first=100)
    return [row.platform_id for row in first]


CASES = [
    ("阶段=活跃", ["bob"]),
    ("stage=candidate or stage=active", ["bob", "carol"]),
    ("阶段!=成员 且 非 阶段=候选", ["bob"]),
    ("群=overseas", ["erin"]),
    ("入群<=7", ["newbie"]),
    ("joined>7", []),
    ("沉默>=14", ["bob", "erin"]),
    ("silent<14 and not 群=overseas", ["carol", "dave", "newbie"]),
    ("收到感谢>=3", ["bob"]),
    ("近30天收到感谢>=3", []),
    ("thanks_received[30d]=2", ["bob"]),
    ("送出感谢>=1", ["dave"]),
    ("积分>=100", ["carol"]),
    ("称号=热心答主", ["bob"]),
    ("反馈>=1", ["carol"]),
    ("反馈<1 且 阶段=候选", []),
    ("被采纳>=1", ["carol"]),
    ("+1=FB-1", ["dave"]),
    ("附议>=1 或 报告问题=#1", ["carol", "dave"]),
    ("(阶段=活跃 或 积分>=100) 且 非 沉默>=14", ["carol"]),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
async def test_each_field_selects_the_right_members(chat: Chat, app, clock, expression: str, expected) -> None:
    await _town(chat, app, clock)
    members = await _members(app, expression)
    assert members == expected


async def test_taking_part_in_a_campaign_is_talk_in_its_rooms_not_commands(chat: Chat, app, clock) -> None:
    await chat.say("mod", "/活动 创建 X1预热 --上线 2026-12-15 #Playground")
    await chat.say("carol", "猜是新耳机")
    await chat.say("dave", "/我的")  # a command to the bot in the room: no part in the campaign's talk
    await chat.say("erin", "/ping")
    assert await _members(app, "活动=X1预热") == ["carol"]
    assert await _members(app, "campaign=#1") == ["carol"]


async def test_members_who_opted_out_are_never_in_a_segment(chat: Chat, app, clock) -> None:
    await _town(chat, app, clock)
    await chat.dm("bob", "TD")
    assert await _members(app, "阶段=活跃") == []
    await chat.dm("bob", "/订阅")
    assert await _members(app, "阶段=活跃") == ["bob"]


async def test_set_and_show_answer_privately_with_the_count_and_first_members(chat: Chat, app, clock) -> None:
    await _town(chat, app, clock)
    assert await chat.say("mod", "/分群 设置 老朋友 沉默>=14 或 阶段=候选") == [
        "[dm mod] 已保存分群「老朋友」：沉默>=14 或 阶段=候选\n现在有 3 位成员（已退订的不算）。发送 /分群 查看 老朋友 看名单。"
    ]
    assert await chat.say("mod", "/分群 查看 老朋友") == [
        "[dm mod] 分群「老朋友」：沉默>=14 或 阶段=候选\n现在有 3 位成员（已退订的不算）：\n· bob\n· carol\n· erin"
    ]
    assert await chat.dm("mod", "/segment set 老朋友 stage=candidate") == [
        "[dm mod] 已更新分群「老朋友」：stage=candidate\n现在有 1 位成员（已退订的不算）。发送 /分群 查看 老朋友 看名单。"
    ]
    assert await chat.dm("mod", "/分群 列表") == [
        "[dm mod] 分群（1 个）：\n· 老朋友：stage=candidate\n用 /分群 查看 名称 看现在有哪些成员。"
    ]
    assert await chat.dm("mod", "/分群 删除 老朋友") == ["[dm mod] 已删除分群「老朋友」。"]
    assert await chat.dm("mod", "/分群 查看 老朋友") == [
        "[dm mod] 没有名为 老朋友 的分群。还没有分群：用 /分群 设置 名称 条件 建一个。"
    ]


async def test_show_lists_the_first_ten_of_a_big_segment(chat: Chat, app) -> None:
    for n in range(12):
        await chat.say(f"m{n:02}", "hi")
    await chat.dm("mod", "/分群 设置 大家 阶段=成员")
    [reply] = await chat.dm("mod", "/分群 查看 大家")
    assert reply.startswith(
        "[dm mod] 分群「大家」：阶段=成员\n现在有 12 位成员（已退订的不算），前 10 位：\n· m00\n· m01"
    )
    assert reply.count("\n· ") == 10


ERRORS = [
    (
        "等级>=3",
        "不认识的条件「等级」。可以用的条件：阶段、领域、群、入群、沉默、收到感谢、送出感谢、积分、称号、反馈、被采纳、+1、报告问题、活动。",
    ),
    ("阶段=老大", "「阶段」没有「老大」这个值，可以写：成员、候选、活跃、休息、校友。"),
    ("群=不存在的群", "「群」没有「不存在的群」这个值，可以写：overseas。"),
    ("阶段>3", "「阶段」不能用 >，可以用：= !=。"),
    ("积分>=很多", "「积分」后面要写一个数字（天数或次数），不是「很多」。"),
    ("近7天积分>=3", "「积分」不能限定最近几天（只有感谢、反馈、采纳、+1、问题可以，例如 近30天收到感谢>=3）。"),
    ("(阶段=活跃", "括号没有配对。"),
    ("阶段=活跃 且", "条件没写完：且、或、非 后面还要有条件。"),
]


@pytest.mark.parametrize(("expression", "problem"), ERRORS)
async def test_errors_name_the_unknown_field_or_value(chat: Chat, app, expression: str, problem: str) -> None:
    await chat.say("erin", "hello", room="overseas")
    [reply] = await chat.dm("mod", f"/分群 设置 x {expression}")
    assert reply.startswith(f"[dm mod] {problem}\n正确的用法：/分群 设置 名称 条件")


async def test_english_errors_use_the_english_names(chat: Chat, app) -> None:
    await chat.dm("mod", "/ping")
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id == "mod").values(locale="en"))
    app.services.directory.forget("mod")
    [reply] = await chat.dm("mod", "/segment set x stage=boss")
    assert reply.startswith(
        '[dm mod] "stage" has no value "boss"; it takes: member, candidate, active, resting, alumni.\n'
        "Usage: /segment set NAME CONDITION"
    )


async def test_members_may_not_use_segments(chat: Chat, app) -> None:
    [reply] = await chat.dm("bob", "/分群 列表")
    assert "分群（" not in reply


def test_parsing_needs_no_database() -> None:
    tree = parse("(入群<=7 或 近30天收到感谢>=3) and not 反馈>=1")
    assert type(tree).__name__ == "Both"
    with pytest.raises(SegmentProblem):
        parse("阶段 活跃")
