"""The outbox sender: pacing, retries with backoff, parking, crash recovery, in travelled time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.app import App
from bot.bootstrap import open_app
from bot.db import schema
from bot.outbox import Draft
from bot.transports.base import PacingLimits
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES
from tests.support import enqueue, rows


@pytest.fixture
def settings_overrides() -> dict:
    return {"outbox": {"jitter_ratio": 0, "retry_base_seconds": 10, "max_attempts": 3}}


@pytest.fixture
def transport() -> InMemoryTransport:
    return InMemoryTransport(PacingLimits(room_interval_seconds=3, account_per_minute=4, account_burst=4))


async def _queue(app: App, *drafts: Draft) -> None:
    async with app.engine.begin() as conn:
        for draft in drafts:
            await enqueue(conn, draft, app.clock.now(), app.database.addressing)


def _to_room(room: str, text: str) -> Draft:
    return Draft(text, "test", "zh_CN", room_id=room)


async def test_pacing_keeps_a_gap_per_room_and_order_within_it(app: App, transport, clock) -> None:
    await _queue(app, _to_room("r1", "a1"), _to_room("r1", "a2"), _to_room("r2", "b1"))
    await app.drain()
    assert [m.text for m in transport.take()] == ["a1", "b1"]
    await app.advance_to(clock.now() + timedelta(seconds=2))
    assert transport.take() == []
    await app.advance_to(clock.now() + timedelta(seconds=1))
    assert [m.text for m in transport.take()] == ["a2"]


async def test_account_ceiling_per_minute(app: App, transport, clock) -> None:
    start = clock.now()
    await _queue(app, *(_to_room(f"room{i}", f"m{i}") for i in range(6)))
    await app.drain()
    assert len(transport.take()) == 4
    await app.advance_to(start + timedelta(seconds=59))
    assert transport.take() == []
    await app.advance_to(start + timedelta(seconds=60))
    assert [m.text for m in transport.take()] == ["m4", "m5"]


async def test_a_failed_send_is_retried_with_backoff(app: App, transport, clock) -> None:
    transport.failures_to_simulate = 2
    await _queue(app, _to_room("r1", "hello"))
    start = clock.now()
    await app.drain()
    assert transport.take() == []
    [row] = await rows(app, schema.outbox)
    assert (row.status, row.attempts, row.not_before) == ("pending", 1, start + timedelta(seconds=10))
    await app.advance_to(start + timedelta(seconds=10))  # second try fails: next in 20 s
    [row] = await rows(app, schema.outbox)
    assert (row.attempts, row.not_before) == (2, start + timedelta(seconds=30))
    await app.advance_to(start + timedelta(minutes=5))
    assert [m.text for m in transport.take()] == ["hello"]
    [row] = await rows(app, schema.outbox)
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("sent", 3, None, start + timedelta(seconds=30))


async def test_a_message_that_keeps_failing_is_parked_and_the_staff_are_told(
    app: App, transport, clock, caplog
) -> None:
    transport.failures_to_simulate = 3
    await _queue(app, _to_room("r1", "doomed"))
    await app.advance_to(clock.now() + timedelta(hours=1))
    [row] = await rows(app, schema.outbox, schema.outbox.c.id == 1)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "simulated platform failure" in row.last_error
    assert "try 3 of 3" in caplog.text
    assert [(m.contact_id, m.text) for m in transport.take()] == [
        (
            staff,
            (
                "【消息没能发出】发往群「r1」的消息 #1 试了 3 次都没有发出去，已暂停发送。\n"
                "最后一次的错误：TransportError('simulated platform failure')\n"
                "处理好原因后，发送 /发件箱 重试 1 再发一次（/发件箱 可以查看所有暂停的消息）。"
            ),
        )
        for staff in ("admin", "mod")
    ]
    notices = await rows(app, schema.outbox, schema.outbox.c.id > 1)
    assert [(n.template, n.delivery) for n in notices] == [("core/outbox_parked", "urgent")] * 2


async def test_a_parked_notice_to_staff_does_not_start_a_loop(app: App, transport, clock) -> None:
    transport.failures_to_simulate = 10_000  # the platform refuses everything, notices included
    await _queue(app, Draft("private", "test", "en", contact_id="bob"))
    await app.advance_to(clock.now() + timedelta(days=1))
    outbox = await rows(app, schema.outbox)
    assert [(m.id, m.template, m.status) for m in outbox] == [
        (1, "test", "failed"),
        (2, "core/outbox_parked", "failed"),
        (3, "core/outbox_parked", "failed"),
    ]


async def test_messages_left_sending_by_a_crash_go_out_again(settings, clock) -> None:
    first = InMemoryTransport()
    app = await open_app(settings, transport=first, registries=REGISTRIES, clock=clock)
    await _queue(app, _to_room("r1", "in flight"), _to_room("r1", "sent before"))
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.outbox).where(schema.outbox.c.text == "in flight").values(status="sending"))
        await conn.execute(update(schema.outbox).where(schema.outbox.c.text == "sent before").values(status="sent"))
    await app.close()
    second = InMemoryTransport()
    app = await open_app(settings, transport=second, registries=REGISTRIES, clock=clock)
    await app.start()
    await app.drain()
    assert [m.text for m in second.sent] == ["in flight"]
    await app.close()


async def test_dedupe_key_sends_once(app: App, transport) -> None:
    draft = Draft("monthly roll", "test", "zh_CN", room_id="r1", dedupe_key="honour:2026-12:r1")
    await _queue(app, draft, draft)
    await app.drain()
    assert [m.text for m in transport.take()] == ["monthly roll"]


def test_a_draft_needs_exactly_one_destination() -> None:
    with pytest.raises(ValueError):
        Draft("x", "t", "zh_CN")
    with pytest.raises(ValueError):
        Draft("x", "t", "zh_CN", room_id="r", contact_id="c")


def test_config_overrides_the_transport_pacing() -> None:
    from bot.config import OutboxSection

    default = PacingLimits(room_interval_seconds=3, account_per_minute=20, room_burst=3, account_burst=5)
    assert PacingLimits.resolve(OutboxSection(), default) == PacingLimits(3, 20, 0.2, room_burst=3, account_burst=5)
    custom = OutboxSection(room_interval_seconds=0, account_per_minute=5, jitter_ratio=0, room_burst=1, account_burst=2)
    assert PacingLimits.resolve(custom, default) == PacingLimits(0, 5, 0, room_burst=1, account_burst=2)


async def test_an_outage_holds_messages_without_using_up_retries(app: App, transport, clock) -> None:
    transport.connected = False
    await _queue(app, _to_room("r1", "during the outage"))
    await app.advance_to(clock.now() + timedelta(hours=2))
    assert transport.take() == []
    [row] = await rows(app, schema.outbox)
    assert (row.status, row.attempts) == ("pending", 0)
    transport.connected = True
    await app.drain()
    assert [m.text for m in transport.take()] == ["during the outage"]


async def test_a_claim_left_behind_is_taken_over_after_the_lease(app: App, transport, clock) -> None:
    from bot.sender import CLAIM_LEASE

    await _queue(app, _to_room("r1", "claimed, then the sender failed"))
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.outbox).values(status="sending", claimed_at=clock.now()))
    await app.drain()
    assert transport.take() == []  # someone may still be sending it
    await app.advance_to(clock.now() + CLAIM_LEASE + timedelta(seconds=1))
    await app.drain()
    assert [m.text for m in transport.take()] == ["claimed, then the sender failed"]
