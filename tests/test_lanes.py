"""Delivery lanes on the injected clock: replies overtake bulk, the reply reserve, order, bursts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from bot.app import App
from bot.db import schema
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.schema import Delivery, OutgoingKind
from bot.events import OutgoingMessage
from bot.lanes import pick
from bot.outbox import Draft
from bot.pacing import Pacer
from bot.transports.base import PacingLimits
from tests.conftest import START
from tests.support import Chat, TimedTransport, enqueue, make_message
from tests.test_pacing import WECHAT

PONG = "@alice 我在呢，一切正常。"


@pytest.fixture
def transport(clock) -> TimedTransport:
    return TimedTransport(clock, WECHAT)


@pytest.fixture
def settings_overrides() -> dict:
    return {"outbox": {"jitter_ratio": 0, "max_length": 60}, "delivery": {"quiet_hours": ""}}


def _post(room: str, text: str, kind: OutgoingKind = OutgoingKind.UNSOLICITED) -> Draft:
    return Draft(text, "test", "zh_CN", room_id=room, delivery=Delivery.ROUTINE, kind=kind)


async def _queue(app: App, *drafts: Draft) -> None:
    async with app.engine.begin() as conn:
        for draft in drafts:
            await enqueue(conn, draft, app.clock.now(), app.database.addressing)


async def _fan_out(app: App, rooms: int, text: str = "news") -> None:
    await _queue(app, *(_post(f"fan{n:03d}", f"{text} {n}") for n in range(rooms)))


def _lines(*parts: int, length: int = 24) -> str:
    """A text of one line per number, `length` characters each: with max_length 60, two lines a part."""
    return "\n".join(f"{n:02d}" + "-" * (length - 2) for n in parts)


async def test_a_reply_overtakes_a_fan_out_in_progress(chat: Chat, app: App, transport, clock) -> None:
    await _fan_out(app, 80)  # more than the sender claims in a round (50): the reply is not among the first
    await app.advance_to(START + timedelta(seconds=10))
    transport.take()
    assert await chat.say("alice", "/ping") == [f"[playground] {PONG}"]  # at once, 77 posts still queued
    await app.advance_to(START + timedelta(seconds=16))
    assert transport.timed(START) == [
        (0, "[fan000] news 0"),
        (4, "[fan001] news 1"),
        (8, "[fan002] news 2"),
        (10, f"[playground] {PONG}"),
        (12, "[fan003] news 3"),
        (16, "[fan004] news 4"),
    ]


async def test_a_reply_overtakes_bulk_waiting_for_its_own_room(chat: Chat, app: App, transport) -> None:
    await _queue(app, *(_post(f"fan{n:03d}", f"news {n}") for n in range(5)), _post("playground", "news here"))
    await app.advance_to(START + timedelta(seconds=1))
    transport.take()
    assert await chat.say("alice", "/ping") == [f"[playground] {PONG}"]
    await app.advance_to(START + timedelta(minutes=1))
    assert [line for _, line in transport.timed(START)][-2:] == ["[fan004] news 4", "[playground] news here"]


async def test_transactional_messages_go_before_bulk(app: App, transport) -> None:
    await _fan_out(app, 5)
    await app.advance_to(START + timedelta(seconds=1))
    await _queue(app, _post("r1", "your feedback is fixed", OutgoingKind.TRANSACTIONAL))
    await app.advance_to(START + timedelta(seconds=12))
    assert transport.timed(START) == [
        (0, "[fan000] news 0"),
        (4, "[r1] your feedback is fixed"),
        (8, "[fan001] news 1"),
        (12, "[fan002] news 2"),
    ]


def _reserving(reserve: int) -> dict:
    return {"outbox": {"jitter_ratio": 0, "reply_reserve_per_minute": reserve}, "delivery": {"quiet_hours": ""}}


@pytest.mark.parametrize(
    ("settings_overrides", "answered"),
    [(_reserving(5), [0, 0, 0, 0, 0]), (_reserving(0), [2, 5, 8, 11, 14])],
    ids=["reserve", "no-reserve"],
)
async def test_the_reserve_keeps_room_for_replies_during_a_fan_out(
    app: App, transport, clock, settings, answered: list[int]
) -> None:
    await _fan_out(app, 60)
    await app.advance_to(START + timedelta(minutes=2, seconds=1))
    asked = clock.now()
    for n in range(5):  # five members in five rooms, at the same moment
        transport.inject(make_message("/ping", f"member{n}", f"room{n}"))
    await app.advance_to(asked + timedelta(seconds=20))
    replies = [at for at, m in transport.log if m.text.endswith("我在呢，一切正常。")]
    assert [(at - asked).total_seconds() for at in replies] == answered
    bulk = [at for at, m in transport.log if m.room_id and m.room_id.startswith("fan")]
    busiest = max(sum(1 for t in bulk if start <= t < start + timedelta(minutes=1)) for start in bulk)
    assert busiest == WECHAT.account_per_minute - settings.outbox.reply_reserve_per_minute


async def test_the_parts_of_a_reply_go_together_and_in_order(chat: Chat, app: App, transport) -> None:
    answer = Draft(_lines(1, 2, 3, 4, 5, 6), "test", "zh_CN", room_id="playground")  # a reply in three parts
    await _queue(app, answer)
    await app.drain()
    transport.take()
    assert await chat.say("alice", "/ping") == []  # the room's burst went to the three parts
    await app.advance_to(START + timedelta(seconds=10))
    assert transport.timed(START) == [
        (0, f"[playground] {_lines(1, 2)}"),
        (0, f"[playground] {_lines(3, 4)}"),
        (0, f"[playground] {_lines(5, 6)}"),
        (3, f"[playground] {PONG}"),
    ]


async def test_a_reply_never_goes_before_an_earlier_part_of_the_same_answer(chat: Chat, app: App, transport) -> None:
    answer = Draft(_lines(*range(1, 11)), "test", "zh_CN", room_id="playground")  # five parts
    await _queue(app, answer)
    await app.drain()
    await chat.say("alice", "/ping")
    await app.advance_to(START + timedelta(seconds=20))
    assert transport.timed(START) == [
        (0, f"[playground] {_lines(1, 2)}"),
        (0, f"[playground] {_lines(3, 4)}"),
        (0, f"[playground] {_lines(5, 6)}"),
        (3, f"[playground] {_lines(7, 8)}"),  # the room's average holds: one a gap after the burst
        (6, f"[playground] {_lines(9, 10)}"),
        (9, f"[playground] {PONG}"),
    ]


async def test_a_split_bulk_message_goes_as_one_burst_and_owes_its_slots(app: App, transport) -> None:
    await _queue(app, _post("r1", _lines(1, 2, 3, 4, 5, 6)), _post("r2", _lines(7, 8)), _post("r3", "after"))
    await app.advance_to(START + timedelta(minutes=1))
    assert transport.timed(START) == [
        (0, f"[r1] {_lines(1, 2)}"),
        (0, f"[r1] {_lines(3, 4)}"),
        (0, f"[r1] {_lines(5, 6)}"),
        (12, f"[r2] {_lines(7, 8)}"),  # three slots of 4 s went to the three parts
        (16, "[r3] after"),
    ]


async def test_each_message_is_written_with_its_kind(chat: Chat, app: App) -> None:
    await chat.say("admin", "/mod add @bob")
    await chat.join("dave")
    async with app.engine.connect() as conn:
        stored = (await conn.execute(select(schema.outbox.c.template, schema.outbox.c.kind))).all()
    assert sorted(set(stored)) == [  # the welcome is split in two parts, both unsolicited
        ("core/mod_added", "reply"),
        ("core/mod_welcome", "transactional"),
        ("outreach/welcome", "unsolicited"),
    ]


async def test_outbox_shows_each_lane_and_its_oldest_waiting_message(chat: Chat, app: App) -> None:
    await _fan_out(app, 60)
    await app.advance_to(START + timedelta(minutes=2, seconds=30))
    await _queue(app, _post("r1", "your feedback is fixed", OutgoingKind.TRANSACTIONAL))
    parts = [line.removeprefix("[dm mod] ") for line in await chat.dm("mod", "/outbox") if line.startswith("[dm mod]")]
    assert "\n".join(parts).split("\n")[1:6] == [  # split in parts of at most 60 characters
        "· 待发送：23 条现在就发，0 条定时稍后发",  # 38 of the 60 went, one each 4 s
        "  回复：0 条",
        "  通知：1 条，最早的 #61 → 群「r1」，刚开始等",
        "  群发和推送：22 条，最早的 #39 → 群「fan038」，已等 2 分钟",
        "· 正在发送：0 条",
    ]


@pytest.mark.parametrize(
    "settings_overrides", [{"outbox": {"room_interval_seconds": 0, "account_per_minute": 0}}], ids=["unpaced"]
)
async def test_bulk_yields_to_a_reply_between_any_two_of_its_sends(app: App, transport) -> None:
    async def reply_midway(message: OutgoingMessage) -> None:  # while the third post is on its way
        if message.text == "news 2":
            await _queue(app, Draft("the answer", "test", "zh_CN", room_id="playground"))

    transport.while_sending = reply_midway
    await _fan_out(app, 6)
    await app.drain()
    assert [line for _, line in transport.timed(START)] == [
        "[fan000] news 0",
        "[fan001] news 1",
        "[fan002] news 2",
        "[playground] the answer",
        "[fan003] news 3",
        "[fan004] news 4",
        "[fan005] news 5",
    ]


def _row(n: int, kind: OutgoingKind, room: str) -> SimpleNamespace:
    return SimpleNamespace(id=n, kind=kind.value, part=1, room_platform_id=room, contact_platform_id=None)


def _send_with_lanes(pacer: Pacer, rows: list[SimpleNamespace], seconds: int) -> dict[int, int]:
    """Each second, what `pick` lets go: the second each row went."""
    sent: dict[int, int] = {}
    for second in range(seconds):
        pending = [row for row in rows if row.id not in sent]
        for row in pick(pending, pacer, START + timedelta(seconds=second)):
            sent[row.id] = second
    return sent


def test_bulk_never_takes_a_slot_under_the_ceiling_that_a_waiting_reply_needs() -> None:
    # 6 a minute, 1 kept for replies: bulk one each 12 s; replies one each 10 s after a burst of 1.
    limits = PacingLimits(account_per_minute=6, account_burst=1, reply_reserve=1)
    replies = [_row(n, OutgoingKind.REPLY, f"r{n}") for n in range(4)]
    bulk = [_row(10 + n, OutgoingKind.UNSOLICITED, f"fan{n}") for n in range(5)]
    sent = _send_with_lanes(Pacer(limits), replies + bulk, 120)
    assert [sent[row.id] for row in replies] == [0, 10, 20, 30]  # the last one would wait for 60 otherwise
    assert [sent[row.id] for row in bulk] == [0, 12, 60, 72, 84]  # the third waits: its slot is the reply's


def test_a_draft_held_like_the_bots_own_word_is_not_a_reply() -> None:
    assert Draft("x", "t", "zh_CN", room_id="r").kind is OutgoingKind.REPLY
    assert Draft("x", "t", "zh_CN", room_id="r", delivery=Delivery.ROUTINE).kind is OutgoingKind.UNSOLICITED
    notice = Draft("x", "t", "zh_CN", contact_id="c", delivery=Delivery.URGENT, kind=OutgoingKind.TRANSACTIONAL)
    assert notice.kind is OutgoingKind.TRANSACTIONAL


async def test_messages_waiting_at_the_upgrade_get_a_kind(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kocbot.db")
    try:
        await upgrade(engine, "0009")
        async with engine.begin() as conn:
            for n, delivery in enumerate(("reply", "urgent", "routine")):
                await conn.execute(
                    text(
                        "INSERT INTO outbox (created_at, not_before, status, room_platform_id, text, mentions, "
                        "template, locale, attempts, delivery) VALUES (:at, :at, 'pending', 'r', :text, '[]', 't', "
                        "'zh_CN', 0, :delivery)"
                    ),
                    {"at": START, "text": f"m{n}", "delivery": delivery},
                )
        await upgrade(engine)
        async with engine.connect() as conn:
            found = (await conn.execute(text("SELECT delivery, kind, part FROM outbox ORDER BY id"))).all()
        assert [tuple(row) for row in found] == [
            ("reply", "reply", 1),
            ("urgent", "transactional", 1),
            ("routine", "unsolicited", 1),
        ]
    finally:
        await engine.dispose()
