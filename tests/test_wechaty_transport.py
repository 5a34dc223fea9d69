"""The Wechaty transport without the test bed: WeChat's text conventions, mapping, settings, reconnection."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bot.config import WechatySection, load_settings
from bot.errors import ConfigError
from bot.events import MessageKind, RoomStatus
from bot.transports.wechaty_events import EventMapper, QuotedReply, names_bot, parse_quote, strip_bot_mention
from tests.wechaty_support import QUOTE_LINE, FakeDiscovery, eventually, require_sdk

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"「Alice：hello」{QUOTE_LINE}thanks!", ("Alice", "hello", "thanks!")),
        (
            f"「Bob Lee: two\nlines 「nested」」{QUOTE_LINE}/thanks\nmore",
            ("Bob Lee", " two\nlines 「nested」", "/thanks\nmore"),
        ),
        ("「Alice：hello」\n- - -\n谢谢", ("Alice", "hello", "谢谢")),
        ("「Alice：no dashed line」 thanks", None),
        ("just text", None),
    ],
)
def test_quoted_replies_are_read_from_wechat_text(text: str, expected: tuple | None) -> None:
    assert parse_quote(text) == (QuotedReply(*expected) if expected else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@KOC Bot\u2005/help", ("/help", True)),
        ("  ＠KOC Bot /ping now", ("/ping now", True)),
        ("@小助手\u2005/帮助", ("/帮助", True)),
        ("@KOC Bot", ("", True)),
        ("@KOC Botty /help", ("@KOC Botty /help", False)),
        ("/help @KOC Bot", ("/help @KOC Bot", False)),
    ],
)
def test_a_leading_mention_of_the_bot_is_dropped(text: str, expected: tuple[str, bool]) -> None:
    assert strip_bot_mention(text, ["KOC Bot", "小助手", ""]) == expected


def test_a_mention_of_the_bot_anywhere_counts() -> None:
    assert names_bot("thanks @KOC Bot\u2005!", ["KOC Bot"])
    assert names_bot("thanks @KOC Bot", ["KOC Bot"])
    assert not names_bot("thanks @KOC Botty", ["KOC Bot"]) and not names_bot("@KOC Bot", [""])


def test_the_token_and_endpoint_come_from_the_wechaty_variables(tmp_path: Path) -> None:
    environ = {
        "WECHATY_PUPPET_SERVICE_TOKEN": " puppet_padlocal_0123abcd\n",
        "KOCBOT_BOT__TRANSPORT": "wechaty",
        "WECHATY_PUPPET_SERVICE_ENDPOINT": "gateway.internal:8788",
    }
    settings = load_settings(environ=environ, data_dir=tmp_path)
    assert (settings.wechaty.token, settings.wechaty.endpoint) == ("puppet_padlocal_0123abcd", "gateway.internal:8788")
    assert "0123abcd" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "key", "shown", "expected"),
    [
        ({}, "wechaty.token", "", "set WECHATY_PUPPET_SERVICE_TOKEN"),
        (
            {"WECHATY_PUPPET_SERVICE_TOKEN": "puppet_pad local"},
            "wechaty.token",
            "pupp… (16 characters)",
            "only letters, digits",
        ),
        (
            {"WECHATY_PUPPET_SERVICE_TOKEN": "t", "WECHATY_PUPPET_SERVICE_ENDPOINT": "http://gw:8788"},
            "wechaty.endpoint",
            "http://gw:8788",
            "host:port",
        ),
        (
            {"WECHATY_PUPPET_SERVICE_TOKEN": "t", "KOCBOT_WECHATY__ENDPOINT": "gw:70000"},
            "wechaty.endpoint",
            "gw:70000",
            "host:port",
        ),
    ],
)
def test_a_missing_or_malformed_token_is_a_config_error(environ: dict, key: str, shown: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"KOCBOT_BOT__TRANSPORT": "wechaty", **environ})
    assert (caught.value.key, caught.value.value) == (key, shown)
    assert expected in caught.value.expected


def test_kocbot_run_without_a_token_says_what_to_set_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.cli import main

    for name in ("WECHATY_PUPPET_SERVICE_TOKEN", "WECHATY_PUPPET_SERVICE_ENDPOINT", "KOCBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--data-dir", str(tmp_path), "run", "--transport", "wechaty"]) == 2
    assert capsys.readouterr().err == (
        "kocbot: configuration error: wechaty.token = '': expected the puppet service token: set "
        "WECHATY_PUPPET_SERVICE_TOKEN (or token under [wechaty] in the config file)\n"
    )


def test_the_console_and_config_check_never_import_wechaty() -> None:
    probe = (
        "import sys; from bot.cli import main; main(['config', 'check']); "
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('wechaty', 'grpclib'))}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


class _FakePuppet:
    """A puppet service as the mapper sees it: a contact book and one room."""

    def __init__(self) -> None:
        _, compat = require_sdk()
        self.compat = compat
        people = {"kocbot": "KOC Bot", "alice": "Alice", "bob": "Bob", "carol": "Carol", "cara": "Cara"}
        self.contacts = {i: compat.ContactData(i, name, official=False) for i, name in people.items()}
        self.contacts["gh_brand"] = compat.ContactData("gh_brand", "Brand News", official=True)
        self.room_data = compat.RoomData(
            "r@chatroom",
            "Group",
            owner_id="alice",
            admin_ids=("bob",),
            member_ids=("kocbot", "alice", "bob", "carol", "cara"),
        )
        self.aliases = {"kocbot": "小助手", "carol": "CC", "cara": "CC"}  # two members call themselves CC

    async def contact(self, contact_id: str) -> Any:
        return self.contacts[contact_id]

    async def room(self, room_id: str) -> Any:
        return self.room_data

    async def member(self, room_id: str, contact_id: str) -> Any:
        return self.compat.MemberData(contact_id, self.contacts[contact_id].name, self.aliases.get(contact_id, ""))

    def message(
        self, sender: str, text: str, room: str = "r@chatroom", mentions: tuple[str, ...] = (), is_text: bool = True
    ) -> Any:
        return self.compat.MessageData(
            "m1", sender, room, "" if room else "kocbot", text, is_text, mentions, sent_at=None
        )


@pytest.fixture
def puppet() -> _FakePuppet:
    return _FakePuppet()


@pytest.fixture
async def mapper(puppet: _FakePuppet) -> EventMapper:
    mapper = EventMapper(puppet)  # type: ignore[arg-type]  # a fake of the SDK's client, with what the mapper calls
    await mapper.login("kocbot")
    return mapper


async def test_room_standing_comes_from_the_room_owner_and_admins(mapper: EventMapper, puppet: _FakePuppet) -> None:
    standing = [
        (await mapper.message(puppet.message(who, "hi"))).sender_room_status for who in ("alice", "bob", "carol")
    ]
    assert standing == [RoomStatus.OWNER, RoomStatus.ADMIN, RoomStatus.MEMBER]


async def test_the_bot_addressed_by_its_group_nickname_is_stripped_and_left_out_of_mentions(
    mapper: EventMapper, puppet: _FakePuppet
) -> None:
    message = await mapper.message(puppet.message("bob", "@小助手\u2005/mod add @Carol", mentions=("kocbot", "carol")))
    assert (message.text, message.mentions_bot, message.room_name) == ("/mod add @Carol", True, "Group")
    assert [c.id for c in message.mentions] == ["carol"]


async def test_everyone_in_the_mention_list_is_no_member(mapper: EventMapper, puppet: _FakePuppet) -> None:
    """WeChat lists @所有人 as the contact id notify@all: a thank-you to it is nobody's."""
    text = "@所有人\u2005感谢大家，特别是 @CC\u2005"
    message = await mapper.message(puppet.message("bob", text, mentions=("notify@all", "carol")))
    assert ([c.id for c in message.mentions], message.text) == (["carol"], text)


