"""The console playground's input language and the scripted transcript."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.events import IncomingMessage, MemberJoined, MemberLeft
from bot.transports.console import ConsoleInputError, PlaygroundState, format_line, parse_clock, parse_line


def _state() -> PlaygroundState:
    return PlaygroundState(room="playground", bot_name="kocbot")


def test_a_member_speaks_in_the_current_room_with_mentions() -> None:
    event = parse_line("alice: 谢谢 @bob 帮我解决了问题，@kocbot 记一下", _state())
    assert isinstance(event, IncomingMessage)
    assert (event.sender.id, event.room_id, event.text) == (
        "alice",
        "playground",
        "谢谢 @bob 帮我解决了问题，@kocbot 记一下",
    )
    assert [c.id for c in event.mentions] == ["bob"] and event.mentions_bot


def test_full_width_at_signs_wechat_spaces_and_everyone() -> None:
    event = parse_line("mod: ＠所有人 感谢＠bob\u2005和 @carol！", _state())
    assert isinstance(event, IncomingMessage)
    assert [c.id for c in event.mentions] == ["bob", "carol"] and not event.mentions_bot


def test_direct_messages_room_switches_and_line_breaks() -> None:
    state = _state()
    dm = parse_line("[dm] alice: /反馈 建议\\n场景: 登录页", state)
    assert dm.room_id is None and dm.text == "/反馈 建议\n场景: 登录页"
    there = parse_line("[room2] bob: hi", state)
    assert there.room_id == "room2" and state.room == "room2"
    assert parse_line("carol：全角冒号也可以", state).room_id == "room2"
    assert parse_line("[playground]", state) is None and state.room == "playground"


def test_joins_leaves_comments_and_blank_lines() -> None:
    state = _state()
    joined = parse_line("+dave", state)
    assert isinstance(joined, MemberJoined) and (joined.room_id, joined.member.id) == ("playground", "dave")
    assert isinstance(parse_line("-dave", state), MemberLeft)
    assert parse_line("# a comment", state) is None
    assert parse_line("   ", state) is None


def test_quoting_the_last_message_of_a_member() -> None:
    state = _state()
    original = parse_line("bob: 在设置里重置就好", state)
    reply = parse_line("alice > bob: 谢谢！", state)
    assert reply.quote.sender.id == "bob"
    assert (reply.quote.message_id, reply.quote.text) == (original.message_id, "在设置里重置就好")


def test_an_unreadable_line_says_how_to_write_it() -> None:
    with pytest.raises(ConsoleInputError, match="write `alice: hello`"):
        parse_line("no colon here", _state())


def test_clock_lines() -> None:
    at = parse_clock(" 2026-12-01 09:00", "Asia/Shanghai")
    assert at.when == datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert parse_clock("+3d", "UTC").delta == timedelta(days=3)
    assert parse_clock("+2h30m", "UTC").delta == timedelta(hours=2, minutes=30)
    with pytest.raises(ConsoleInputError):
        parse_clock("+3 weeks", "UTC")
    with pytest.raises(ConsoleInputError):
        parse_clock("tomorrow", "UTC")


def test_bot_lines_indent_their_continuation() -> None:
    assert format_line("dm alice", "kocbot", "a\nb") == "[dm alice] kocbot: a\n    b"


async def test_a_picture_is_saved_and_its_path_printed_under_its_caption(tmp_path, monkeypatch) -> None:
    from bot.events import Image, OutgoingMessage
    from bot.transports.console import ConsoleTransport

    monkeypatch.chdir(tmp_path)
    lines: list[str] = []
    console = ConsoleTransport("kocbot", lines.append, image_dir=tmp_path / "data" / "images")
    await console.send(OutgoingMessage(7, "讨论量图", room_id="playground", image=Image("campaign-1.png", b"\x89PNG1")))
    await console.send(OutgoingMessage(8, "again", contact_id="mod", image=Image("../campaign-1.png", b"\x89PNG2")))
    assert lines == [
        "[playground] kocbot: 讨论量图\n    [image] data/images/7-campaign-1.png",
        "[dm mod] kocbot: again\n    [image] data/images/8-campaign-1.png",
    ]
    assert (tmp_path / "data" / "images" / "7-campaign-1.png").read_bytes() == b"\x89PNG1"
    assert (tmp_path / "data" / "images" / "8-campaign-1.png").read_bytes() == b"\x89PNG2"  # never outside the folder
