"""Journeys (SOP): triggers, exit goals, re-entry, skip-if-done, quiet hours and the contact budget on
steps, opt-out, the moderators' commands, and each step exactly once across a restart; both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.bootstrap import open_app
from bot.context import Context
from bot.db import schema
from bot.transports.memory import InMemoryTransport
from bot.uow import UnitOfWork
from handlers.journeys.due import take_step
from handlers.journeys.tables import journey_runs, journey_steps, journey_switches
from tests.support import Chat, rows

HINT = "回复 TD 退订"
FEEDBACK_HOWTO = (
    "bob，你好！入群几天了，用得怎么样？\n"
    "遇到问题或者有想法，可以直接发 /反馈，我会一步步问你：在什么场景下遇到的、怎么复现、你希望怎样。"
    "每一条反馈都会有人回复；被采纳的建议还有奖励和「荣誉产品顾问」称号。\n" + HINT
)
THANKS_HOWTO = (
    "bob，群里有人帮到你的时候，在群里说一声“谢谢 @对方”就好：我会记下这份感谢。\n"
    "一个月里收到的感谢多了，对方会得到积分，发 /我的 可以看你自己的感谢和积分。大家互相帮忙，群才会越来越好 🌱\n"
    + HINT
)
BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
SHANGHAI_DAY = timedelta(hours=8)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """December `day`, 2026, at `hour`:`minute` in Asia/Shanghai, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - SHANGHAI_DAY


def _step(template: str = "journeys/newcomer_feedback", after: str = "1d", **more) -> dict:
    return {"after": after, "template": template, **more}


def _overrides(**more: dict) -> dict:
    """Journeys of our own beside the built-in ones (all off until switched on)."""
    return {
        **more,
        "journeys": {
            "talk": {"trigger": "joined", "goal": ["spoke"], "steps": [_step()]},
            "give": {"trigger": "joined", "goal": ["feedback"], "steps": [_step()]},
            "thank": {"trigger": "joined", "goal": ["thanked"], "steps": [_step()]},
            "rise": {"trigger": "joined", "goal": ["promoted"], "steps": [_step()]},
            "again": {"trigger": "joined", "reentry": "after_exit", "steps": [_step()]},
            "night": {"trigger": "joined", "steps": [_step(after="0d", at="23:00"), _step(after="2d")]},
            "now": {"trigger": "joined", "steps": [_step(after="0d")]},
            "now2": {"trigger": "joined", "steps": [_step("journeys/newcomer_thanks", after="0d")]},
            "first_fb": {"trigger": "first_feedback", "steps": [_step("journeys/koc_feedback", after="2h")]},
            "first_ty": {"trigger": "first_thanks", "steps": [_step("journeys/newcomer_thanks", after="2h")]},
            "launch": {"trigger": "campaign", "campaign": "X1", "steps": [_step("journeys/koc_voice", after="1h")]},
            "mine": {"trigger": "joined", "steps": [_step("hi", after="1h")]},
            "broken": {
                "trigger": "joined",
                "steps": [
                    _step("journeys/nope", after="1h"),
                    _step("gone", after="2h"),
                    _step("journeys/oops", after="2h"),
                    _step(after="3h"),
                ],
            },
        },
    }


@pytest.fixture
def settings_overrides(tmp_path) -> dict:
    """With an operator's own wording of one template, which uses a value journeys do not give."""
    (tmp_path / "words" / "zh_CN" / "journeys").mkdir(parents=True)
    (tmp_path / "words" / "zh_CN" / "journeys" / "oops.j2").write_text("{{ name }}，你有 {{ points }} 分", "utf-8")
    return _overrides(bot={"templates_dir": str(tmp_path / "words")})


async def _on(chat: Chat, *names: str) -> None:
    for name in names:
        [reply] = await chat.say("mod", f"/旅程 开启 {name}")
        assert reply.startswith(f"[dm mod] 已开启旅程 {name}"), reply


async def _runs(app, member: str = "bob") -> list:
    async with app.engine.connect() as conn:
        member_id = (
            await conn.execute(select(schema.members.c.id).where(schema.members.c.platform_id == member))
        ).scalar_one()
    return await rows(app, journey_runs, journey_runs.c.member_id == member_id)


