"""Each member's own feedback, threads and campaign stats in outreach templates: rendered, checked on save, read in bulk."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, insert

from bot.db import schema
from handlers.campaigns.tables import campaign_rooms, campaigns
from handlers.feedback.tables import items as feedback_items
from handlers.feedback.tables import people as feedback_people
from handlers.outreach.member_values import member_values
from handlers.outreach.sandbox import MEMBER_FIELDS
from handlers.threads.tables import people as issue_people
from handlers.threads.tables import threads
from tests.conftest import START
from tests.support import Chat, rows

RICH = (
    "/模板 设置 rich {{ member.name }}：反馈 {{ member.feedback | length }} 条"
    "{% for f in member.feedback %}；{{ f.number }} {{ f.title }}（{{ f.status_name }}）{% endfor %}。"
    '问题：{{ member.threads | map(attribute="number") | join("、") | default("无", true) }}'
    "{% for t in member.threads %}（{{ t.status_name }}）{% endfor %}。"
    "活动 {{ member.campaigns | length }} 个，发言 {{ member.campaign_messages }} 条"
    "{% for c in member.campaigns %}：{{ c.name }} {{ c.messages }} 条{% endfor %}。"
)


async def _ids(app) -> dict[str, int]:
    return {r.platform_id: r.id for r in await rows(app, schema.members)}


async def _seed(app, ids: dict[str, int]) -> None:
    """bob reported FB-1 (adopted) and FB-2, follows carol's thread #1 and +1'd FB-3; carol reported FB-3."""
    item = {"kind": "bug", "scenario": "s", "expected": "e", "created_at": START, "updated_at": START}
    async with app.engine.begin() as conn:
        await conn.execute(
            insert(feedback_items),
            [
                {"id": 1, "status": "adopted", "title": "夜间模式", "reporter_id": ids["bob"], **item},
                {"id": 2, "status": "submitted", "title": "支付闪退", "reporter_id": ids["bob"], **item},
                {"id": 3, "status": "acknowledged", "title": "物流慢", "reporter_id": ids["carol"], **item},
            ],
        )
        await conn.execute(
            insert(feedback_people),
            [
                {"item_id": 1, "member_id": ids["bob"], "role": "reporter", "created_at": START},
                {"item_id": 2, "member_id": ids["bob"], "role": "reporter", "created_at": START},
                {"item_id": 3, "member_id": ids["carol"], "role": "reporter", "created_at": START},
                {"item_id": 3, "member_id": ids["bob"], "role": "plus_one", "created_at": START},
            ],
        )
        thread = {"status": "fixing", "opened_by": ids["mod"], "created_at": START, "updated_at": START}
        await conn.execute(insert(threads).values(id=1, title="物流太慢", **thread))
        await conn.execute(
            insert(issue_people),
            [
                {"thread_id": 1, "member_id": ids["carol"], "part": "reporter", "added_at": START},
                {"thread_id": 1, "member_id": ids["bob"], "part": "follower", "added_at": START},
            ],
        )


async def _campaign(app, ids: dict[str, int]) -> None:
    async with app.engine.begin() as conn:
        campaign = {
            "name": "新品 X1 预热",
            "launch_on": date(2026, 12, 15),
            "timezone": "Asia/Shanghai",
            "starts_at": START,
            "ends_at": START + timedelta(days=20),
            "keywords": [],
            "talking_points": [],
            "status": "open",
            "created_by": ids["mod"],
            "created_at": START,
        }
        cid = (await conn.execute(insert(campaigns).values(**campaign).returning(campaigns.c.id))).scalar_one()
        [room] = await conn.run_sync(lambda c: c.execute(schema.communities.select()).all())
        await conn.execute(insert(campaign_rooms).values(campaign_id=cid, community_id=room.id))


async def test_a_send_renders_each_members_own_feedback_threads_and_campaigns(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await chat.say("carol", "大家好")
    await chat.dm("mod", "/分群 设置 大家 群=playground")
    ids = await _ids(app)
    await _seed(app, ids)
    await _campaign(app, ids)
    await chat.say("bob", "X1 的续航怎么样？")  # with their first words: 3 and 2 in the campaign
    await chat.say("bob", "我等上线")
    await chat.say("carol", "期待")
    [saved] = await chat.dm("mod", RICH)
    assert saved.startswith("[dm mod] 已新建模板 rich")
    sent = await chat.dm("mod", "/触达 发送 大家 --模板 rich")
    assert sent[1:] == [
        "[dm bob] bob：反馈 2 条；FB-2 支付闪退（已提交）；FB-1 夜间模式（已采纳）。问题：#1（修复中）。"
        "活动 1 个，发言 3 条：新品 X1 预热 3 条。\n回复 TD 退订",
        "[dm carol] carol：反馈 1 条；FB-3 物流慢（已确认收到）。问题：#1（修复中）。"
        "活动 1 个，发言 2 条：新品 X1 预热 2 条。\n回复 TD 退订",
    ]


async def test_a_dry_run_shows_a_member_with_nothing_yet(chat: Chat, app) -> None:
    await chat.say("dave", "大家好")
    await chat.dm("mod", "/分群 设置 大家 群=playground")
    await chat.dm("mod", RICH)
    [dry] = await chat.dm("mod", "/触达 发送 大家 --模板 rich --试发")
    assert "dave：反馈 0 条。问题：无。活动 0 个，发言 0 条。" in dry


async def test_the_fields_of_feedback_threads_and_campaigns_are_checked_when_saved(chat: Chat, app) -> None:
    [refused] = await chat.dm("mod", "/模板 设置 bad {% for f in member.feedback %}{{ f.nmuber }}{% endfor %}")
    assert refused.startswith(
        "[dm mod] 抱歉，这个模板不能使用（第 1 行）：\nf 没有 nmuber，可以用：number、title、status、status_name。"
    )
    [refused] = await chat.dm("mod", "/模板 设置 bad {% for c in member.campaigns %}{{ c.title }}{% endfor %}")
    assert "c 没有 title，可以用：name、messages。" in refused
    [refused] = await chat.dm("mod", "/template set bad {{ member.feedbacks }}")
    assert "member 没有 feedbacks" in refused
    [saved] = await chat.dm("mod", "/模板 设置 ok {% for t in member.threads %}{{ t.number }} {{ t }}{% endfor %}")
    assert saved.startswith("[dm mod] 已新建模板 ok")


async def test_member_values_are_read_in_a_few_queries_however_many_members(chat: Chat, app) -> None:
    for n in range(30):
        await chat.say(f"m{n}", "大家好")
    await chat.dm("mod", "/分群 列表")
    ids = await _ids(app)
    await _seed(app, {**ids, "bob": ids["m0"], "carol": ids["m1"]})
    counted: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            counted.append(statement)

    async def queries(members: list[int]) -> int:
        counted.clear()
        event.listen(app.engine.sync_engine, "before_cursor_execute", count)
        try:
            async with app.engine.connect() as conn:
                values = await member_values(conn, members, MEMBER_FIELDS)
        finally:
            event.remove(app.engine.sync_engine, "before_cursor_execute", count)
        assert [
            f.field("number") for f in values.view(ids["m0"], "m0", "zh_CN", lambda k, s, loc: s).field("feedback")
        ] == [
            "FB-2",
            "FB-1",
        ]
        return len(counted)

    few = await queries([ids["m0"], ids["m1"], ids["m2"]])
    many = await queries([ids[f"m{n}"] for n in range(30)])
    assert few == many == 5  # points, titles, feedback, threads, campaigns