async def test_quotes_resolve_to_speakers_members_and_the_bot_but_never_guess(
    mapper: EventMapper, puppet: _FakePuppet
) -> None:
    await mapper.message(puppet.message("bob", "hello"))  # bob is now a known speaker
    quotes = [
        (await mapper.message(puppet.message("alice", f"「{name}：x」{QUOTE_LINE}thanks"))).quote
        for name in ("Bob", "小助手", "CC", "Nobody")
    ]
    assert [q.sender.id if q.sender else None for q in quotes] == ["bob", "kocbot", None, None]
    assert [q.from_bot for q in quotes] == [False, True, False, False]
    private = await mapper.message(puppet.message("alice", f"「Alice：x」{QUOTE_LINE}thanks", room=""))
    assert (private.room_id, private.quote.sender.id, private.text) == (None, "alice", "thanks")


async def test_official_accounts_non_text_and_the_bots_own_messages_are_marked(
    mapper: EventMapper, puppet: _FakePuppet
) -> None:
    official = await mapper.message(puppet.message("gh_brand", "/help", room=""))
    image = await mapper.message(puppet.message("alice", "「Bob：x」" + QUOTE_LINE + "y", is_text=False))
    own = await mapper.message(puppet.message("kocbot", "@Alice pong", mentions=("alice",)))
    assert (official.kind, image.kind, image.quote, own.kind) == (
        MessageKind.OTHER,
        MessageKind.OTHER,
        None,
        MessageKind.TEXT,
    )
    assert (own.from_self, image.from_self) == (True, False)