def _dms(sent: list[str], member: str = "bob") -> list[str]:
    return [line.removeprefix(f"[dm {member}] ") for line in sent if line.startswith(f"[dm {member}] ")]


async def _travel(app, transport, when: datetime) -> list[str]:
    from tests.support import describe

    await app.advance_to(when)
    return [describe(m) for m in transport.take()]


# The built-in newcomer journey: day 3 and day 7, each skipped if done; the welcome is day 0.


async def test_the_newcomer_journey_guides_a_new_member_on_day_3_and_day_7(chat: Chat, app, transport) -> None:
    assert await chat.say("mod", "/旅程 开启 newcomer") == [
        "[dm mod] 已开启旅程 newcomer：从现在起，成员入群后会进入它。"
    ]
    joined = await chat.join("bob")
    assert joined == [
        "[playground] 欢迎 @bob 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，"
        "发送 /帮助 可以看看我能帮你做什么。"
    ]  # day 0 is the welcome, and only the welcome
    assert _dms(await _travel(app, transport, local(4, 9, 59))) == []
    assert await _travel(app, transport, local(4, 10)) == [f"[dm bob] {FEEDBACK_HOWTO}"]
    assert await _travel(app, transport, local(8, 10)) == [f"[dm bob] {THANKS_HOWTO}"]
    [run] = await _runs(app)
    assert (run.journey, run.status, run.end_reason, run.trigger) == ("newcomer", "done", "finished", "joined")
    steps = await rows(app, journey_steps)
    assert [(s.step, s.outcome, s.outbox_key) for s in steps] == [
        (0, "sent", f"journey:{run.id}:0"),
        (1, "sent", f"journey:{run.id}:1"),
    ]
    assert _dms(await _travel(app, transport, local(30, 10))) == []


async def test_a_step_is_skipped_when_the_member_already_did_it_and_the_goal_ends_the_journey(
    chat: Chat, app, transport
) -> None:
    await _on(chat, "newcomer")
    await chat.join("bob")
    await chat.say("bob", BUG)  # feedback on day 0: the day-3 step has nothing to teach
    assert _dms(await _travel(app, transport, local(4, 12))) == []
    [step] = await rows(app, journey_steps)
    assert (step.step, step.outcome, step.outbox_key) == (0, "skipped", None)
    await chat.join("carol")
    await chat.say("bob", "谢谢 @carol 帮我找到设置")  # thanked someone: both goals done, the journey ends
    [run] = await _runs(app)
    assert (run.status, run.end_reason, run.next_due_at) == ("exited", "goal", None)
    assert _dms(await _travel(app, transport, local(9, 12))) == []


# Each trigger.


async def test_a_promotion_starts_the_new_koc_journey(chat: Chat, app, transport) -> None:
    await _on(chat, "new_koc")
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc 晋升 @bob 私域")
    [run] = await _runs(app)
    assert (run.journey, run.trigger, run.next_due_at) == ("new_koc", "promoted", local(2, 10))
    [voice] = _dms(await _travel(app, transport, local(2, 10)))
    assert voice.startswith("bob，欢迎成为我们的 KOC！\n最重要的一点：请一直用你自己的话说你自己的真实感受。")
    assert voice.endswith(HINT)
    await chat.say("bob", BUG)  # feedback since entering: the day-7 step is skipped
    assert _dms(await _travel(app, transport, local(9, 12))) == []
    assert [s.outcome for s in await rows(app, journey_steps)] == ["sent", "skipped"]


async def test_first_feedback_and_first_thanks_start_their_journeys_once(chat: Chat, app, transport) -> None:
    await _on(chat, "first_fb", "first_ty")
    await chat.say("carol", "大家好")
    await chat.say("bob", BUG)
    await chat.say("bob", BUG.replace("闪退", "白屏"))  # a second item is not a first
    await chat.say("carol", "谢谢 @bob 帮我解决了登录问题")
    await chat.say("dave", "谢谢 @bob 回答得很清楚")
    runs = await _runs(app)
    assert sorted((r.journey, r.trigger) for r in runs) == [
        ("first_fb", "first_feedback"),
        ("first_ty", "first_thanks"),
    ]
    sent = _dms(await _travel(app, transport, local(1, 12)))
    assert [text.split("\n")[0] for text in sent] == [
        "bob，做 KOC 一周了，感觉怎么样？",
        "bob，群里有人帮到你的时候，在群里说一声“谢谢 @对方”就好：我会记下这份感谢。",
    ]


