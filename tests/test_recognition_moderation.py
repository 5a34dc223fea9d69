"""Moderators' changes to points, titles, events and thanks, /undo, and the service API, through the pipeline."""

from __future__ import annotations

import pytest

from bot.context import Context
from bot.db import schema
from bot.uow import UnitOfWork
from handlers.recognition.ledger import award_points, balance, grant_title, titles_held
from handlers.recognition.tables import Source, actions, ledger, revocations, thanks, title_events
from tests.support import Chat, rows

REFUSED = "抱歉，{command} 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"


@pytest.fixture
def settings_overrides() -> dict:
    return {"recognition": {"monthly_thanks_threshold": 3}}


async def _ids(app) -> dict[str, int]:
    return {m.platform_id: m.id for m in await rows(app, schema.members)}


async def _audit(app) -> list[tuple]:
    return [(a.action, a.outcome, a.details) for a in sorted(await rows(app, schema.audit_log), key=lambda a: a.id)]


async def test_points_granted_and_deducted_with_a_reason_are_ledger_rows(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    assert await chat.say("mod", "/points grant @bob 20 帮忙整理 FAQ") == [
        "[dm mod] 已发放 20 积分，理由：帮忙整理 FAQ\n· bob：现有 20 积分"
    ]
    assert await chat.say("mod", "/积分 扣除 @bob 5 重复发放") == [
        "[dm mod] 已扣除 5 积分，理由：重复发放\n· bob：现有 15 积分"
    ]
    ids = await _ids(app)
    entries = sorted(await rows(app, ledger), key=lambda e: e.id)
    assert [(e.member_id, e.amount, e.source, e.reason, e.granted_by, e.month) for e in entries] == [
        (ids["bob"], 20, "manual", "帮忙整理 FAQ", ids["mod"], "2026-12"),
        (ids["bob"], -5, "manual", "重复发放", ids["mod"], "2026-12"),
    ]
    [grant, deduct] = sorted(await rows(app, actions), key=lambda a: a.id)
    assert (grant.kind, deduct.kind, entries[0].action_id, entries[1].action_id) == (
        "points_grant",
        "points_deduct",
        grant.id,
        deduct.id,
    )
    assert await _audit(app) == [
        (
            "points grant",
            "ok",
            {
                "args": "20 帮忙整理 FAQ",
                "mentions": ["bob"],
                "action_id": grant.id,
                "amount": 20,
                "reason": "帮忙整理 FAQ",
            },
        ),
        (
            "points deduct",
            "ok",
            {"args": "5 重复发放", "mentions": ["bob"], "action_id": deduct.id, "amount": -5, "reason": "重复发放"},
        ),
    ]
    assert {a.target_id for a in await rows(app, schema.audit_log)} == {ids["bob"]}


async def test_points_never_go_below_zero_and_arguments_are_checked(chat: Chat, app) -> None:
    assert await chat.say("mod", "/points deduct @bob 10 刷屏") == ["[dm mod] bob 现在只有 0 积分，不能扣除 10 积分。"]
    usage = "\n正确的用法：/积分 发放 @成员 数量 理由 （或 /points grant）"
    assert await chat.say("mod", "/points grant @bob 很多 谢谢") == [
        f"[dm mod] 积分请写成 1 到 100000 之间的整数，放在 @成员 后面。{usage}"
    ]
    assert await chat.say("mod", "/points grant @bob 20") == [
        f"[dm mod] 请写上理由：成员可以看到自己的积分是怎么来的。{usage}"
    ]
    assert await chat.say("mod", "/points grant 20 谢谢") == [
        f"[dm mod] 请 @ 一下要操作的成员，或者引用 TA 的消息。{usage}"
    ]
    assert await rows(app, ledger) == [] and await rows(app, actions) == []
    assert [outcome for _, outcome, _ in await _audit(app)] == ["invalid"] * 4


async def test_titles_granted_and_taken_back(chat: Chat, app) -> None:
    assert await chat.say("mod", "/title grant @bob @carol 荣誉产品顾问") == [
        "[dm mod] 已授予 bob、carol「荣誉产品顾问」称号 🏅"
    ]
    assert await chat.say("mod", "/称号 授予 @bob @dave 荣誉产品顾问") == [
        "[dm mod] 已授予 dave「荣誉产品顾问」称号 🏅\nbob 已经有「荣誉产品顾问」称号。"
    ]
    assert await chat.say("mod", "/title grant @bob 荣誉产品顾问") == ["[dm mod] bob 已经有「荣誉产品顾问」称号。"]
    assert await chat.say("mod", "/title revoke @carol 荣誉产品顾问") == [
        "[dm mod] 已收回 carol 的「荣誉产品顾问」称号。"
    ]
    assert await chat.say("mod", "/title revoke @carol 荣誉产品顾问") == [
        "[dm mod] carol 目前没有「荣誉产品顾问」称号。"
    ]
    assert await chat.say("mod", "/title grant @bob 大神") == [
        "[dm mod] 还没有「大神」这个称号。可以授予的称号：热心答主、活动组织者、荣誉产品顾问、品牌名人堂\n"
        "正确的用法：/称号 授予 @成员 称号 （或 /title grant）"
    ]
    ids = await _ids(app)
    async with app.engine.connect() as conn:
        assert [await titles_held(conn, ids[m]) for m in ("bob", "carol", "dave")] == [
            ("荣誉产品顾问",),
            (),
            ("荣誉产品顾问",),
        ]
    assert [a.kind for a in await rows(app, actions)] == ["title_grant", "title_grant", "title_revoke"]
    assert len(await rows(app, title_events)) == 4  # nothing is edited: a revocation is an event of its own


async def test_event_credit_awards_points_and_the_organisers_title(chat: Chat, app) -> None:
    assert await chat.say("mod", "/活动 奖励 @bob @carol 周末读书会") == [
        "[dm mod] 已记录 bob、carol 组织的「周末读书会」：每人获得 30 积分，bob、carol 获得「活动组织者」称号。"
        "谢谢你们为社群花的心思！🎉"
    ]
    assert await chat.say("mod", "/event credit @bob 新品试用分享会") == [
        "[dm mod] 已记录 bob 组织的「新品试用分享会」：获得 30 积分。谢谢你们为社群花的心思！🎉"
    ]
    assert await chat.say("alice", "谢谢 @bob") == ["[playground] @alice 收到！已记下你对 bob「活动组织者」 的感谢 🌸"]
    ids = await _ids(app)
    assert sorted((e.member_id, e.amount, e.source, e.reason) for e in await rows(app, ledger)) == sorted(
        [
            (ids["bob"], 30, "event", "周末读书会"),
            (ids["carol"], 30, "event", "周末读书会"),
            (ids["bob"], 30, "event", "新品试用分享会"),
        ]
    )
    assert await chat.say("mod", "/event credit @bob") == [
        "[dm mod] 请写上活动名称，例如：/活动 奖励 @成员 周末读书会\n"
        "正确的用法：/活动 奖励 @成员 活动名称 （或 /event credit）"
    ]


async def test_a_revoked_thank_you_stays_stored_and_stops_counting(chat: Chat, app) -> None:
    await chat.say("alice", "谢谢 @bob 帮我看了订单")
    await chat.say("carol", "谢谢 @bob")
    await chat.say("alice", "谢谢 @alice")
    assert await chat.say("mod", "/thanks revoke #1") == [
        "[dm mod] 已撤回 #1：alice 对 bob 的感谢（“谢谢 @bob 帮我看了订单”）。"
        "记录会保留，但不再计入；bob 2026 年 12 月的有效感谢现在是 1 次。"
    ]
    assert await chat.say("mod", "/感谢 撤回 1") == ["[dm mod] #1 已经撤回过了。"]
    assert await chat.say("mod", "/thanks revoke 3") == ["[dm mod] #3 本来就没有计入（感谢自己），不需要撤回。"]
    assert await chat.say("mod", "/thanks revoke 9") == ["[dm mod] 没有找到编号为 #9 的感谢记录。"]
    assert len(await rows(app, thanks)) == 3
    [revocation] = await rows(app, revocations)
    [action] = await rows(app, actions)
    assert (revocation.thanks_id, revocation.action_id, revocation.reverses_id) == (1, action.id, None)
    [audit, *refused] = await _audit(app)
    assert audit == ("thanks revoke", "ok", {"args": "#1", "action_id": action.id, "thanks_id": 1})
    assert [outcome for _, outcome, _ in refused] == ["invalid"] * 3


async def test_undo_walks_back_the_callers_own_actions(chat: Chat, app) -> None:
    await chat.say("alice", "谢谢 @bob")
    await chat.say("mod", "/points grant @bob 20 整理 FAQ")
    await chat.say("mod", "/title grant @bob 荣誉产品顾问")
    await chat.say("mod", "/thanks revoke 1")
    await chat.say("admin", "/points grant @carol 5 欢迎")  # another moderator's action is not mod's to undo
    [reinstated] = await chat.say("mod", "/撤销")
    assert reinstated.startswith(
        "[dm mod] 已撤销你 12-01 09:00 的操作「撤回感谢」：\n· #1 alice 对 bob「荣誉产品顾问」 的感谢重新计入"
    )
    assert await chat.say("mod", "/undo") == [
        "[dm mod] 已撤销你 12-01 09:00 的操作「授予称号」：\n· bob：收回「荣誉产品顾问」称号"
    ]
    assert await chat.say("mod", "/undo") == ["[dm mod] 已撤销你 12-01 09:00 的操作「发放积分」：\n· bob：积分 -20"]
    assert await chat.say("mod", "/undo") == ["[dm mod] 你目前没有可以撤销的操作。"]
    ids = await _ids(app)
    entries = sorted(await rows(app, ledger), key=lambda e: e.id)
    assert [(e.member_id, e.amount, e.reverses_id) for e in entries] == [
        (ids["bob"], 20, None),
        (ids["carol"], 5, None),
        (ids["bob"], -20, entries[0].id),
    ]
    events = sorted(await rows(app, title_events), key=lambda e: e.id)
    assert [(e.granted, e.reverses_id) for e in events] == [(True, None), (False, events[0].id)]
    revoked = sorted(await rows(app, revocations), key=lambda r: r.id)
    assert [(r.thanks_id, r.reverses_id) for r in revoked] == [(1, None), (1, revoked[0].id)]
    kinds = {a.id: a.kind for a in await rows(app, actions)}
    undos = [a for a in await rows(app, actions) if a.kind == "undo"]
    assert [kinds[u.undoes_id] for u in sorted(undos, key=lambda a: a.id)] == [
        "thanks_revoke",
        "title_grant",
        "points_grant",
    ]
    audit = [(action, outcome, details.get("undone")) for action, outcome, details in await _audit(app)]
    assert audit[-4:] == [
        ("undo", "ok", "thanks_revoke"),
        ("undo", "ok", "title_grant"),
        ("undo", "ok", "points_grant"),
        ("undo", "invalid", None),
    ]
    async with app.engine.connect() as conn:
        assert (await balance(conn, ids["bob"]), await balance(conn, ids["carol"])) == (0, 5)


async def test_undo_of_an_event_credit_reverses_points_and_title_together(chat: Chat, app) -> None:
    await chat.say("mod", "/event credit @bob 读书会")
    assert await chat.say("mod", "/undo") == [
        "[dm mod] 已撤销你 12-01 09:00 的操作「活动奖励」：\n· bob：积分 -30\n· bob：收回「活动组织者」称号"
    ]
    ids = await _ids(app)
    async with app.engine.connect() as conn:
        assert (await balance(conn, ids["bob"]), await titles_held(conn, ids["bob"])) == (0, ())


REACHED = (
    "[playground] 🎉 恭喜 @bob！2026 年 12 月你已经收到 3 次群友的感谢，获得 50 积分和「热心答主」称号。"
    "谢谢你一直热心帮助大家！"
)


async def test_the_threshold_rewards_once_even_if_a_thank_you_is_revoked_and_given_again(chat: Chat, app) -> None:
    for giver in ("alice", "carol", "dave"):
        await chat.say(giver, "谢谢 @bob")
    await chat.say("mod", "/thanks revoke 3")
    assert await chat.say("erin", "谢谢 @bob") == [
        "[playground] @erin 收到！已记下你对 bob「热心答主」 的感谢 🌸"
    ]  # back to 3: no second reward
    await chat.say("mod", "/undo")
    assert [(e.source, e.amount) for e in await rows(app, ledger)] == [("thanks_threshold", 50)]


async def test_a_reinstated_thank_you_can_complete_the_threshold(chat: Chat, app) -> None:
    for giver in ("alice", "carol"):
        await chat.say(giver, "谢谢 @bob")
    await chat.say("mod", "/thanks revoke 1")
    await chat.say("dave", "谢谢 @bob")
    replies = await chat.say("mod", "/undo")
    assert replies[1:] == [REACHED]
    assert [(e.source, e.amount) for e in await rows(app, ledger)] == [("thanks_threshold", 50)]


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/thanks revoke 1", "/thanks revoke"),
        ("/points grant @bob 20 x", "/points grant"),
        ("/积分 扣除 @bob 20 x", "/points deduct"),
        ("/title grant @bob 热心答主", "/title grant"),
        ("/称号 收回 @bob 热心答主", "/title revoke"),
        ("/event credit @bob 读书会", "/event credit"),
        ("/undo", "/undo"),
    ],
)
async def test_moderator_commands_are_refused_to_members_and_audited(chat: Chat, app, text: str, command: str) -> None:
    assert await chat.say("alice", text) == [f"[playground] @alice {REFUSED.format(command=command)}"]
    [(action, outcome, _)] = await _audit(app)
    assert (f"/{action}", outcome) == (command, "refused")
    assert await rows(app, actions) == [] and await rows(app, ledger) == []


async def test_the_service_api_awards_once_per_key(chat: Chat, app) -> None:
    """What the feedback capability will call when a suggestion is adopted, however often it runs."""
    await chat.say("bob", "建议：App 里加一个夜间模式")
    for _ in range(2):
        async with UnitOfWork(app.database, app.clock) as uow:
            bob = await app.services.directory.find_member(uow.conn, "bob")
            ctx = Context(app.services, uow, None, bob, None)
            await award_points(ctx, bob.id, 100, Source.FEEDBACK, "夜间模式建议被采纳", key="feedback:42")
            await grant_title(ctx, bob.id, "荣誉产品顾问", Source.FEEDBACK, key="feedback:42:title")
            await uow.commit()
    [entry] = await rows(app, ledger)
    assert (entry.amount, entry.source, entry.community_id, entry.granted_by) == (100, "feedback", None, None)
    [event] = await rows(app, title_events)
    assert (event.title, event.source, event.key) == ("荣誉产品顾问", "feedback", "feedback:42:title")
