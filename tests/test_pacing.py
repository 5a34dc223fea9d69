"""Pacing: token buckets per conversation and per account, an even spread, the minute's ceiling."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.app import App
from bot.db.schema import Delivery
from bot.outbox import Draft
from bot.pacing import Pacer, TokenBucket
from bot.transports.base import PacingLimits
from tests.conftest import START
from tests.support import TimedTransport, enqueue
from tests.wechaty_support import require_sdk

WECHAT = PacingLimits(
    room_interval_seconds=3, account_per_minute=20, room_burst=3, account_burst=5, reply_reserve=5
)  # as shipped for WeChat
NO_RESERVE = replace(WECHAT, reply_reserve=0)


def _seconds(times: list[datetime]) -> list[float]:
    return [(t - START).total_seconds() for t in times]


def _send_greedily(pacer: Pacer, messages: list[tuple[str, bool]], start: datetime = START) -> list[datetime]:
    """Each (conversation, reply) in order, sent at the first moment the pacer allows it."""
    times, now = [], start
    for conversation, reply in messages:
        while (ready := pacer.ready_at(conversation, now, reply=reply)) > now:
            now = ready
        pacer.record(conversation, now, reply=reply)
        times.append(now)
    return times


def _busiest(times: list[datetime], span: timedelta) -> int:
    return max(sum(1 for t in times if start <= t < start + span) for start in times)


def test_a_bucket_lets_its_capacity_go_at_once_then_one_per_period() -> None:
    bucket = TokenBucket(3, lambda: 3.0)
    times, now = [], START
    for _ in range(6):
        now = bucket.ready_at(now)
        bucket.take(now)
        times.append(now)
    assert _seconds(times) == [0, 0, 0, 3, 6, 9]


def test_asking_a_bucket_about_a_later_time_changes_nothing() -> None:
    bucket = TokenBucket(1, lambda: 3.0)
    bucket.take(START)
    assert bucket.ready_at(START + timedelta(seconds=10)) == START + timedelta(seconds=10)
    assert bucket.ready_at(START + timedelta(seconds=1)) == START + timedelta(seconds=3)


def test_a_bucket_refills_while_nobody_sends() -> None:
    bucket = TokenBucket(3, lambda: 3.0)
    for _ in range(3):
        bucket.take(START)
    later = START + timedelta(seconds=6)  # two tokens back
    assert [bucket.ready_at(later), bucket.full(later)] == [later, False]
    bucket.take(later)
    bucket.take(later)
    assert bucket.ready_at(later) == START + timedelta(seconds=9)
    assert bucket.full(START + timedelta(seconds=15))


def test_three_replies_in_a_room_go_at_once_then_the_room_gap_holds() -> None:
    pacer = Pacer(PacingLimits(room_interval_seconds=3, room_burst=3))
    times = _send_greedily(pacer, [("r1", True)] * 7)
    assert _seconds(times) == [0, 0, 0, 3, 6, 9, 12]


def test_the_room_burst_is_configurable_and_one_is_a_plain_gap() -> None:
    pacer = Pacer(PacingLimits(room_interval_seconds=3, room_burst=1))
    assert _seconds(_send_greedily(pacer, [("r1", True)] * 3)) == [0, 3, 6]


def test_over_a_long_run_a_room_averages_at_least_its_interval_with_jitter() -> None:
    pacer = Pacer(PacingLimits(room_interval_seconds=3, room_burst=3, jitter_ratio=0.2), random.Random(7))
    times = _send_greedily(pacer, [("r1", True)] * 100)
    assert times[2] == START  # the burst
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times[2:])]
    assert min(gaps) >= 3
    assert 3 <= (times[-1] - times[2]).total_seconds() / len(gaps) <= 3.6


def test_a_fan_out_is_spread_evenly_and_never_over_the_ceiling() -> None:
    pacer = Pacer(replace(NO_RESERVE, jitter_ratio=0.2), random.Random(11))  # nothing kept for replies
    times = _send_greedily(pacer, [(f"room{n}", False) for n in range(300)])
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 3 * 0.8  # the average spacing minus the jitter: no clump, not even at the start
    assert _busiest(times, timedelta(minutes=1)) <= 20
    rate = (len(times) - 1) / (times[-1] - times[0]).total_seconds() * 60
    assert 19 <= rate <= 20


def test_without_jitter_a_fan_out_goes_exactly_every_three_seconds() -> None:
    times = _send_greedily(Pacer(NO_RESERVE), [(f"room{n}", False) for n in range(26)])
    assert _seconds(times) == [3 * n for n in range(26)]


def test_replies_to_several_rooms_may_use_the_account_burst_then_are_spread() -> None:
    pacer = Pacer(WECHAT)
    times = _send_greedily(pacer, [(f"room{n}", True) for n in range(7)])
    assert _seconds(times) == [0, 0, 0, 0, 0, 3, 6]


def test_replies_never_go_over_the_ceiling_in_any_minute() -> None:
    limits = PacingLimits(account_per_minute=4, account_burst=4)
    times = _send_greedily(Pacer(limits), [(f"room{n}", True) for n in range(9)])
    assert _seconds(times) == [0, 0, 0, 0, 60, 60, 60, 60, 120]


# Through the real sender, on the injected clock, with WeChat's pacing.


@pytest.fixture
def transport(clock) -> TimedTransport:
    return TimedTransport(clock, WECHAT)


@pytest.fixture
def settings_overrides() -> dict:
    return {"outbox": {"jitter_ratio": 0}, "delivery": {"quiet_hours": ""}}


def test_the_wechaty_transport_ships_these_limits() -> None:
    wechaty, _ = require_sdk()
    assert wechaty.WechatyTransport.default_pacing == WECHAT


async def test_three_commands_in_a_row_are_answered_at_once(chat, clock) -> None:
    for _ in range(3):
        assert await chat.say("alice", "/ping") == ["[playground] @alice 我在呢，一切正常。"]
    assert await chat.say("alice", "/ping") == []  # the fourth waits for the room's gap
    await chat.app.advance_to(clock.now() + timedelta(seconds=3))
    assert [m.text for m in chat.transport.take()] == ["@alice 我在呢，一切正常。"]


async def test_an_announcement_to_26_rooms_leaves_evenly_spread(app: App, transport, clock) -> None:
    async with app.engine.begin() as conn:
        for n in range(26):
            draft = Draft(f"news {n}", "test", "zh_CN", room_id=f"room{n}", delivery=Delivery.ROUTINE)
            await enqueue(conn, draft, clock.now(), app.database.addressing)
    await app.advance_to(START + timedelta(minutes=5))
    assert [m.text for m in transport.sent] == [f"news {n}" for n in range(26)]
    # 15 a minute: WeChat's 20 less the 5 kept for replies (tests/test_lanes.py)
    assert _seconds(transport.times) == [4 * n for n in range(26)]