async def test_a_named_campaign_starting_brings_the_members_of_its_rooms_in(chat: Chat, app, transport) -> None:
    await _on(chat, "launch")
    await chat.say("bob", "大家好")
    await chat.say("carol", "在的")
    await chat.say("mod", "/活动 创建 X0 --上线 2026-12-15")  # another campaign: not this journey's
    assert await rows(app, journey_runs) == []
    await chat.say("mod", "/活动 创建 X1 --上线 2026-12-15")
    runs = await rows(app, journey_runs)
    assert sorted(r.trigger for r in runs) == ["campaign", "campaign"]  # bob and carol; not the moderator
    sent = await _travel(app, transport, local(1, 11))
    assert sorted(line.split("] ")[0] for line in sent) == ["[dm bob", "[dm carol"]


async def test_a_campaign_enters_hundreds_of_members_by_the_same_rules_in_a_few_statements(
    chat: Chat, app, clock
) -> None:
    """Everyone in the rooms, but staff, the opted-out, those gone and those already on it, in as many
    statements for 300 members as for 3."""
    from sqlalchemy import event, insert

    from handlers.journeys.config import Trigger
    from handlers.journeys.runs import enter_many
    from handlers.outreach.tables import consent

    await _on(chat, "launch")
    await chat.say("bob", "大家好")  # the room exists, bob with it
    now = clock.now()
    async with app.engine.begin() as conn:
        room = (await conn.execute(select(schema.communities.c.id))).scalar_one()
        await conn.execute(
            insert(schema.members),
            [
                {
                    "platform_id": f"x{n}",
                    "display_name": f"x{n}",
                    "created_at": now,
                    "role": "moderator" if n == 1 else "member",
                }
                for n in range(300)
            ],
        )
        ids = dict((await conn.execute(select(schema.members.c.platform_id, schema.members.c.id))).all())
        await conn.execute(
            insert(schema.memberships),
            [
                {"community_id": room, "member_id": ids[f"x{n}"], "joined_at": now, "left_at": now if n == 2 else None}
                for n in range(300)
            ],
        )
        await conn.execute(insert(consent).values(member_id=ids["x3"], opted_out=True, changed_at=now, words="TD"))
        await conn.execute(
            insert(journey_runs).values(
                journey="launch", member_id=ids["x4"], status="exited", trigger="campaign", entered_at=now, next_step=0
            )
        )
    counted: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT")):
            counted.append(statement)

    async def entered(members: list[str]) -> int:
        m = schema.memberships.c
        chosen = select(m.member_id).where(m.member_id.in_([ids[p] for p in members]), m.left_at.is_(None))
        counted.clear()
        event.listen(app.engine.sync_engine, "before_cursor_execute", count)
        try:
            async with UnitOfWork(app.database, clock) as uow:
                mod = await app.services.directory.member_by_id(uow.conn, ids["mod"])
                started = await enter_many(
                    Context(app.services, uow, None, mod, None), chosen, Trigger.CAMPAIGN, campaign="X1"
                )
                await uow.commit()
        finally:
            event.remove(app.engine.sync_engine, "before_cursor_execute", count)
        return started

    assert await entered(["x5", "x6", "x7"]) == 3
    few = len(counted)
    # All 300 but the moderator x1, x2 gone, x3 opted out, x4 once on it, x5 to x7 on it now; and bob.
    assert await entered([f"x{n}" for n in range(300)] + ["mod", "bob"]) == 300 - 7 + 1
    assert len(counted) == few, counted
    runs = await rows(app, journey_runs, journey_runs.c.status == "active")
    entered_ids = {r.member_id for r in runs}
    assert {ids[p] for p in ("x1", "x2", "x3", "x4", "mod")} & entered_ids == set()
    assert {ids["bob"], ids["x0"], ids["x5"], ids["x299"]} <= entered_ids
    assert await entered(["x8", "x9"]) == 0  # on it already


# Each exit goal, leaving and opting out.


