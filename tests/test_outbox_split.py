"""Long messages: split at the platform's limit on line boundaries, one outbox row per part, in order."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from bot.app import App
from bot.config import OutboxSection
from bot.db import schema
from bot.outbox import Draft, split_text
from bot.transports.console import ConsoleTransport
from bot.transports.memory import InMemoryTransport
from bot.transports.wechaty import WechatyTransport
from tests.support import Chat, enqueue, rows

LIMIT = 60


@pytest.fixture
def transport() -> InMemoryTransport:
    return InMemoryTransport(max_text_length=LIMIT)


def test_lines_stay_whole_and_an_overlong_line_is_cut_hard() -> None:
    assert split_text("short", 10) == ["short"]
    assert split_text("x" * 10, 10) == ["x" * 10]
    assert split_text("one\ntwo\nthree", 8) == ["one\ntwo", "three"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("ab\n" + "y" * 12 + "\ncd", 5) == ["ab", "yyyyy", "yyyyy", "yy\ncd"]
    assert split_text("a\n\nb\n\n" + "c" * 4, 4) == ["a\n\nb", "cccc"]  # the blank line at the break goes
    assert split_text("多行\n中文" * 3, 4) == ["多行", "中文多行", "中文多行", "中文"]
    assert split_text("x" * 5000, None) == ["x" * 5000]


def test_nothing_is_lost_or_reordered() -> None:
    rng = random.Random(8)
    for _ in range(200):
        lines = ["".join(rng.choice("ab 好") for _ in range(rng.randint(1, 30))) for _ in range(rng.randint(1, 40))]
        text, limit = "\n".join(lines), rng.randint(30, 120)
        parts = split_text(text, limit)
        assert all(0 < len(p) <= limit for p in parts)
        assert "\n".join(parts) == text  # no line is longer than the limit: every cut is a line break


def test_each_transport_says_its_limit_and_the_config_overrides_it() -> None:
    assert WechatyTransport.max_text_length == 2000
    assert ConsoleTransport.max_text_length is None
    assert InMemoryTransport().max_text_length is None
    assert OutboxSection(max_length=500).max_length == 500


async def test_a_long_announcement_becomes_rows_in_order_sent_in_order(app: App, transport) -> None:
    lines = [f"第 {n} 行：新品体验活动的报名方式和注意事项" for n in range(1, 9)]
    draft = Draft("\n".join(lines), "test", "zh_CN", room_id="r1", mentions=("bob",), dedupe_key="announce:7:r1")
    async with app.engine.begin() as conn:
        first = await enqueue(conn, draft, app.clock.now(), app.database.addressing)
        again = await enqueue(conn, draft, app.clock.now(), app.database.addressing)  # the job ran twice: nothing more
    stored = await rows(app, schema.outbox)
    assert first == stored[0].id and again is None
    assert [(r.dedupe_key, r.mentions) for r in stored] == [
        ("announce:7:r1", ["bob"]),
        ("announce:7:r1#2", []),
        ("announce:7:r1#3", []),
        ("announce:7:r1#4", []),
    ]
    await app.drain()
    sent = transport.take()
    assert all(len(m.text) <= LIMIT for m in sent)
    assert "\n".join(m.text for m in sent) == draft.text
    assert [m.mentions for m in sent] == [("bob",), (), (), ()]


async def test_a_long_reply_arrives_whole_in_parts(chat: Chat, app: App) -> None:
    parts = await chat.say("alice", "/帮助")
    assert len(parts) > 1
    assert all(p.startswith("[playground] ") and len(p) - len("[playground] ") <= LIMIT for p in parts)
    app.database.addressing = replace(app.database.addressing, max_length=None)
    [whole] = await chat.say("alice", "/帮助")
    # every character, in order: parts break at line ends, or inside a line longer than the limit
    assert "".join(p.removeprefix("[playground] ") for p in parts).replace("\n", "") == whole.removeprefix(
        "[playground] "
    ).replace("\n", "")


@pytest.mark.parametrize("settings_overrides", [{"outbox": {"max_length": 100}}])
async def test_outbox_max_length_overrides_the_transport(chat: Chat, app: App) -> None:
    assert app.database.addressing.max_length == 100
    parts = await chat.dm("alice", "/help")
    assert len(parts) > 1 and all(len(p) - len("[dm alice] ") <= 100 for p in parts)