async def test_the_bot_added_to_or_removed_from_a_room_is_known_by_its_id_not_its_name(
    mapper: EventMapper, puppet: _FakePuppet
) -> None:
    """The account's nickname ("KOC Bot") is not bot.name: the join of the bot itself is marked by its login id."""
    from types import SimpleNamespace

    joined = await mapper.joined(
        SimpleNamespace(room_id="r@chatroom", inviter_id="alice", invited_ids=["kocbot", "bob"])
    )
    assert [(j.member.id, j.member.name, j.is_self) for j in joined] == [
        ("kocbot", "KOC Bot", True),
        ("bob", "Bob", False),
    ]
    left = await mapper.left(SimpleNamespace(room_id="r@chatroom", remover_id="alice", removed_ids=["bob", "kocbot"]))
    assert [(m.member.id, m.is_self) for m in left] == [("bob", False), ("kocbot", True)]


def test_reconnection_pauses_double_with_jitter_up_to_the_ceiling_and_reset_after_a_login() -> None:
    import random

    wechaty, _ = require_sdk()
    backoff = wechaty.Backoff(1.0, 8.0, random.Random(7))
    pauses = [backoff.next() for _ in range(6)]
    backoff.reset()
    bounds = [(0.5, 1), (1, 2), (2, 4), (4, 8), (4, 8), (4, 8), (0.5, 1)]
    assert all(low <= p <= high for p, (low, high) in zip([*pauses, backoff.next()], bounds, strict=True))
    assert len(set(pauses[3:])) == 3  # jittered, not the same pause each time


async def test_without_a_server_the_transport_keeps_trying_and_stops_at_once(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    wechaty, _ = require_sdk()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        endpoint = f"127.0.0.1:{unused.getsockname()[1]}"  # nothing listens there
    config = WechatySection(
        endpoint=endpoint, token="insecure_test", reconnect_initial_seconds=0.01, reconnect_max_seconds=0.04
    )
    transport = wechaty.WechatyTransport(config)
    caplog.set_level("INFO", logger="bot.transports.wechaty")
    await transport.start(lambda event: None, lambda: None)
    tries = lambda: caplog.text.count("no connection to the puppet service (try")  # noqa: E731
    await eventually(lambda: tries() >= 5, "five tries have failed")
    started = time.monotonic()
    await transport.stop()
    assert time.monotonic() - started < 1.0 and not transport.connected
    assert "ConnectionRefusedError" in caplog.text and "insecure_test" not in caplog.text
    levels = [r.levelname for r in caplog.records if "no connection to the puppet service" in r.getMessage()]
    assert levels[0] == "WARNING" and set(levels[1:]) == {"INFO"}  # one warning, not one a try


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (200, {"ip": "10.0.0.7", "port": 8788}, "10.0.0.7:8788"),  # the 2020 answer, still read
        (404, {"host": "0.0.0.0", "port": 0}, LookupError),
        (200, {"host": "0.0.0.0", "port": 0}, LookupError),
        (200, ["not", "an", "object"], LookupError),
    ],
)
async def test_the_discovery_answer_is_read_in_both_formats(
    monkeypatch: pytest.MonkeyPatch, status: int, answer: Any, expected: Any
) -> None:
    _, compat = require_sdk()
    with FakeDiscovery(answer, [], status) as url:
        monkeypatch.setattr(compat, "DISCOVERY_URL", url + "/v0/hosties/{token}")
        if isinstance(expected, str):
            assert await compat.discover_endpoint("insecure_t", 5) == expected
        else:
            with pytest.raises(expected, match="knows no gateway"):
                await compat.discover_endpoint("insecure_t", 5)