async def test_speaking_in_a_group_ends_a_journey_whose_goal_it_is(chat: Chat, app, transport) -> None:
    await _on(chat, "talk")
    await chat.join("bob")
    await chat.say("bob", "大家好，我是新来的")
    assert _dms(await _travel(app, transport, local(3, 12))) == []
    [run] = await _runs(app)
    assert (run.status, run.end_reason) == ("exited", "goal")
    assert await rows(app, journey_steps) == []


@pytest.mark.parametrize(
    ("journey", "act"),
    [
        ("give", ("bob", BUG)),
        ("thank", ("bob", "谢谢 @carol 的耐心解答")),
        ("rise", ("mod", "/koc 晋升 @bob 私域")),
    ],
)
async def test_doing_the_thing_ends_the_journey_at_once(chat: Chat, app, transport, journey, act) -> None:
    await _on(chat, journey)
    await chat.join("carol")
    await chat.join("bob")
    [run] = await _runs(app)
    assert run.status == "active"
    await chat.say(*act)
    [run] = await _runs(app)
    assert (run.status, run.end_reason, run.ended_at) == ("exited", "goal", app.services.clock.now())
    assert _dms(await _travel(app, transport, local(5, 12))) == []


async def test_leaving_every_room_ends_the_journey_and_takes_back_what_waits(chat: Chat, app, transport) -> None:
    await _on(chat, "night")
    await chat.join("bob")
    await chat.join("bob", "other")
    await _travel(app, transport, local(1, 23, 30))  # the 23:00 step waits for the end of quiet hours
    [waiting] = await rows(app, schema.outbox, schema.outbox.c.contact_platform_id == "bob")
    assert waiting.not_before == local(2, 8)
    await chat.leave("bob")  # still in another room
    assert (await _runs(app))[0].status == "active"
    await chat.leave("bob", "other")
    [run] = await _runs(app)
    assert (run.status, run.end_reason) == ("exited", "left")
    assert await rows(app, schema.outbox, schema.outbox.c.contact_platform_id == "bob") == []
    assert _dms(await _travel(app, transport, local(3, 12))) == []


async def test_opting_out_ends_every_journey_and_nobody_opted_out_enters_one(chat: Chat, app, transport) -> None:
    await _on(chat, "night", "newcomer")
    await chat.join("bob")
    await _travel(app, transport, local(1, 23, 30))
    assert len(await rows(app, schema.outbox, schema.outbox.c.contact_platform_id == "bob")) == 1
    await chat.dm("bob", "TD")
    runs = await _runs(app)
    assert sorted((r.journey, r.status, r.end_reason) for r in runs) == [
        ("newcomer", "exited", "opted_out"),
        ("night", "exited", "opted_out"),
    ]
    waiting = await rows(app, schema.outbox, schema.outbox.c.dedupe_key.startswith("journey:"))
    assert waiting == []
    await chat.dm("carol", "退订")  # before she joins: she enters nothing
    await chat.join("carol")
    assert await _runs(app, "carol") == []
    assert _dms(await _travel(app, transport, local(9, 12))) == []


# Re-entry.


async def test_reentry_never_and_after_exit(chat: Chat, app, transport) -> None:
    await _on(chat, "newcomer", "again")
    await chat.join("bob")
    await chat.join("bob", "other")  # already in both: one run of each at a time
    assert sorted(r.journey for r in await _runs(app)) == ["again", "newcomer"]
    await chat.leave("bob")
    await chat.leave("bob", "other")
    assert {r.status for r in await _runs(app)} == {"exited"}
    await chat.join("bob")
    runs = await _runs(app)
    assert sorted((r.journey, r.status) for r in runs) == [
        ("again", "active"),
        ("again", "exited"),
        ("newcomer", "exited"),  # never again
    ]


# Quiet hours and the contact budget on journey steps.


async def test_a_step_due_in_quiet_hours_waits_for_the_morning(chat: Chat, app, transport) -> None:
    await _on(chat, "night")
    await chat.join("bob")
    assert _dms(await _travel(app, transport, local(2, 7, 59))) == []
    assert _dms(await _travel(app, transport, local(2, 8))) == [FEEDBACK_HOWTO]


