"""Reply times through the Wechaty test bed, with WeChat's default pacing, in real time.

The real bot (SQLite file, the Wechaty transport, python-wechaty's gRPC client) against the
official puppet-service server on loopback (tests/wechaty_bed), pacing as shipped for WeChat
(3 s a room, 20 a minute, bursts of 3 a room and 5 for the account, 20 % jitter). Each figure is
the time from the member's message entering the server to the bot's answer leaving through it:
(a) one command after a quiet spell; (b) three commands in a row in one room (target: the third
answered within 1 s); (c) a member's command right after a moderator's /help, which is long enough
(172 lines in Chinese) to go out in three parts (target: the member answered within 4 s).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import SystemClock
from bot.config import load_settings
from handlers import REGISTRIES, config_sections
from tests.wechaty_bed.bed import HERE, Bed

ROOM1, ROOM2 = "room1@chatroom", "room2@chatroom"
QUIET_SECONDS = 20.0  # long enough for every bucket to fill again


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (HERE / "node_modules" / "wechaty-puppet-service").is_dir():
        return "the test bed's packages are missing (make install)"
    try:
        from bot.transports import wechaty  # noqa: F401 - only whether it is there
    except ImportError:
        return "python-wechaty is not installed (pip install -e '.[wechaty]')"
    return None


@asynccontextmanager
async def running_bot(bed: Bed, data_dir: Path) -> AsyncIterator[App]:
    """The bot serving the bed in real time, with the Wechaty transport's own pacing."""
    from bot.transports.wechaty import WechatyTransport

    overrides = {
        "bot": {"transport": "wechaty"},
        "wechaty": {"endpoint": bed.endpoint, "token": bed.token, "request_timeout_seconds": 5},
        "permissions": {"admins": [], "moderators": [], "room_owners_are_moderators": True},
        "delivery": {"quiet_hours": ""},
    }
    settings = load_settings(environ={}, data_dir=data_dir, overrides=overrides, capability_sections=config_sections())
    transport = WechatyTransport(settings.wechaty)
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    while not transport.connected and not running.done():
        await asyncio.sleep(0.01)
    try:
        yield app
    finally:
        app.stop()
        await asyncio.wait_for(running, 10)
        await app.close()


async def answered(bed: Bed, seen: int, count: int, conversation: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The first `count` messages the bot sent to `conversation` after event number `seen`."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in bed.sent(conversation) if bed.events.index(e) >= seen]
        if len(found) >= count:
            return found[:count]
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(found)} of {count} answers in {conversation}")
        await asyncio.sleep(0.005)


async def commands_in_a_row(bed: Bed, sender: str, room: str, count: int) -> list[float]:
    """`count` /ping from `sender` in `room` one right after the other: each one's reply time, in s."""
    seen, asked = len(bed.events), []
    for _ in range(count):
        asked.append(time.perf_counter())
        await bed.say(sender, "/ping", room=room)
    replies = await answered(bed, seen, count, room)
    return [reply["at"] - at for reply, at in zip(replies, asked, strict=True)]


async def reply_after_a_long_answer(bed: Bed) -> tuple[list[float], float]:
    """The moderator asks /help in room 1 (three parts), Alice /ping right after: when each part
    went out after the /help, and how long Alice waited."""
    seen, asked = len(bed.events), time.perf_counter()
    await bed.say("mod", "/帮助", room=ROOM1)
    pinged = time.perf_counter()
    await bed.say("alice", "/ping", room=ROOM1)
    sent = await answered(bed, seen, 4, ROOM1)
    parts = [e["at"] - asked for e in sent if "alice" not in e["mentions"]]
    [pong] = [e for e in sent if "alice" in e["mentions"]]
    return parts, pong["at"] - pinged


async def bench_replies(bed: Bed, data_dir: Path) -> None:
    async with running_bot(bed, data_dir):
        await commands_in_a_row(bed, "dave", ROOM2, 1)  # warm-up: the member and the room are new
        await asyncio.sleep(QUIET_SECONDS)
        [quiet] = await commands_in_a_row(bed, "dave", ROOM2, 1)
        await asyncio.sleep(QUIET_SECONDS)
        in_a_row = await commands_in_a_row(bed, "alice", ROOM1, 3)
        await asyncio.sleep(QUIET_SECONDS)
        parts, after = await reply_after_a_long_answer(bed)
    print(
        f"wechaty: reply time through the test bed with WeChat's pacing: one command after a quiet spell "
        f"{quiet * 1000:.0f} ms; three in a row in one room "
        + ", ".join(f"{t * 1000:.0f}" for t in in_a_row)
        + f" ms (target: the third within 1 s: {'met' if in_a_row[-1] < 1 else 'NOT met'}); a member's command "
        f"right after a moderator's /help in {len(parts)} parts (at "
        + ", ".join(f"{t * 1000:.0f}" for t in parts)
        + f" ms) answered in {after * 1000:.0f} ms (target: within 4 s: {'met' if after < 4 else 'NOT met'})"
    )


async def main() -> None:
    missing = _missing()
    if missing:
        print(f"wechaty: skipped, {missing}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        bed = Bed.start(shutil.which("node") or "node", Path(tmp) / "bed.log")
        try:
            await bench_replies(bed, Path(tmp) / "data")
        finally:
            bed.close()


if __name__ == "__main__":
    asyncio.run(main())