async def test_a_contact_or_room_that_cannot_be_read_does_not_lose_the_message(
    mapper: EventMapper, puppet: _FakePuppet
) -> None:
    async def unreadable(room_id: str) -> Any:
        raise RuntimeError("no payload found")

    puppet.room = unreadable  # type: ignore[method-assign]  # this test breaks one call of the fake
    message = await mapper.message(puppet.message("stranger", "/ping", mentions=("kocbot",)))
    assert (message.sender.id, message.sender.name, message.text, message.room_id) == (
        "stranger",
        "",
        "/ping",
        "r@chatroom",
    )
    assert (message.mentions_bot, message.sender_room_status) == (True, RoomStatus.MEMBER)


class _FakeClient(_FakePuppet):
    """A connection as the transport sees it, breakable by the test."""

    made: ClassVar[list[_FakeClient]] = []

    def __init__(self, endpoint: str, token: str, on_event: Any, connect_timeout: float = 15.0) -> None:
        super().__init__()
        self.emit = on_event
        self.broken = False
        self.asked = 0
        self.ended = asyncio.Event()
        self.made.append(self)

    async def run(self) -> None:
        await self.ended.wait()
        raise ConnectionResetError("the gateway went away")

    async def close(self) -> None:
        self.ended.set()

    # The client's message(id), where the fake puppet has its builder of test messages.
    async def message(self, message_id: str) -> Any:  # type: ignore[override]
        self.asked += 1
        if self.broken:
            raise ConnectionResetError("the gateway went away")
        return self.message_data("alice", "/ping")

    def message_data(self, *args: Any, **kwargs: Any) -> Any:
        return _FakePuppet.message(self, *args, **kwargs)


async def test_a_message_received_as_the_connection_broke_is_read_after_reconnecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wechaty, compat = require_sdk()
    monkeypatch.setattr(compat, "PuppetClient", _FakeClient)
    monkeypatch.setattr(_FakeClient, "made", [])
    got: list[Any] = []
    transport = wechaty.WechatyTransport(WechatySection(endpoint="gw:1", token="t", reconnect_initial_seconds=0.01))
    await transport.start(got.append, lambda: got.append("connected"))
    try:
        await eventually(lambda: _FakeClient.made, "a connection is made")
        first = _FakeClient.made[0]
        first.emit("login", type("Login", (), {"contact_id": "kocbot"})())
        await eventually(lambda: transport.connected, "it logs in")
        first.broken = True
        first.emit("message", type("Message", (), {"message_id": "m1"})())
        await eventually(lambda: first.asked, "it tries to read the message, and cannot")
        await first.close()
        await eventually(lambda: len(_FakeClient.made) == 2, "it reconnects")
        _FakeClient.made[1].emit("login", type("Login", (), {"contact_id": "kocbot"})())
        await eventually(lambda: transport.connected, "it logs in again")
    finally:
        await transport.stop()
    assert [g if isinstance(g, str) else (g.message_id, g.text) for g in got] == [
        "connected",
        ("m1", "/ping"),
        "connected",
    ]  # read again before sending reopens
