"""Heavy work in real worker processes: the campaign report as the bot makes it, and runaway work stopped.

Each test starts a worker process (seconds), so only what needs a real process is here; the rest of
the mechanism is tested in the heavy-work thread (tests/test_heavy.py).
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image as Picture

from bot import charts
from bot.app import App
from bot.clock import FakeClock
from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.heavy.spec import Work
from bot.registry import HandlerRegistry
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES
from tests.support import TEST_TEMPLATES, Chat, describe, make_message, rows
from tests.test_campaign_ignition import baseline, conversation, create_campaign, local


async def _ask(ctx: Context, cmd: Invocation) -> None:
    await ctx.hand_off("spin", how=cmd.args[0] if cmd.args else "")


async def _spin(work: Work) -> int:
    """Pure Python that never ends when asked to: only killing its process stops it."""
    while work.params["how"] == "forever":
        pass
    return os.getpid()


async def _deliver(ctx: Context, pid: int) -> None:
    await ctx.reply("testing/slow_done", answer=pid)


spinning = HandlerRegistry("testing")  # usage lines in tests/templates/<locale>/testing/
spinning.command("spin")(_ask)
spinning.heavy(
    "spin", compute=_spin, deliver=_deliver, private=False, timeout_seconds=6
)  # room for a fresh process on a busy machine


@pytest.fixture
def registries() -> tuple:
    return (*REGISTRIES, spinning)


@pytest.fixture
def settings_overrides() -> dict:
    return {"bot": {"templates_dir": str(TEST_TEMPLATES)}, "heavy": {"processes": 1}}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_runaway_work_is_killed_at_its_time_bound_and_the_next_request_gets_a_new_process(
    app: App, transport: InMemoryTransport
) -> None:
    transport.inject(make_message("/spin", "alice"))
    await app.drain()
    [answer] = [describe(m) for m in transport.take()]
    assert answer.startswith("[playground] @alice 算好了：")
    worker = int(answer.rsplit("：", 1)[1])
    assert worker != os.getpid() and _alive(worker)
    transport.inject(make_message("/spin forever", "alice"))
    await app.drain()
    assert [describe(m) for m in transport.take()] == [
        "[playground] @alice 抱歉，这次处理超过了 6 秒的时限，已经停下了。请稍后再试，或者把范围缩小一些（例如少选几个群、短一点的时间段）。"
    ]
    assert not _alive(worker)  # killed (and reaped): Python in a loop is stopped for sure
    transport.inject(make_message("/spin", "alice"))
    await app.drain()
    [again] = [describe(m) for m in transport.take()]
    assert again.startswith("[playground] @alice 算好了：") and int(again.rsplit("：", 1)[1]) not in (
        worker,
        os.getpid(),
    )
    assert [r.status for r in await rows(app, schema.heavy_requests)] == ["done", "timed_out", "done"]


@pytest.fixture
async def campaign(app: App, clock: FakeClock, chat: Chat) -> int:
    await baseline(app, clock, chat)
    clock.set(local(2, 9))
    await chat.say("mod", "/koc promote @kate 私域")
    campaign_id = await create_campaign(app, keywords=("新品", "X1"))
    await conversation(chat, clock)
    return campaign_id


async def test_the_campaign_report_is_made_in_a_worker_process(
    campaign: int, app: App, clock: FakeClock, transport: InMemoryTransport
) -> None:
    clock.set(local(10, 9))
    transport.inject(make_message(f"/campaign report {campaign}", "mod", None))
    await app.drain()
    [text, picture] = transport.take()
    assert text.contact_id == "mod" and "讨论消息共 8 条" in text.text and "· 12-09：8 条（平时约 7）" in text.text
    assert picture.image is not None and picture.image.name == f"campaign-{campaign}.png"
    assert Picture.open(io.BytesIO(picture.image.data)).size == (charts.WIDTH, charts.HEIGHT)
    [request] = await rows(app, schema.heavy_requests)
    assert (request.work, request.status, request.params) == (
        "campaign report",
        "done",
        {"campaign": campaign, "locale": "zh_CN"},
    )