@pytest.mark.parametrize("settings_overrides", [_overrides(delivery={"daily_private_limit": 1})])
async def test_steps_over_the_contact_budget_wait_for_the_next_day(chat: Chat, app, transport) -> None:
    await _on(chat, "now", "now2")
    joined = await chat.join("bob")  # two steps due at once, one message a day: the second waits for tomorrow
    assert _dms(joined) == [FEEDBACK_HOWTO]
    assert _dms(await _travel(app, transport, local(2, 7, 59))) == []
    [held] = await rows(app, schema.outbox, schema.outbox.c.status == "pending")
    assert (held.template, held.not_before, held.kind) == ("journeys/step", local(2, 8), "unsolicited")
    assert _dms(await _travel(app, transport, local(2, 8))) == [THANKS_HOWTO]
    assert [s.outcome for s in await rows(app, journey_steps)] == ["sent", "sent"]


async def test_a_step_taken_late_moves_the_next_one_as_much(chat: Chat, app, transport, clock) -> None:
    await _on(chat, "newcomer")
    await chat.join("bob")
    clock.set(local(6, 12))  # the bot was down from day 0 until two days after the first step's time
    await app.drain()
    assert _dms(_described(transport)) == [FEEDBACK_HOWTO]
    [run] = await _runs(app)
    assert run.next_due_at == local(10, 10)  # four days on, as declared (day 3 to day 7), at 10:00
    assert _dms(await _travel(app, transport, local(10, 9, 59))) == []
    assert _dms(await _travel(app, transport, local(10, 10))) == [THANKS_HOWTO]


async def test_a_member_who_reads_english_gets_the_step_in_english(chat: Chat, app, transport) -> None:
    await _on(chat, "newcomer")
    await chat.join("bob")
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id == "bob").values(locale="en"))
    app.services.directory.forget("bob")
    assert _dms(await _travel(app, transport, local(4, 10))) == [
        "Hi bob! You joined a few days ago: how is it going?\n"
        "If something goes wrong or you have an idea, send /feedback and I will ask you step by step: where it "
        "happened, how to reproduce it, what you expected. Every piece of feedback gets an answer, and adopted "
        "suggestions earn a reward and the title of honorary product advisor.\n"
        "Reply TD to unsubscribe"
    ]


@pytest.mark.parametrize("settings_overrides", [_overrides(outreach={"opt_out_hint": "回复“退订”不再接收"})])
async def test_the_configured_opt_out_hint_ends_every_step(chat: Chat, app, transport) -> None:
    await _on(chat, "now")
    [step] = _dms(await chat.join("bob"))
    assert step == FEEDBACK_HOWTO.replace(HINT, "回复“退订”不再接收")


# A moderator's own template as a step.


async def test_a_step_may_use_a_moderators_template(chat: Chat, app, transport) -> None:
    await _on(chat, "mine")
    await chat.say("mod", "/模板 设置 hi {{ member.name }}，欢迎！有 {{ member.points }} 积分")
    await chat.join("bob")
    assert _dms(await _travel(app, transport, local(1, 10, 30))) == [f"bob，欢迎！有 0 积分\n{HINT}"]


async def test_a_step_whose_template_cannot_make_the_message_is_marked_and_the_next_goes_on(
    chat: Chat, app, transport
) -> None:
    await _on(chat, "broken")
    await chat.join("bob")
    assert _dms(await _travel(app, transport, local(1, 13))) == [FEEDBACK_HOWTO]
    assert [s.outcome for s in await rows(app, journey_steps)] == ["failed", "failed", "failed", "sent"]
    [shown] = await chat.say("mod", "/旅程 查看 broken")
    assert "1. 1 小时后：journeys/nope。已发 0，跳过 0，没能生成 1\n" in shown


@pytest.mark.parametrize(
    ("journey", "key", "expected"),
    [
        ({"trigger": "joined", "steps": [_step(after="3x")]}, "journeys.j.steps.0.after", '"3d", "12h"'),
        ({"trigger": "joined", "steps": [_step(at="25:00")]}, "journeys.j.steps.0.at", '"10:00"'),
        ({"trigger": "campaign", "steps": [_step()]}, "journeys.j", "campaign's name"),
        ({"trigger": "left", "steps": [_step()]}, "journeys.j.trigger", "joined"),
        ({"trigger": "joined", "steps": []}, "journeys.j.steps", "at least 1"),
        ({"trigger": "joined", "steps": [_step(after="2d"), _step(after="1d")]}, "journeys.j", "order"),
        ({"trigger": "joined", "goal": ["liked"], "steps": [_step()]}, "journeys.j.goal.0", "spoke"),
        ({"trigger": "joined", "steps": [_step()], "colour": "red"}, "journeys.j.colour", "a known key"),
    ],
)
def test_a_journey_declared_wrong_is_refused_with_its_key(journey: dict, key: str, expected: str, tmp_path) -> None:
    from bot.config import load_settings
    from bot.errors import ConfigError
    from handlers import config_sections

    with pytest.raises(ConfigError) as caught:
        load_settings(
            environ={}, data_dir=tmp_path, overrides={"journeys": {"j": journey}}, capability_sections=config_sections()
        )
    assert caught.value.key == key
    assert expected in caught.value.expected


