"""Campaigns through the chat: create, list, show, keywords, talking points, close, and clue drops with the
active KOCs' private heads-up before each, travelled in time on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.bootstrap import open_app
from bot.db import schema
from bot.scheduling.jobs import JobRun
from bot.transports.memory import InMemoryTransport
from bot.uow import UnitOfWork
from handlers.campaigns import clues as clue_jobs
from handlers.campaigns.tables import campaign_rooms, campaigns, clues
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREATE = "/活动 创建 新品 X1 预热 --上线 2026-12-15 #一群 #二群"
POINTS = "/活动 要点 1 续航比上一代更久；冬天户外也好用\n· 充电一次能用多久，说说你自己的体验"
HEADS_UP = (
    "{name}，你好！「新品 X1 预热」的下一条线索将在 2026-12-05 20:00（Asia/Shanghai 时间）发到 {rooms}：\n"
    "猜猜这是什么？这个冬天，它会陪你走得更远。\n这次可以聊的要点：\n· 续航比上一代更久\n· 冬天户外也好用\n"
    "· 充电一次能用多久，说说你自己的体验\n发布前请先别透露。这些只是要点，不是稿子：线索发出后，请用你自己的话、"
    "结合你自己的真实体验参与讨论，不必照抄，不认同的地方也可以直说。谢谢你 🙏"
)


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "communities": [
            {"id": "playground", "name": "一群"},
            {"id": "second", "name": "二群"},
            {"id": "overseas", "name": "Overseas", "locale": "en", "timezone": "Europe/London"},
        ]
    }


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def _posts(chat: Chat) -> list[str]:
    return [f"[{m.room_id}] {m.text}" for m in chat.transport.take() if m.room_id]


def _sent(chat: Chat) -> list[tuple[str, str]]:
    return sorted((m.room_id or f"dm {m.contact_id}", m.text) for m in chat.transport.take())


async def _stage(app, stage: str, *names: str) -> None:
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id.in_(names)).values(stage=stage))


async def _community(chat: Chat, app) -> None:
    """bob: a KOC in both rooms; carol: a KOC in 一群; erin: a KOC of a room outside the campaign;
    frank: resting; gina: a KOC who left; alice: a member."""
    for name, room in (
        ("bob", "playground"),
        ("bob", "second"),
        ("carol", "playground"),
        ("erin", "overseas"),
        ("frank", "second"),
        ("gina", "playground"),
        ("alice", "playground"),
    ):
        await chat.say(name, "大家好", room=room)
    await chat.leave("gina")
    await _stage(app, "active", "bob", "carol", "erin", "gina")
    await _stage(app, "resting", "frank")
    chat.transport.take()


async def test_create_computes_rooms_launch_and_period(chat: Chat, app) -> None:
    reply = await chat.say("mod", CREATE)
    assert reply == [
        "[dm mod] 已创建活动 #1「新品 X1 预热」，覆盖：一群、二群。\n上线日：2026-12-15（Asia/Shanghai 时间）\n"
        "统计期：从现在（2026-12-01 09:00）到 2026-12-22（上线日后 7 天）\n接下来可以：\n"
        "· /活动 关键词 1 新品 X1 …　设置标记活动讨论的关键词\n· /活动 要点 1 要点一；要点二　给 KOC 的沟通要点\n"
        "· /活动 线索 1 --时间 2026-12-15 20:00 线索内容　安排一条线索"
    ]
    [row] = await rows(app, campaigns)
    assert (row.name, row.launch_on.isoformat(), row.timezone, row.status) == (
        "新品 X1 预热",
        "2026-12-15",
        "Asia/Shanghai",
        "open",
    )
    assert row.starts_at == _at(1, 9).astimezone(UTC)
    assert row.ends_at == _at(23, 0).astimezone(UTC)  # the launch day's end, plus 7 days
    assert len(await rows(app, campaign_rooms)) == 2
    # No #room: the room it was typed in; the launch day may be today; the name keeps its "："
    reply = await chat.say("mod", "/campaign create 冬季：暖心计划 --launch 2026-12-01", room="overseas")
    assert reply[0].startswith(
        '[dm mod] Created campaign #2 "冬季：暖心计划" for: Overseas.\nLaunch day: 2026-12-01 (Europe/London time)'
    )
    second = (await rows(app, campaigns, campaigns.c.id == 2))[0]
    assert second.ends_at == datetime(2026, 12, 9, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    [line] = await chat.dm("mod", "/活动 创建 私信里的活动 --上线 2026-12-15")
    assert line.startswith(
        "[dm mod] 私信里用这个命令时，请用 #群名 指明是哪些群（或 #全部）。\n正确的用法：/活动 创建 "
    )
    [line] = await chat.dm("mod", "/活动 创建 全部群 --上线 2026-12-15 #全部")
    assert line.startswith("[dm mod] 已创建活动 #3「全部群」，覆盖：一群、二群、Overseas。")


async def test_members_are_refused_and_the_refusal_is_audited(chat: Chat, app) -> None:
    assert await chat.say("bob", "/活动 创建 偷偷办活动 --上线 2026-12-15") == [
        "[playground] @bob 抱歉，/campaign create 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    assert await rows(app, campaigns) == []
    audit = await rows(app, schema.audit_log)
    assert [(a.action, a.outcome) for a in audit] == [("campaign create", "refused")]


BAD_CAMPAIGNS = [
    ("/活动 创建 新品 --上线 2026-11-30", "上线日 2026-11-30 已经过去了（今天是 2026-12-01），请选今天或以后的日期。"),
    (
        "/活动 创建 新品 --上线 2026-02-30",
        "「2026-02-30」不是一个存在的日期：2026 年 2 月只有 28 天。请检查后再发一次。",
    ),
    ("/活动 创建 新品 --上线 2027-13-01", "「2027-13-01」不是一个存在的日期：月份只有 1 到 12。请检查后再发一次。"),
    ("/活动 创建 新品 --上线 下周二", "「下周二」不是一个日期，格式是 --上线 2026-12-15。"),
    ("/活动 创建 新品 #一群", "请写上上线日，格式是 --上线 2026-12-15。"),
    ("/活动 创建 --上线 2026-12-15", "请先写上活动名称，再写 --上线 日期。"),
    ("/活动 创建 新品 --上线 2026-12-15 #三群", "找不到群「#三群」。已知的群：一群、二群、Overseas（或用 #全部）。"),
    ("/活动 创建 新品 --上线 2026-12-15 明天见", "看不懂「明天见」：活动名称后面只能写 --上线 日期 和 #群名。"),
]


async def test_bad_campaigns_get_what_was_wrong_and_the_usage(chat: Chat, app) -> None:
    for command, problem in BAD_CAMPAIGNS:
        [reply] = await chat.say("mod", command)
        assert reply == (
            f"[dm mod] {problem}\n正确的用法：/活动 创建 名称 --上线 2026-12-15 [#群名 …|#全部] "
            "（或 /campaign create 名称 --launch …）"
        )
    assert await rows(app, campaigns) == []


async def test_list_show_keywords_and_points(chat: Chat, app) -> None:
    await chat.say("mod", CREATE)
    await chat.say("mod", "/活动 创建 旧活动 --上线 2026-12-02")
    assert await chat.say("mod", "/活动 关键词 1") == [
        "[dm mod] 活动 #1「新品 X1 预热」还没有关键词。用 /活动 关键词 1 词1 词2 … 来设置。"
    ]
    assert await chat.say("mod", "/活动 关键词 1 新品 X1，续航 x1 新品、冬天") == [
        "[dm mod] 活动 #1「新品 X1 预热」的关键词已更新（4 个）：新品、X1、续航、冬天"
    ]
    [reply] = await chat.say("mod", "/活动 关键词 1 " + " ".join(f"词{i}" for i in range(21)))
    assert reply.startswith("[dm mod] 关键词最多 20 个（现在 21 个），每个最多 30 个字。\n正确的用法：/活动 关键词 ")
    assert await chat.say("mod", POINTS) == [
        "[dm mod] 活动 #1「新品 X1 预热」的沟通要点已更新（3 条）：\n· 续航比上一代更久\n· 冬天户外也好用\n"
        "· 充电一次能用多久，说说你自己的体验\n每条线索发布前，活跃 KOC 会在私信预告里收到这些要点（是要点，不是稿子）。"
    ]
    [reply] = await chat.say("mod", "/campaign points 1 " + "|".join("abcdefghi"))
    assert reply.startswith("[dm mod] 沟通要点最多 8 条（现在 9 条），每条最多 200 个字。")
    assert await chat.say("mod", "/活动 结束 2") == ["[dm mod] 已结束活动 #2「旧活动」，统计截止到 2026-12-01 09:00。"]
    assert await chat.say("mod", "/活动 结束 2") == ["[dm mod] 活动 #2「旧活动」已经结束了。"]
    assert await chat.say("mod", "/活动 列表") == [
        "[dm mod] 上线活动（2 个）：\n#1「新品 X1 预热」进行中，上线日 2026-12-15，一群、二群\n"
        "#2「旧活动」已结束，上线日 2026-12-02，一群"
    ]
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-05 20:00 猜猜这是什么？")
    assert await chat.say("mod", "/活动 查看 1") == [
        "[dm mod] 活动 #1「新品 X1 预热」（进行中）\n群：一群、二群\n上线日：2026-12-15（Asia/Shanghai 时间）\n"
        "统计期：2026-12-01 09:00 至 2026-12-23 00:00\n关键词：新品、X1、续航、冬天\n沟通要点：\n· 续航比上一代更久\n"
        "· 冬天户外也好用\n· 充电一次能用多久，说说你自己的体验\n线索（1 条）：\n"
        "#1 2026-12-05 20:00 待发布，12-05 18:00 预告 KOC：猜猜这是什么？"
    ]
    assert await chat.say("mod", "/活动 查看 9") == ["[dm mod] 没有编号为 #9 的活动。用 /活动 列表 查看所有活动。"]
    [reply] = await chat.say("mod", "/活动 查看")
    assert reply.startswith("[dm mod] 请写上活动编号，例如 1。\n正确的用法：/活动 查看 编号")


async def test_a_clue_drops_once_after_the_active_kocs_heads_up(chat: Chat, app, settings, clock, registries) -> None:
    await _community(chat, app)
    await chat.say("mod", CREATE)
    await chat.say("mod", POINTS)
    reply = await chat.say("mod", "/活动 线索 1 --时间 2026-12-05 20:00 猜猜这是什么？这个冬天，它会陪你走得更远。")
    assert reply == [
        "[dm mod] 已安排活动 #1 的线索 #1：2026-12-05 20:00（Asia/Shanghai 时间）发到 一群、二群。\n"
        "KOC 预告：2026-12-05 18:00（提前 120 分钟）私信预告 2 位活跃 KOC。\n内容预览：\n"
        "猜猜这是什么？这个冬天，它会陪你走得更远。\n取消：/活动 线索 取消 1"
    ]
    jobs = sorted(
        r.id for r in await rows(app, schema.scheduler_jobs, schema.scheduler_jobs.c.id.startswith("campaign"))
    )
    assert jobs == ["campaign-clue:1", "campaign-headsup:1"]
    await app.advance_to(_at(5, 17, 59))
    assert chat.transport.take() == []
    await app.advance_to(_at(5, 18, 0))
    assert _sent(chat) == [
        ("dm bob", HEADS_UP.format(name="bob", rooms="一群、二群")),
        ("dm carol", HEADS_UP.format(name="carol", rooms="一群")),
    ]
    await app.advance_to(_at(5, 19, 59))
    assert chat.transport.take() == []
    await app.advance_to(_at(5, 20, 1))
    assert _posts(chat) == [
        "[playground] 猜猜这是什么？这个冬天，它会陪你走得更远。",
        "[second] 猜猜这是什么？这个冬天，它会陪你走得更远。",
    ]
    [clue] = await rows(app, clues)
    assert (clue.status, clue.heads_up_sent, clue.posted_at) == ("posted", 2, _at(5, 20).astimezone(UTC))
    assert await rows(app, schema.scheduler_jobs, schema.scheduler_jobs.c.id.startswith("campaign")) == []
    # Run again (as after a crash between the posts and the job's move on): the dedupe keys hold.
    async with app.engine.begin() as conn:
        await conn.execute(update(clues).values(status="scheduled"))
    for job in (clue_jobs.send_heads_up, clue_jobs.post_clue):
        async with UnitOfWork(app.database, clock) as uow:
            await job(JobRun("again", _at(5, 20).astimezone(UTC), clock.now(), app.services, uow), 1)
            await uow.commit()
    await app.drain()
    assert chat.transport.take() == []
    # And a restart repeats nothing either.
    await app.close()
    transport = InMemoryTransport()
    again = await open_app(settings, transport=transport, registries=registries, clock=clock)
    try:
        await again.start()
        await again.advance_to(_at(6, 12))
        assert transport.take() == []
    finally:
        await again.close()


async def test_a_clue_from_a_template_and_a_heads_up_due_at_once(chat: Chat, app) -> None:
    await _community(chat, app)
    await chat.say("mod", "/模板 设置 预热 {{ community.name }} 的朋友们，猜猜下周会发生什么？")
    await chat.say("mod", "/活动 创建 新品 X1 预热 --上线 2026-12-15 #一群 #二群")
    reply = await chat.say("mod", "/campaign clue 1 --template 预热 --at 2026-12-01 10:00")
    assert reply[0] == (
        "[dm mod] 已安排活动 #1 的线索 #1：2026-12-01 10:00（Asia/Shanghai 时间）发到 一群、二群。\n"
        "KOC 预告：离发布已不到 120 分钟，现在就私信预告 2 位活跃 KOC。\n"
        "提示：还没有沟通要点，预告里只有线索本身；可以用 /活动 要点 1 要点一；要点二 补上。\n"
        "内容预览：\n一群 的朋友们，猜猜下周会发生什么？\n取消：/活动 线索 取消 1"
    )
    assert sorted(reply[1:]) == [
        "[dm bob] bob，你好！「新品 X1 预热」的下一条线索将在 2026-12-01 10:00（Asia/Shanghai 时间）发到 一群、二群：\n"
        "一群 的朋友们，猜猜下周会发生什么？\n发布前请先别透露。这些只是要点，不是稿子：线索发出后，请用你自己的话、"
        "结合你自己的真实体验参与讨论，不必照抄，不认同的地方也可以直说。谢谢你 🙏",
        "[dm carol] carol，你好！「新品 X1 预热」的下一条线索将在 2026-12-01 10:00（Asia/Shanghai 时间）发到 一群：\n"
        "一群 的朋友们，猜猜下周会发生什么？\n发布前请先别透露。这些只是要点，不是稿子：线索发出后，请用你自己的话、"
        "结合你自己的真实体验参与讨论，不必照抄，不认同的地方也可以直说。谢谢你 🙏",
    ]
    await app.advance_to(_at(1, 10, 1))
    assert _posts(chat) == [
        "[playground] 一群 的朋友们，猜猜下周会发生什么？",
        "[second] 二群 的朋友们，猜猜下周会发生什么？",
    ]


BAD_CLUES = [
    ("/活动 线索 --时间 2026-12-05 20:00 hi", "请写上活动编号，例如 1。"),
    ("/活动 线索 1 猜猜看", "请用 --时间 2026-12-01 20:00 写上线索发布的时间。"),
    (
        "/活动 线索 1 --时间 明晚八点 猜猜看",
        "「明晚八点 猜猜看」不是一个时间，请写成 --时间 2026-12-01 20:00 这样的格式（活动所在时区）。",
    ),
    (
        "/活动 线索 1 --时间 2026-11-31 20:00 猜猜看",
        "「2026-11-31 20:00」不是一个存在的日期：2026 年 11 月只有 30 天。请检查后再发一次。",
    ),
    (
        "/活动 线索 1 --时间 2026-12-01 08:00 猜猜看",
        "2026-12-01 08:00 已经过去了（现在是 2026-12-01 09:00），请选一个将来的时间。",
    ),
    (
        "/活动 线索 1 --时间 2026-12-23 00:00 猜猜看",
        "2026-12-23 00:00 已超出活动的统计期（到 2026-12-23 00:00 为止），线索要在活动期间发布。",
    ),
    ("/活动 线索 1 --时间 2026-12-05 20:00", "请写上线索内容，或用 --模板 名称 指定一个模板。"),
    (
        "/活动 线索 1 --时间 2026-12-05 20:00 --模板 预热 猜猜看",
        "内容和 --模板 只能选一个：要么直接写线索内容，要么用模板。",
    ),
    ("/活动 线索 1 --时间 2026-12-05 20:00 --模板 预热", "没有名为「预热」的模板。可以先用 /模板 设置 创建。"),
    ("/活动 线索 1 --时间 2026-12-05 20:00 --模板", "请在 --模板 后面写上模板名称。"),
]


async def test_bad_clues_get_what_was_wrong_and_the_usage(chat: Chat, app) -> None:
    await chat.say("mod", CREATE)
    for command, problem in BAD_CLUES:
        [reply] = await chat.say("mod", command)
        assert reply == (
            f"[dm mod] {problem}\n正确的用法：/活动 线索 编号 --时间 2026-12-10 20:00 线索内容 "
            "（或 --模板 名称；或 /campaign clue 编号 --at …）"
        )
    assert await rows(app, clues) == []
    assert await rows(app, schema.scheduler_jobs, schema.scheduler_jobs.c.id.startswith("campaign")) == []


async def test_cancel_and_close_withdraw_what_has_not_gone_out(chat: Chat, app) -> None:
    await _community(chat, app)
    await chat.say("mod", CREATE)
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-05 20:00 第一条")
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-01 23:00 晚安线索")  # heads-up at 21:00, posts held until 08:00
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-06 20:00 第三条")
    assert await chat.say("mod", "/活动 线索 取消 1") == ["[dm mod] 已取消活动 #1 的线索 #1，不会再发布。"]
    assert await chat.say("mod", "/活动 线索 取消 1") == ["[dm mod] 线索 #1 已经取消了，无需再取消。"]
    assert await chat.say("mod", "/活动 线索 取消 9") == [
        "[dm mod] 没有编号为 #9 的线索。用 /活动 查看 活动编号 查看一次活动的线索。"
    ]
    await app.advance_to(_at(1, 23, 30))
    assert sorted(m.contact_id or "" for m in chat.transport.take()) == ["bob", "carol"]  # clue 2's heads-up, at 21:00
    reply = await chat.say("mod", "/活动 结束 1")
    assert reply == [
        "[dm mod] 已结束活动 #1「新品 X1 预热」，统计截止到 2026-12-01 23:30。\n"
        "还没发布的 2 条线索已取消，还在排队、尚未发出的 2 条消息也已撤回。"
    ]
    await app.advance_to(_at(2, 7, 59))
    assert chat.transport.take() == []  # the news that clue 2 is off waits out the night
    await app.advance_to(_at(7, 12))
    assert [
        (m.contact_id, m.text) for m in chat.transport.take() if "线索" in m.text or m.text in ("第一条", "第三条")
    ] == [
        (
            name,
            f"{name}，你好！之前预告的「新品 X1 预热」线索（原定 2026-12-01 23:00 发布）已经取消，"
            "不用再为它准备了。预告里的内容还请继续保密，谢谢你 🙏",
        )
        for name in ("bob", "carol")
    ]
    outbox = schema.outbox
    ours = outbox.c.dedupe_key.startswith("campaign:1:clue:") | outbox.c.dedupe_key.startswith("campaign:1:headsup:")
    assert sorted((m.dedupe_key, m.status) for m in await rows(app, outbox, ours)) == [
        ("campaign:1:headsup:2:bob", "sent"),
        ("campaign:1:headsup:2:carol", "sent"),
    ]
    assert [(c.id, c.status) for c in await rows(app, clues)] == [(1, "cancelled"), (2, "cancelled"), (3, "cancelled")]
    assert await rows(app, schema.scheduler_jobs, schema.scheduler_jobs.c.id.startswith("campaign")) == []
    [campaign] = await rows(app, campaigns)
    assert (campaign.status, campaign.ends_at, campaign.closed_by is not None) == (
        "closed",
        _at(1, 23, 30).astimezone(UTC),
        True,
    )
    [line] = await chat.say("mod", "/活动 线索 1 --时间 2026-12-10 20:00 再来一条")
    assert line == "[dm mod] 活动 #1「新品 X1 预热」已经结束了。"


async def test_a_cancelled_clue_whose_heads_up_went_out_says_so(chat: Chat, app) -> None:
    await _community(chat, app)
    await chat.say("mod", CREATE)
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-01 10:00 很快揭晓")  # the heads-up goes out at once
    assert await chat.say("mod", "/活动 线索 取消 1") == [
        "[dm mod] 已取消活动 #1 的线索 #1，不会再发布。\n"
        "已有 2 位 KOC 收到了这条线索的预告，我已私信告诉他们线索取消了。",
        *[
            f"[dm {name}] {name}，你好！之前预告的「新品 X1 预热」线索（原定 2026-12-01 10:00 发布）已经取消，"
            "不用再为它准备了。预告里的内容还请继续保密，谢谢你 🙏"
            for name in ("bob", "carol")
        ],
    ]
    await app.advance_to(_at(1, 12))
    assert chat.transport.take() == []


async def test_kocs_whose_rooms_a_clue_will_no_longer_reach_are_told(chat: Chat, app) -> None:
    """Posted in 一群 at 11:00; in Overseas (03:00 in London) it waits out the night. Cancelled at 12:00,
    the waiting post is withdrawn: the clue stays posted, and erin, whose only room was Overseas, is told."""
    await _community(chat, app)
    await chat.say("erin", "hello", room="overseas")
    await chat.say("mod", "/活动 创建 新品 X1 预热 --上线 2026-12-15 #一群 #Overseas")
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-02 11:00 猜猜这是什么？")  # heads-up at 09:00
    await app.advance_to(_at(2, 11, 30))
    assert [(m.room_id or f"dm {m.contact_id}") for m in chat.transport.take()] == [
        "dm bob",
        "dm carol",
        "dm erin",
        "playground",
    ]
    assert await chat.say("mod", "/活动 线索 取消 1") == [
        "[dm mod] 已取消活动 #1 的线索 #1，不会再发布。还在排队、尚未发出的 1 条消息也已撤回。\n"
        "这条线索已经在部分群发出；收到预告、所在的群不会再发布的 1 位 KOC，我已私信告诉他们。",
        "[dm erin] erin，你好！之前预告的「新品 X1 预热」线索（原定 2026-12-02 11:00 发布）这次不会在Overseas发出，"
        "不用再为它准备了。预告里的内容还请继续保密，谢谢你 🙏",
    ]
    [clue] = await rows(app, clues)
    assert clue.status == "posted"
    await app.advance_to(_at(2, 18))
    assert chat.transport.take() == []


def test_a_koc_in_a_room_left_out_and_one_reached_hears_which_room_and_that_it_drops_elsewhere() -> None:
    from handlers.campaigns.heads_up import RoomsOff
    from handlers.campaigns.store import Room
    from tests.test_templates import RENDERER

    first, second = Room(1, "playground", "一群", None), Room(2, "second", "二群", None)
    where = RoomsOff(frozenset({2}), {7: [first, second], 8: [second], 9: [first]})
    assert [where.of(member) for member in (7, 8, 9)] == [(["二群"], True), (["二群"], False), ([], True)]
    told = RENDERER.render(
        "campaigns/heads_up_off",
        "zh_CN",
        name="bob",
        campaign="新品 X1 预热",
        at=_at(2, 11),
        cancelled=False,
        rooms=["二群"],
        elsewhere=True,
    )
    assert told == (
        "bob，你好！之前预告的「新品 X1 预热」线索（原定 2026-12-02 11:00 发布）这次不会在二群发出，"
        "你所在的其他群照常发布。谢谢你 🙏"
    )


async def test_a_heads_up_that_cannot_arrive_before_the_drop_is_not_sent(chat: Chat, app) -> None:
    await _community(chat, app)
    await chat.say("mod", CREATE)
    [scheduled] = await chat.say("mod", "/活动 线索 1 --时间 2026-12-02 07:30 早安线索")  # heads-up at 05:30
    assert "KOC 预告：2 位活跃 KOC 这次收不到预告（见下方注意）。" in scheduled
    assert (
        "注意：预告时间在免打扰时段（22:00-08:00）内，私信要等免打扰结束后才能送达，那时线索已经公开，所以到时不会发出预告。"
        in scheduled
    )
    [in_time] = await chat.say("mod", "/活动 线索 1 --时间 2026-12-02 08:30 第二条")  # heads-up at 06:30: out at 08:00
    assert "私信会等到免打扰结束后才送达（仍在发布之前）。" in in_time
    await app.advance_to(_at(2, 12))
    sent = [(m.room_id or f"dm {m.contact_id}", m.text.splitlines()[0]) for m in chat.transport.take()]
    assert sent[0] == (
        "dm mod",
        "活动 #1 的线索 #1 将在 2026-12-02 07:30（Asia/Shanghai 时间）发布，但 bob、carol 的 KOC 预告赶不上了："
        "现在是免打扰时段（22:00-08:00），私信最早 12-02 08:00 才能送达，那时线索已经公开，所以没有发出预告。",
    )
    assert [(where, line.split("，")[0]) for where, line in sent[1:3]] == [("dm bob", "bob"), ("dm carol", "carol")]
    assert all("2026-12-02 08:30" in m for _, m in sent[1:3])  # only the second clue's heads-up
    assert [where for where, _ in sent[3:]] == ["playground", "second", "playground", "second"]
    assert [(c.id, c.status, c.heads_up_sent) for c in await rows(app, clues)] == [(1, "posted", 0), (2, "posted", 2)]
    [shown] = await chat.say("mod", "/活动 查看 1")
    assert "#1 2026-12-02 07:30 已发布：早安线索" in shown
    assert "#2 2026-12-02 08:30 已发布，已预告 2 位 KOC：第二条" in shown


async def test_a_clue_missed_beyond_the_grace_time_is_marked_missed(
    chat: Chat, app, settings, clock, registries
) -> None:
    await _community(chat, app)
    await chat.say("mod", CREATE)
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-02 10:30 明天揭晓")  # heads-up at 08:30
    await app.advance_to(_at(2, 8))
    chat.transport.take()
    await app.close()
    clock.set(_at(2, 12))  # the bot was down from 08:00 to 12:00
    transport = InMemoryTransport()
    again = await open_app(settings, transport=transport, registries=registries, clock=clock)
    try:
        await again.start()
        await again.advance_to(_at(3, 12))
        sent = sorted((m.contact_id or m.room_id, m.text.splitlines()[0]) for m in transport.take())
        missed = "【定时任务未执行】活动线索 #1{what}原定 2026-12-02 {at} 执行，但机器人当时不在线，超过了补发时限（60 分钟），本次已跳过，不会再补发。"
        assert sent == sorted(
            [
                (staff, missed.format(what=what, at=at))
                for staff in ("admin", "mod")
                for what, at in ((" 的 KOC 预告", "08:30"), ("", "10:30"))
            ]
        )
        [clue] = await rows(again, clues)
        assert (clue.status, clue.heads_up_sent, clue.posted_at) == ("missed", 0, None)
    finally:
        await again.close()


async def test_a_heads_up_to_an_english_speaking_koc_is_in_english(chat: Chat, app) -> None:
    await chat.say("erin", "hello", room="overseas")
    await _stage(app, "active", "erin")
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id == "erin").values(locale="en"))
    app.services.directory.forget("erin")
    await chat.say("mod", "/campaign create Winter warm-up --launch 2026-12-10 #Overseas", room="overseas")
    await chat.say("mod", "/campaign points 1 Battery life in the cold; how it feels in the hand", room="overseas")
    await chat.say("mod", "/campaign clue 1 --at 2026-12-02 10:00 Guess what is coming?", room="overseas")
    await app.advance_to(_at(2, 18, 1))  # 10:00 in London
    assert _sent(chat) == [
        (
            "dm erin",
            'Hi erin! The next clue of "Winter warm-up" drops at 2026-12-02 10:00 (Europe/London time) in '
            "Overseas:\nGuess what is coming?\nPoints you could talk about:\n· Battery life in the cold\n"
            "· how it feels in the hand\nPlease keep it to yourself until it drops. These are points, not a "
            "script: once the clue is out, join in with your own words and your own experience; there is "
            "nothing to copy, and feel free to disagree. Thank you 🙏",
        ),
        ("overseas", "Guess what is coming?"),
    ]


async def test_kocs_told_of_a_clue_missed_while_the_bot_was_down_learn_it_is_off(
    chat: Chat, app, settings, clock, registries
) -> None:
    await _community(chat, app)
    await chat.say("mod", CREATE)
    await chat.say("mod", "/活动 线索 1 --时间 2026-12-02 10:30 明天揭晓")  # heads-up at 08:30
    await app.advance_to(_at(2, 9))
    assert sorted(m.contact_id or "" for m in chat.transport.take()) == ["bob", "carol"]
    await app.close()
    clock.set(_at(2, 12))  # the bot was down from 09:00 to 12:00, past the drop
    transport = InMemoryTransport()
    again = await open_app(settings, transport=transport, registries=registries, clock=clock)
    try:
        await again.start()
        await again.advance_to(_at(2, 13))
        off = sorted((m.contact_id, m.text) for m in transport.take() if m.contact_id in ("bob", "carol"))
        assert off == [
            (
                name,
                f"{name}，你好！之前预告的「新品 X1 预热」线索（原定 2026-12-02 10:30 发布）这次没有发出，"
                "不用再为它准备了。预告里的内容还请继续保密，谢谢你 🙏",
            )
            for name in ("bob", "carol")
        ]
        [clue] = await rows(again, clues)
        assert (clue.status, clue.heads_up_sent) == ("missed", 2)
    finally:
        await again.close()
