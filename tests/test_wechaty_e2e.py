"""WeChat end to end: the Wechaty transport against the official puppet-service server, on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.bootstrap import open_app
from bot.clock import SystemClock
from bot.config import CoreSettings, WechatySection
from bot.db import schema
from bot.db.schema import Role
from bot.events import Image
from bot.outbox import Draft
from bot.registry import Where
from handlers import REGISTRIES
from tests.support import enqueue
from tests.wechaty_bed.bed import Bed, require_node
from tests.wechaty_support import QUOTE_LINE, FakeDiscovery, eventually, require_sdk

pytestmark = pytest.mark.e2e
ROOM1, ROOM2 = "room1@chatroom", "room2@chatroom"
PONG = "I'm here and all is well."
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    node = require_node()
    require_sdk()
    started = Bed.start(node, tmp_path_factory.mktemp("bed") / "server.log")
    yield started
    started.close()


@pytest.fixture
def settings_overrides(bed: Bed) -> dict:
    return {
        "bot": {"transport": "wechaty", "locale": "en"},
        "wechaty": {
            "endpoint": bed.endpoint,
            "token": bed.token,
            "reconnect_initial_seconds": 0.05,
            "reconnect_max_seconds": 0.4,
            "request_timeout_seconds": 5,
        },
        "permissions": {"admins": [], "moderators": [], "room_owners_are_moderators": True},
        "outbox": {"room_interval_seconds": 0, "account_per_minute": 0, "jitter_ratio": 0},
    }


@dataclass
class WeChat:
    """The bot running in real time against the bed, and ways to look at both."""

    app: App
    transport: Any
    bed: Bed
    first_sent: int  # bed events before this test: its replies are the ones after

    def sent(self, conversation: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.bed.sent(conversation) if self.bed.events.index(e) >= self.first_sent]

    async def replies(self, count: int, conversation: str | None = None) -> list[str]:
        """Wait until the bot has sent `count` messages in this test; their texts, in order."""
        await eventually(lambda: len(self.sent(conversation)) >= count, f"{count} replies were sent")
        return [e["text"] for e in self.sent(conversation)]

    async def logged(self, platform_msg_id: str) -> Any:
        """The message log's row for a platform message id, once it is there."""

        async def row() -> Any:
            async with self.app.engine.connect() as conn:
                table = schema.messages
                return (await conn.execute(select(table).where(table.c.platform_msg_id == platform_msg_id))).first()

        return await eventually(row, f"message {platform_msg_id} is logged")

    async def outbox(self) -> list[tuple[str, int]]:
        """(status, attempts) of every outbox row, in order."""
        async with self.app.engine.connect() as conn:
            rows = (await conn.execute(select(schema.outbox).order_by(schema.outbox.c.id))).all()
        return [(r.status, r.attempts) for r in rows]

    async def member_id(self, platform_id: str) -> int:
        async with self.app.engine.connect() as conn:
            table = schema.members
            return (await conn.execute(select(table.c.id).where(table.c.platform_id == platform_id))).scalar_one()


@pytest.fixture
async def wechat(settings: CoreSettings, bed: Bed) -> AsyncIterator[WeChat]:
    wechaty, _ = require_sdk()
    transport = wechaty.WechatyTransport(settings.wechaty)
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    await eventually(lambda: transport.connected or running.done(), "the bot logs in")
    yield WeChat(app, transport, bed, first_sent=len(bed.events))
    app.stop()
    await asyncio.wait_for(running, 10)
    await app.close()
    await _serving_again(bed)


async def _serving_again(bed: Bed) -> None:
    """A failed test may leave the shared bed dropped or armed: the next test starts from a sound one."""
    await bed.run("drop_on_send", count=0)
    if not (await bed.run("state"))["serving"]:
        await bed.run("restore")


# Through the bed: real gRPC, the official server, python-wechaty's client.