def test_the_operators_file_changes_a_built_in_journey_key_by_key(tmp_path) -> None:
    from bot.config import load_settings
    from handlers import config_sections
    from handlers.journeys.config import JourneysSection, Reentry

    overrides = {"journeys": {"newcomer": {"reentry": "after_exit"}, "x": {"trigger": "joined", "steps": [_step()]}}}
    settings = load_settings(environ={}, data_dir=tmp_path, overrides=overrides, capability_sections=config_sections())
    section = settings.section(JourneysSection)
    assert section.names == ["new_koc", "newcomer", "x"]
    newcomer = section.root["newcomer"]
    assert newcomer.reentry is Reentry.AFTER_EXIT
    assert [s.template for s in newcomer.steps] == ["journeys/newcomer_feedback", "journeys/newcomer_thanks"]


# The moderators' commands.


async def test_moderators_list_show_and_switch_journeys_privately_and_audited(chat: Chat, app, transport) -> None:
    await _on(chat, "newcomer")
    await chat.join("bob")
    [listed] = await chat.say("mod", "/旅程 列表")
    assert listed.startswith("[dm mod] 旅程（15 个）：\n· again（已关闭）：成员入群后，1 步，正在进行 0 位\n")
    assert "· newcomer（已开启）：成员入群后，2 步，正在进行 1 位\n" in listed
    assert "· launch（已关闭）：活动「X1」开始后（群里的成员），1 步，正在进行 0 位\n" in listed
    assert await chat.say("mod", "/journey show newcomer") == [
        "[dm mod] 旅程 newcomer（已开启）\n"
        "开始：成员入群后\n"
        "目标：提交反馈、感谢别人（都做到就结束）；退群或退订也会结束\n"
        "再次进入：不会再次进入\n"
        "步骤：\n"
        "1. 3 天后 10:00：journeys/newcomer_feedback（已经提交过反馈就跳过）。已发 0，跳过 0\n"
        "2. 7 天后 10:00：journeys/newcomer_thanks（已经感谢过别人就跳过）。已发 0，跳过 0\n"
        "正在进行 1 位，走完 0 位。"
    ]
    assert await chat.say("mod", "/旅程 关闭 newcomer") == [
        "[dm mod] 已关闭旅程 newcomer：不再有人进入；正在进行的 1 位已结束，还没发出的消息已撤回。"
    ]
    assert await chat.say("mod", "/旅程 关闭 newcomer") == ["[dm mod] 旅程 newcomer 本来就是关闭的。"]
    [switch] = await rows(app, journey_switches)
    assert (switch.name, switch.enabled) == ("newcomer", False)
    await chat.join("carol")
    assert await _runs(app, "carol") == []
    assert _dms(await _travel(app, transport, local(9, 12))) == []
    audit = [(a.action, a.outcome) for a in await rows(app, schema.audit_log)]
    assert audit == [
        ("journey on", "ok"),
        ("journey list", "ok"),
        ("journey show", "ok"),
        ("journey off", "ok"),
        ("journey off", "ok"),
    ]
    assert await chat.say("mod", "/journey show newcomers") == [
        "[dm mod] 没有名为 newcomers 的旅程。已有的旅程：again、broken、first_fb、first_ty、give、launch、mine、"
        "new_koc、newcomer、night、now、now2、rise、talk、thank。"
    ]
    [usage] = await chat.say("mod", "/旅程 开启")
    assert (
        usage
        == "[dm mod] 请写上旅程的名称（/旅程 列表 可以看到所有旅程）。\n正确的用法：/旅程 开启 名称 （或 /journey on）"
    )


