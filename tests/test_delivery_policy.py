"""Quiet hours and the contact budget: routine messages wait, replies and urgent ones never do."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, update

from bot.config import load_settings
from bot.db import schema
from bot.db.schema import Delivery, OutboxStatus, OutgoingKind
from bot.delivery import DeliveryPolicy, QuietHours
from bot.outbox import Draft
from bot.uow import UnitOfWork
from tests.conftest import START
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI)  # a Tuesday
MORNING = datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
OUTCOME = "技术部已经修复了证书问题"
FEEDBACK = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "communities": [
            {"id": "playground", "name": "Playground"},
            {"id": "overseas", "name": "Overseas users", "locale": "en", "timezone": "Europe/London"},
        ]
    }


def _local(when: datetime) -> str:
    return when.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


async def _send(app, *drafts: Draft) -> None:
    async with UnitOfWork(app.database, app.clock) as uow:
        for draft in drafts:
            uow.send(draft)
        await uow.commit()


def _dm(to: str, delivery: Delivery = Delivery.ROUTINE, **kwargs) -> Draft:
    return Draft(f"hello {to}", "test/dm", "zh_CN", contact_id=to, delivery=delivery, **kwargs)


def _post(room: str, delivery: Delivery = Delivery.ROUTINE, **kwargs) -> Draft:
    return Draft(f"hello {room}", "test/post", "zh_CN", room_id=room, delivery=delivery, **kwargs)


async def _schedule(app) -> list[tuple[str, str, str]]:
    """(where, delivery, local not_before) of every outbox row, in id order."""
    found = sorted(await rows(app, schema.outbox), key=lambda r: r.id)
    return [(r.room_platform_id or f"dm {r.contact_platform_id}", r.delivery, _local(r.not_before)) for r in found]


# Quiet hours.


def test_quiet_hours_wrap_midnight_and_end_in_the_morning() -> None:
    quiet = QuietHours.parse("22:00-08:00")
    assert quiet.release(datetime(2026, 12, 1, 21, 59, tzinfo=SHANGHAI), SHANGHAI) is None
    assert quiet.release(datetime(2026, 12, 1, 22, 0, tzinfo=SHANGHAI), SHANGHAI) == MORNING
    assert quiet.release(datetime(2026, 12, 2, 3, 0, tzinfo=SHANGHAI), SHANGHAI) == MORNING
    assert quiet.release(MORNING, SHANGHAI) is None
    daytime = QuietHours.parse("12:00-14:00")
    assert daytime.release(datetime(2026, 12, 1, 13, 0, tzinfo=SHANGHAI), SHANGHAI) == datetime(
        2026, 12, 1, 14, 0, tzinfo=SHANGHAI
    )
    assert daytime.release(datetime(2026, 12, 1, 15, 0, tzinfo=SHANGHAI), SHANGHAI) is None
    assert QuietHours.parse("") is None


async def test_a_routine_notice_in_another_room_waits_for_the_morning(chat: Chat, app, clock) -> None:
    await chat.say("mod", "/issue open 登录失败 @bob")
    await chat.say("mod", "/问题 关联 1 @carol", room="二群")
    clock.set(NIGHT)
    replies = await chat.say("mod", f"/问题 解决 1 {OUTCOME}")
    assert [r.split(" ")[0] for r in replies] == ["[dm", "[playground]"]  # the room asked in: a reply
    await app.advance_to(MORNING - timedelta(minutes=1))
    assert chat.transport.take() == []
    await app.advance_to(MORNING)
    [notice] = [f"[{m.room_id}] {m.text}" for m in chat.transport.take()]
    assert notice.startswith("[二群] @carol 关于今天大家集中讨论的「登录失败」问题（#1）")


async def test_each_room_keeps_quiet_hours_in_its_own_time_zone(chat: Chat, app, clock) -> None:
    clock.set(NIGHT)  # 15:30 in London
    await _send(app, _post("playground"), _post("overseas"), _post("elsewhere"))
    assert await _schedule(app) == [
        ("playground", "routine", "12-02 08:00"),
        ("overseas", "routine", "12-01 23:30"),
        ("elsewhere", "routine", "12-02 08:00"),
    ]
    london_night = datetime(2026, 12, 2, 23, 0, tzinfo=ZoneInfo("Europe/London"))
    await _send(app, _post("overseas", not_before=london_night))
    assert (await _schedule(app))[-1] == ("overseas", "routine", "12-03 16:00")  # 08:00 in London


async def test_replies_and_urgent_messages_are_never_held(chat: Chat, app, clock) -> None:
    clock.set(NIGHT)
    assert await chat.say("alice", "/ping") == ["[playground] @alice 我在呢，一切正常。"]
    assert await chat.dm("alice", "/ping") == ["[dm alice] 我在呢，一切正常。"]
    await _send(
        app,
        _post("playground", Delivery.URGENT),
        _dm("bob", Delivery.URGENT),
        _dm("bob", Delivery.URGENT),
        _dm("bob", Delivery.URGENT),
    )
    await app.drain()
    assert len(chat.transport.take()) == 4
    assert {r.not_before for r in await rows(app, schema.outbox)} == {NIGHT.astimezone(UTC)}


async def test_a_private_message_at_night_waits_in_the_bots_time_zone(chat: Chat, app, clock) -> None:
    clock.set(NIGHT)
    await _send(app, _dm("bob"), _dm("mod"))  # staff sleep too: quiet hours hold them, the budget does not count them
    assert await _schedule(app) == [("dm bob", "routine", "12-02 08:00"), ("dm mod", "routine", "12-02 08:00")]
    await app.advance_to(MORNING)
    assert [m.contact_id for m in chat.transport.take()] == ["bob", "mod"]


@pytest.mark.parametrize("settings_overrides", [{"delivery": {"quiet_hours": ""}}])
async def test_quiet_hours_can_be_switched_off(chat: Chat, app, clock) -> None:
    clock.set(NIGHT)
    await _send(app, _post("playground"), _dm("bob"))
    assert [s[2] for s in await _schedule(app)] == ["12-01 23:30", "12-01 23:30"]


async def test_holding_is_logged_with_the_reason(chat: Chat, app, clock, caplog) -> None:
    clock.set(NIGHT)
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await _send(app, _post("playground"))
        clock.set(MORNING + timedelta(hours=1))
        await _send(app, _dm("bob"), _dm("bob"), _dm("bob"))
    held = [r.getMessage() for r in caplog.records if r.name == "bot.delivery"]
    assert held == [
        "routine message test/post to room playground held until 2026-12-02T00:00+00:00: quiet hours",
        "routine message test/dm to contact bob held until 2026-12-03T00:00+00:00: contact budget",
    ]


# The contact budget.


async def test_the_third_unsolicited_message_of_the_day_waits_for_tomorrow(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await _send(app, _dm("bob"), _dm("bob"))
    await app.drain()
    chat.transport.take()
    assert await chat.say("mod", "/koc invite @bob") == [
        "[dm mod] 已私信邀请 bob 成为 KOC，TA 现在是候选人。\n邀请会在 12-02 08:00 发出：TA 收到的主动消息已经到了打扰上限。"
    ]
    held = [r for r in await rows(app, schema.outbox) if r.contact_platform_id == "bob"]
    assert sorted(_local(r.not_before) for r in held) == ["12-01 09:00", "12-01 09:00", "12-02 08:00"]
    await chat.say("mod", "/issue open 登录失败")
    support = await chat.say("mod", "/问题 支持 1 @bob")  # news of a thread about him: not held, not counted
    assert [r.split("，")[0] for r in support] == ["[dm mod] 已私信支持 bob（记在 #1 下）。", "[dm bob] bob"]
    await app.advance_to(MORNING)
    [late] = chat.transport.take()
    assert (late.contact_id, late.text.startswith("bob，你好！我们注意到")) == ("bob", True)


async def test_replies_to_a_members_own_command_do_not_count(chat: Chat, app) -> None:
    for _ in range(3):
        await chat.dm("bob", "/ping")
    await chat.say("bob", "/me")
    await _send(app, _dm("bob"), _dm("bob"))
    assert [s[2] for s in await _schedule(app) if s[0] == "dm bob" and s[1] == "routine"] == [
        "12-01 09:00",
        "12-01 09:00",
    ]


async def test_staff_are_not_counted_config_or_stored(chat: Chat, app) -> None:
    await chat.say("admin", "/mod add @carol")  # carol's role is stored; mod and admin are in the config
    await _send(app, *[_dm(who) for who in ("mod", "admin", "carol") for _ in range(3)])
    assert {s[2] for s in await _schedule(app) if s[0] != "playground"} == {"12-01 09:00"}


async def test_messages_in_one_commit_count_against_each_other(chat: Chat, app) -> None:
    await _send(app, *[_dm("bob") for _ in range(5)], _dm("carol"))
    assert [s[2] for s in await _schedule(app)] == [
        "12-01 09:00",
        "12-01 09:00",
        "12-02 08:00",
        "12-02 08:00",
        "12-03 08:00",
        "12-01 09:00",
    ]


@pytest.mark.parametrize("settings_overrides", [{"delivery": {"daily_private_limit": 2, "weekly_private_limit": 3}}])
async def test_a_full_week_waits_for_next_monday(chat: Chat, app) -> None:
    await _send(app, *[_dm("bob") for _ in range(4)])
    assert [s[2] for s in await _schedule(app)] == ["12-01 09:00", "12-01 09:00", "12-02 08:00", "12-07 08:00"]


async def test_messages_already_scheduled_or_sent_count_failed_ones_do_not(chat: Chat, app, clock) -> None:
    thursday = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
    await _send(app, _dm("bob", not_before=thursday), _dm("bob", not_before=thursday))
    await _send(app, _dm("bob"))
    await app.drain()
    await _send(app, _dm("bob"))
    async with app.engine.begin() as conn:  # a failed message never reached bob
        await conn.execute(
            update(schema.outbox).where(schema.outbox.c.id == 4).values(status=OutboxStatus.FAILED.value)
        )
    clock.set(START + timedelta(days=1))  # Wednesday 09:00
    await _send(app, _dm("bob"), _dm("bob"), _dm("bob"))
    assert [s[2] for s in await _schedule(app)][4:] == ["12-02 09:00", "12-02 09:00", "12-04 08:00"]
    clock.set(START)
    await _send(app, _dm("bob"))  # Tuesday: one sent, one failed
    assert (await _schedule(app))[-1][2] == "12-01 09:00"


async def test_a_routine_message_for_a_later_day_counts_on_that_day(chat: Chat, app) -> None:
    friday = datetime(2026, 12, 4, 23, 0, tzinfo=SHANGHAI)  # in quiet hours: Saturday morning
    await _send(app, _dm("bob", not_before=friday), _dm("bob", not_before=friday), _dm("bob", not_before=friday))
    assert [s[2] for s in await _schedule(app)] == ["12-05 08:00", "12-05 08:00", "12-06 08:00"]


@pytest.mark.parametrize("settings_overrides", [{"delivery": {"daily_private_limit": 0, "weekly_private_limit": 0}}])
async def test_zero_limits_mean_no_budget(chat: Chat, app) -> None:
    await _send(app, *[_dm("bob") for _ in range(12)])
    assert {s[2] for s in await _schedule(app)} == {"12-01 09:00"}


async def test_one_query_per_commit_for_all_routine_private_messages(chat: Chat, app) -> None:
    selects: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(app.engine.sync_engine, "before_cursor_execute", count)
    try:
        await _send(
            app,
            *[_dm(f"member{i}") for i in range(3000)],
            *[_dm("bob") for _ in range(3)],
            _post("playground"),
            _dm("bob", Delivery.REPLY),
        )
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", count)
    assert len(selects) == 1
    assert len(await rows(app, schema.outbox)) == 3005


async def test_holding_ten_thousand_personalised_messages_costs_a_few_queries(chat: Chat, app) -> None:
    """Cheap however many: the budget is read in a bounded number of statements, not one per member
    (the time itself is measured by `make bench`, bench/outreach.py, never here)."""
    from sqlalchemy import event

    policy = DeliveryPolicy(load_settings(environ={}))
    drafts = [_dm(f"member{i}") for i in range(10_000)]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(app.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with app.engine.begin() as conn:
            held = await policy.hold(conn, drafts, START)
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", count)
    assert held == drafts
    assert 0 < len(statements) <= 25, len(statements)


# What the budget counts: only what the member did not ask for.


def _news(to: str, **kwargs) -> Draft:
    return _dm(to, kind=OutgoingKind.TRANSACTIONAL, **kwargs)


async def test_transactional_messages_are_neither_held_nor_counted_by_the_budget(chat: Chat, app, clock) -> None:
    await _send(app, *[_news("bob") for _ in range(4)], _dm("bob"), _dm("bob"), _dm("bob"))
    assert [s[2] for s in await _schedule(app)] == ["12-01 09:00"] * 6 + ["12-02 08:00"]
    clock.set(NIGHT)  # quiet hours still hold the news that is not urgent
    await _send(app, _news("bob"))
    assert (await _schedule(app))[-1] == ("dm bob", "routine", "12-02 08:00")
    [kind] = {r.kind for r in await rows(app, schema.outbox) if r.id <= 4}
    assert kind == "transactional"


async def test_news_of_a_members_own_feedback_is_told_at_once_past_the_budget(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc invite @bob")  # outreach bob did not ask for: one of his two today
    await _send(app, _dm("bob"))  # and the second
    await chat.say("bob", FEEDBACK)
    told = []
    for change in ("/fb status FB-1 acknowledged", "/fb status FB-1 reproduced", "/fb ship FB-1 v2.3"):
        told += [r.split("]")[0] for r in await chat.say("mod", change) if r.startswith("[dm bob]")]
    assert told == ["[dm bob"] * 3  # each at once: none waits for tomorrow
    assert {_local(r.not_before) for r in await rows(app, schema.outbox)} == {"12-01 09:00"}