async def test_help_in_a_room_mentions_the_sender_and_help_in_private_does_not(wechat: WeChat) -> None:
    await wechat.bed.say("alice", "@KOC Bot\u2005/help", mentions=["kocbot"])
    [in_room] = await wechat.replies(1)
    await wechat.bed.dm("alice", "/help")
    [_, in_private] = await wechat.replies(2)
    services = wechat.app.services
    visible = services.router.visible_commands(Role.MEMBER)
    commands = [services.renderer.command_doc(spec.capability, spec.key, "en") for spec in visible]
    in_groups = [  # commands for private use only (a copy of one's data) are listed in private only
        services.renderer.command_doc(spec.capability, spec.key, "en") for spec in visible if spec.where is not Where.DM
    ]
    help_text = services.renderer.render("core/help", "en", commands=commands, in_room=False)
    in_room_text = services.renderer.render("core/help", "en", commands=in_groups, in_room=True)
    assert in_room == f"@Alice {in_room_text}"  # with the line that sends staff to private
    assert in_private == help_text
    [room_reply, private_reply] = wechat.sent()
    assert (room_reply["conversation"], room_reply["mentions"]) == (ROOM1, ["alice"])
    assert (private_reply["conversation"], private_reply["mentions"]) == ("alice", [])


async def test_ping_round_trips_through_the_server(wechat: WeChat) -> None:
    round_trips = []
    for count in range(1, 11):
        started = time.perf_counter()
        await wechat.bed.say("carol", "／ping", room=ROOM2)
        await wechat.replies(count)
        round_trips.append(wechat.sent()[-1]["at"] - started)
    assert {e["text"] for e in wechat.sent(ROOM2)} == {f"@Carol {PONG}"}
    print(
        f"round trip bed -> kocbot -> bed: median {statistics.median(round_trips) * 1000:.1f} ms, "
        f"max {max(round_trips) * 1000:.1f} ms"
    )
    assert statistics.median(round_trips) < 1.0


async def test_a_moderator_command_is_refused_to_a_member_and_served_to_the_room_owner(wechat: WeChat) -> None:
    await wechat.bed.say("alice", "/mod list")
    await wechat.bed.say("mod", "/mod list")  # mod owns room1; room owners are moderators here
    refused, served = await wechat.replies(2)
    assert refused == (
        "@Alice Sorry, /mod list is only for community moderators. If you need help, please ask one of the moderators."
    )
    assert served == "No moderators are set yet."  # staff work is answered privately, in the room's language
    assert [e["conversation"] for e in wechat.sent()] == ["room1@chatroom", "mod"]


async def test_members_joining_and_leaving_are_recorded(wechat: WeChat) -> None:
    table = schema.memberships

    async def dave_in_room1() -> Any:
        dave = schema.members.c.platform_id == "dave"
        async with wechat.app.engine.connect() as conn:
            return (
                await conn.execute(
                    select(table.c.joined_at, table.c.left_at)
                    .join(schema.members)
                    .join(schema.communities)
                    .where(dave, schema.communities.c.platform_id == ROOM1)
                )
            ).first()

    await wechat.bed.run("join", room=ROOM1, members=["dave"], inviter="mod")
    try:
        joined = await eventually(dave_in_room1, "dave's membership is recorded")
        assert joined.left_at is None
    finally:
        await wechat.bed.run("leave", room=ROOM1, members=["dave"], remover="mod")
    await eventually(lambda: _left(dave_in_room1), "dave's leaving is recorded")


async def _left(membership: Callable[[], Any]) -> bool:
    row = await membership()
    return row is not None and row.left_at is not None


async def test_echoes_non_text_and_official_accounts_are_recorded_but_not_routed(wechat: WeChat) -> None:
    await wechat.bed.say("alice", "/ping")
    await wechat.replies(1)
    echo = await wechat.logged(wechat.sent()[0]["id"])  # the bot's own message, echoed back
    image = await wechat.logged(await wechat.bed.say("alice", "/ping", type="Image"))
    newsletter = await wechat.logged(await wechat.bed.dm("gh_brand", "/help"))
    await wechat.bed.say("bob", "/ping")
    assert await wechat.replies(2) == [f"@Alice {PONG}", f"@Bob {PONG}"]
    assert (echo.member_id, echo.kind, echo.routed_to) == (await wechat.member_id("kocbot"), "text", None)
    assert (image.kind, image.routed_to) == ("other", None)
    assert (newsletter.kind, newsletter.routed_to, newsletter.community_id) == ("other", None, None)