async def test_members_are_refused_and_the_refusal_is_audited(chat: Chat, app) -> None:
    [refused] = await chat.say("bob", "/旅程 开启 newcomer")
    assert refused == "[playground] @bob 抱歉，/journey on 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    assert await rows(app, journey_switches) == []
    [entry] = await rows(app, schema.audit_log)
    assert (entry.action, entry.outcome) == ("journey on", "refused")


async def test_english_moderators_read_english(chat: Chat, app) -> None:
    await chat.dm("mod", "hi")
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id == "mod").values(locale="en"))
    app.services.directory.forget("mod")
    assert await chat.dm("mod", "/journey on new_koc") == [
        "[dm mod] Journey new_koc is on: from now on, members enter it when a member is promoted to KOC."
    ]
    [shown] = await chat.dm("mod", "/journey show new_koc")
    assert shown.split("\n")[5:8] == [
        "1. after 1 day at 10:00: journeys/koc_voice. Sent 0, skipped 0",
        "2. after 7 days at 10:00: journeys/koc_feedback (skipped if the member has submitted feedback). "
        "Sent 0, skipped 0",
        "On it now 0, finished 0.",
    ]


async def test_a_step_a_private_note_withholds_is_not_counted_as_sent_and_ends_the_run(chat: Chat, app, clock) -> None:
    """A capability's note may keep an unsolicited message from a member: the step is then not sent (nor
    counted as sent), nothing reaches the outbox, and the run ends instead of writing more for nobody."""
    from dataclasses import replace

    async def withhold(ctx, draft):
        return None

    await _on(chat, "newcomer")
    await chat.join("bob")
    [run] = await _runs(app)
    clock.set(local(4, 10))
    services = replace(app.services, private_notes=(*app.services.private_notes, withhold))
    async with UnitOfWork(app.database, clock) as uow:
        current = (await uow.conn.execute(select(journey_runs).where(journey_runs.c.id == run.id))).one()
        member = await app.services.directory.member_by_id(uow.conn, current.member_id)
        await take_step(Context(services, uow, None, member, None), current, None)
        await uow.commit()
    [ended] = await _runs(app)
    assert (ended.status, ended.end_reason, ended.next_due_at) == ("exited", "withheld", None)
    assert [(s.step, s.outcome, s.outbox_key) for s in await rows(app, journey_steps)] == [(0, "skipped", None)]
    assert [r for r in await rows(app, schema.outbox) if r.contact_platform_id == "bob"] == []
    [shown] = await chat.dm("mod", "/旅程 查看 newcomer")
    assert "已发 0，跳过 1" in shown and "消息被拦下 1" in shown, shown


# Exactly once per member and step, across a crash and a restart.


async def test_a_step_is_written_once_across_a_crash_a_restart_and_a_stale_second_writer(
    chat: Chat, app, settings, clock, registries
) -> None:
    await _on(chat, "newcomer")
    await chat.join("bob")
    [run] = await _runs(app)
    clock.set(local(4, 10))
    async with UnitOfWork(app.database, clock) as uow:  # the process dies before its commit
        stale = (await uow.conn.execute(select(journey_runs).where(journey_runs.c.id == run.id))).one()
        member = await app.services.directory.member_by_id(uow.conn, stale.member_id)
        await take_step(Context(app.services, uow, None, member, None), stale, None)
    assert await rows(app, journey_steps) == []
    await app.close()
    transport = InMemoryTransport()
    again = await open_app(settings, transport=transport, registries=registries, clock=clock)
    try:
        await again.start()
        await again.drain()
        assert _dms(_described(transport)) == [FEEDBACK_HOWTO]
        async with UnitOfWork(again.database, clock) as uow:  # a second writer with the old view of the run
            member = await again.services.directory.member_by_id(uow.conn, stale.member_id)
            await take_step(Context(again.services, uow, None, member, None), stale, None)
            await uow.commit()
        await again.drain()
        assert _described(transport) == []
        keys = [r.dedupe_key for r in await rows(again, schema.outbox) if r.contact_platform_id == "bob"]
        assert keys == [f"journey:{run.id}:0"]
        assert [(s.step, s.outcome) for s in await rows(again, journey_steps)] == [(0, "sent")]
    finally:
        await again.close()


def _described(transport) -> list[str]:
    from tests.support import describe

    return [describe(m) for m in transport.take()]