async def test_a_quoted_reply_is_a_command_with_its_quote_resolved_to_a_member(wechat: WeChat) -> None:
    text = f"「Carol：see you all tomorrow」{QUOTE_LINE}@KOC Bot\u2005/ping"
    message_id = await wechat.bed.say("alice", text, mentions=["kocbot"])
    assert await wechat.replies(1) == [f"@Alice {PONG}"]
    row = await wechat.logged(message_id)
    assert (row.text, row.mentions, row.routed_to) == ("/ping", [], "/ping")
    assert row.quote_member_id == await wechat.member_id("carol")


async def test_a_nul_in_a_message_or_a_room_topic_loses_nothing(wechat: WeChat) -> None:
    """PostgreSQL's text holds no U+0000: WeChat's text and topics are cleaned on their way in."""
    await wechat.bed.run("set_room", room=ROOM2, topic="KOC\u0000 group 2")
    try:
        message_id = await wechat.bed.say("dave", "/pi\u0000ng", room=ROOM2)
        assert await wechat.replies(1) == [f"@Dave {PONG}"]
    finally:
        await wechat.bed.run("set_room", room=ROOM2, topic="KOC group 2")
    row = await wechat.logged(message_id)
    assert (row.text, row.routed_to) == ("/ping", "/ping")
    async with wechat.app.engine.connect() as conn:
        table = schema.communities
        name = (await conn.execute(select(table.c.name).where(table.c.platform_id == ROOM2))).scalar_one()
    assert name == "KOC group 2"


async def test_thanks_with_a_full_width_at_sign_and_wechats_space_counts_and_a_refusal_does_not(
    wechat: WeChat,
) -> None:
    refused = await wechat.bed.say("alice", "no thanks ＠Bob\u2005", mentions=["bob"])
    thanked = await wechat.bed.say("alice", "谢谢＠Bob\u2005帮我连上了蓝牙", mentions=["bob"])
    assert await wechat.replies(1) == ["@Alice Noted: your thanks to Bob 🌸"]
    assert [(await wechat.logged(i)).routed_to == "thanks" for i in (refused, thanked)] == [False, True]


async def test_a_reply_cut_off_by_a_lost_connection_is_delivered_once_after_it_returns(wechat: WeChat) -> None:
    bed = wechat.bed
    await bed.run("drop_on_send", count=1)
    asked = await bed.say("alice", "/ping")
    await eventually(
        lambda: any(e["event"] == "dropped" for e in bed.events[wechat.first_sent :]),
        "the server drops with the reply in flight",
    )
    await eventually(lambda: not wechat.transport.connected, "the transport notices")
    assert wechat.sent() == []
    await bed.run("restore")
    assert await wechat.replies(1) == [f"@Alice {PONG}"]
    await eventually(lambda: wechat.transport.connected, "the bot is back")
    await bed.run("redeliver", id=asked)  # the puppet sends the question again after the reconnect
    await bed.say("bob", "/ping")
    assert await wechat.replies(2) == [f"@Alice {PONG}", f"@Bob {PONG}"]
    # one try each: the outage used none
    await eventually(lambda: _equals(wechat.outbox(), [("sent", 1), ("sent", 1)]), "both replies are marked sent")


async def _equals(value: Any, expected: Any) -> bool:
    return await value == expected


async def test_a_reply_delivered_as_the_connection_broke_is_not_sent_again(wechat: WeChat) -> None:
    bed = wechat.bed
    await bed.run("drop_on_send", count=1, delivered=True)  # delivered and echoed, its answer lost
    await bed.say("alice", "/ping")
    await eventually(
        lambda: any(e["event"] == "dropped" for e in bed.events[wechat.first_sent :]),
        "the server drops after delivering, before answering",
    )
    await eventually(lambda: not wechat.transport.connected, "the transport notices")
    await bed.run("restore")
    await eventually(lambda: wechat.transport.connected, "the bot is back")
    await bed.say("bob", "/ping")
    assert await wechat.replies(2) == [f"@Alice {PONG}", f"@Bob {PONG}"]
    await eventually(lambda: _equals(wechat.outbox(), [("sent", 1), ("sent", 1)]), "both replies are marked sent")


async def test_a_restart_of_the_server_between_messages_loses_and_repeats_nothing(wechat: WeChat) -> None:
    bed = wechat.bed
    await bed.say("alice", "/ping")
    await wechat.replies(1)
    await eventually(lambda: _equals(wechat.outbox(), [("sent", 1)]), "the reply is marked sent")
    await bed.run("drop")
    await eventually(lambda: not wechat.transport.connected, "the transport notices the drop")
    await bed.run("restore")
    await eventually(lambda: wechat.transport.connected, "the bot reconnects")
    await bed.say("bob", "/ping")
    assert await wechat.replies(2) == [f"@Alice {PONG}", f"@Bob {PONG}"]


async def test_a_picture_in_the_outbox_goes_to_wechat_as_a_file_with_its_bytes(wechat: WeChat) -> None:
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # a PNG's signature, then 10 KB
    async with wechat.app.database.write_transaction() as conn:  # SQLite: one writer at a time, as the bot writes
        await enqueue(
            conn,
            Draft(
                "chart: discussion per room",
                "campaigns/report_chart",
                "en",
                room_id=ROOM2,
                image=Image("campaign-1.png", picture),
            ),
            wechat.app.clock.now(),
            wechat.app.database.addressing,
        )
    wechat.app.wake()
    await eventually(lambda: len(wechat.sent(ROOM2)) >= 1, "the picture was sent")
    [sent] = wechat.sent(ROOM2)
    assert (sent["kind"], sent["text"], sent["size"]) == ("file", "campaign-1.png", len(picture))
    assert sent["head"] == picture[:8].hex()
    await eventually(lambda: _equals(wechat.outbox(), [("sent", 1)]), "the picture is marked sent")


def test_kocbot_run_serves_wechat_until_sigterm(bed: Bed, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOCBOT_", "WECHATY_"))}
    env |= {
        "WECHATY_PUPPET_SERVICE_ENDPOINT": bed.endpoint,
        "WECHATY_PUPPET_SERVICE_TOKEN": bed.token,
        "KOCBOT_BOT__LOCALE": "en",
        "KOCBOT_OUTBOX__ROOM_INTERVAL_SECONDS": "0",
    }
    kocbot = subprocess.Popen(
        [sys.executable, "-m", "bot", "--data-dir", str(tmp_path), "run", "--transport", "wechaty"],
        cwd=PROJECT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reply = _ping_until_answered(bed, "dave", ROOM2, alive=lambda: kocbot.poll() is None)
    finally:
        kocbot.send_signal(signal.SIGTERM)
        _, stderr = kocbot.communicate(timeout=20)
    assert reply["text"] == f"@Dave {PONG}"
    assert kocbot.returncode == 0, stderr
    assert stderr.startswith(f"kocbot is serving WeChat through {bed.endpoint}; Ctrl-C stops it.")
    assert "Traceback" not in stderr


def _ping_until_answered(
    bed: Bed, sender: str, room: str, alive: Callable[[], bool], seconds: float = 30.0
) -> dict[str, Any]:
    """Messages sent before the bot is connected reach nobody: ask until it answers."""
    deadline = time.monotonic() + seconds
    while alive():
        seen = len(bed.events)
        bed.command("room_message", room=room, text="/ping", **{"from": sender})
        try:

            def answered(event: dict[str, Any], seen: int = seen) -> bool:
                return event["event"] == "sent" and bed.events.index(event) >= seen

            return bed.wait_event(answered, 0.5)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise
    raise AssertionError("kocbot exited before it answered")


async def test_with_only_a_token_the_discovery_service_names_the_gateway(
    bed: Bed, monkeypatch: pytest.MonkeyPatch
) -> None:
    wechaty, compat = require_sdk()
    asked: list[str] = []
    with FakeDiscovery({"host": "127.0.0.1", "port": bed.port}, asked) as url:
        monkeypatch.setattr(compat, "DISCOVERY_URL", url + "/v0/hosties/{token}")
        transport = wechaty.WechatyTransport(WechatySection(token=bed.token))
        await transport.start(lambda event: None, lambda: None)
        try:
            await eventually(lambda: transport.connected, "the bot logs in through the discovered gateway")
        finally:
            await transport.stop()
    assert asked == [f"/v0/hosties/{bed.token}"]
    assert transport.me is None  # stopped: no longer connected
