"""Nothing dropped: a failure in matching, routing or handling still logs the message and apologises."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.conversations import ConversationSpec
from bot.db import schema
from bot.events import Contact, IncomingMessage, MemberJoined, MessageKind, Quote, storable
from bot.registry import HandlerRegistry, Where
from handlers import REGISTRIES
from tests.support import Chat, contact, make_message, rows

APOLOGY = "抱歉，我这边出了点问题，没能完成这次操作。问题已经记录下来，请稍后再试一次。"
PONG = "我在呢，一切正常。"

fragile = HandlerRegistry("testing")


def match_bomb(message: IncomingMessage, section: object) -> bool | None:
    if "💥" in message.text:
        raise RuntimeError("a bug in a matcher")
    return None


@fragile.matcher("bomb", match_bomb, where=Where.ANYWHERE)
async def never_called(ctx, match) -> None:
    raise AssertionError("a matcher that raised has no match to handle")


def match_start(message: IncomingMessage, section: object) -> bool | None:
    return True if message.text == "start" else None


@fragile.matcher("start", match_start, where=Where.DM)
async def start(ctx, match) -> None:
    await ctx.start_conversation("fragile", "only")
    await ctx.reply("core/pong")


async def failing_step(ctx, text: str) -> None:
    raise RuntimeError("a bug in a conversation step")


fragile.add_conversation(ConversationSpec(name="fragile", capability="testing", steps={"only": failing_step}))


@fragile.on(MemberJoined)
async def greet_badly(ctx, event: MemberJoined) -> None:
    if event.member.id == "grumpy":
        raise RuntimeError("a bug in a join handler")
    await ctx.post(ctx.community, "core/pong")


@pytest.fixture
def registries() -> tuple:
    return (*REGISTRIES, fragile)


async def _logged(app) -> list[tuple[str, str | None]]:
    return [(r.text, r.routed_to) for r in sorted(await rows(app, schema.messages), key=lambda r: r.id)]


async def test_a_matcher_that_raises_still_logs_and_apologises(chat: Chat, app, caplog) -> None:
    assert await chat.say("alice", "看看这个 💥") == [f"[playground] @alice {APOLOGY}"]
    assert await chat.dm("alice", "💥") == [f"[dm alice] {APOLOGY}"]
    assert await _logged(app) == [("看看这个 💥", "!error"), ("💥", "!error")]
    assert "a bug in a matcher" in caplog.text and "Traceback" in caplog.text
    assert await chat.say("alice", "/ping") == [f"[playground] @alice {PONG}"]  # commands never reach matchers


async def test_a_failing_matcher_in_a_batch_spoils_nothing_else(chat: Chat, app, transport) -> None:
    for sender, text in [("alice", "/ping"), ("bob", "💥"), ("carol", "谢谢 @alice")]:
        transport.inject(make_message(text, sender))
    assert await chat.send(make_message("/ping", "dave")) == [
        f"[playground] @alice {PONG}",
        f"[playground] @bob {APOLOGY}",
        "[playground] @carol 收到！已记下你对 alice 的感谢 🌸",
        f"[playground] @dave {PONG}",
    ]
    assert [routed for _, routed in await _logged(app)] == ["/ping", "!error", "thanks", "/ping"]


async def test_a_failing_conversation_step_apologises_and_keeps_the_conversation(chat: Chat, app, caplog) -> None:
    assert await chat.dm("alice", "start") == [f"[dm alice] {PONG}"]
    assert await chat.dm("alice", "my answer") == [f"[dm alice] {APOLOGY}"]
    assert await _logged(app) == [("start", "start"), ("my answer", "conversation fragile:only")]
    [open_row] = await rows(app, schema.conversations)
    assert open_row.state == "only"
    assert "a bug in a conversation step" in caplog.text


async def test_a_conversation_that_cannot_be_read_apologises(chat: Chat, app, monkeypatch, caplog) -> None:
    await chat.dm("alice", "start")

    async def unreadable(*args: object) -> None:
        raise RuntimeError("the conversation cannot be read")

    monkeypatch.setattr(app.services.conversations, "get", unreadable)
    assert await chat.dm("alice", "my answer") == [f"[dm alice] {APOLOGY}"]
    assert await _logged(app) == [("start", "start"), ("my answer", "!error")]
    assert "the conversation cannot be read" in caplog.text


async def test_a_failure_outside_every_handler_still_logs_and_apologises(chat: Chat, app, monkeypatch, caplog) -> None:
    """The unknown-command answer runs outside the handlers' guard; if it fails, the last resort answers."""

    def broken_suggest(*args: object) -> str:
        raise RuntimeError("a bug in did-you-mean")

    monkeypatch.setattr(app.services.router, "suggest", broken_suggest)
    chat.transport.inject(make_message("/ping", "alice"))
    chat.transport.inject(make_message("/xyzzy", "bob"))
    assert await chat.send(make_message("/ping", "carol")) == [
        f"[playground] @alice {PONG}",
        f"[playground] @bob {APOLOGY}",
        f"[playground] @carol {PONG}",
    ]
    assert await _logged(app) == [("/ping", "/ping"), ("/xyzzy", "!error"), ("/ping", "/ping")]
    assert "a bug in did-you-mean" in caplog.text


async def test_the_last_resort_logs_a_picture_without_answering_it(chat: Chat, app, monkeypatch) -> None:
    real_record = app.pipeline._record
    calls = []

    async def record_fails_once(uow, prepared):
        calls.append(len(prepared))
        if len(calls) == 1:
            raise RuntimeError("the first write fails")
        return await real_record(uow, prepared)

    monkeypatch.setattr(app.pipeline, "_record", record_fails_once)
    picture = replace(make_message("[图片]", "alice"), kind=MessageKind.OTHER)
    assert await chat.send(picture) == []
    assert await _logged(app) == [("[图片]", None)]


async def test_a_failing_join_handler_spoils_no_other_event(chat: Chat, app, transport, caplog) -> None:
    transport.inject(MemberJoined("playground", contact("grumpy"), "playground"))
    transport.inject(MemberJoined("playground", contact("dave"), "playground"))
    welcome = (
        "欢迎 @{} 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，发送 /帮助 可以看看我能帮你做什么。"
    )
    assert await chat.send(make_message("/ping", "erin")) == [
        f"[playground] @erin {PONG}",  # the reply first (its lane)
        f"[playground] {PONG}",  # dave's greeting; grumpy's failed quietly (nobody asked anything)
        "[playground] " + welcome.format("grumpy"),  # the welcome capability's handler ran all the same
        "[playground] " + welcome.format("dave"),
    ]
    members = {r.member_id for r in await rows(app, schema.memberships) if r.join_seen}
    assert len(members) == 2  # grumpy's join is recorded all the same
    assert "a bug in a join handler" in caplog.text


async def test_a_member_using_a_staff_command_in_the_wrong_place_is_refused_for_the_role(chat: Chat, app) -> None:
    assert await chat.dm("bob", "/issue open 私信里") == [
        "[dm bob] 抱歉，/issue open 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    [entry] = await rows(app, schema.audit_log)
    assert (entry.action, entry.outcome) == ("issue open", "refused")
    assert await chat.dm("mod", "/issue open 私信里") == [
        "[dm mod] 这个命令需要在群聊里使用：/问题 新建 标题 [@反馈人] （可引用反馈的消息；或 /issue open）"
    ]
    assert [r.outcome for r in await rows(app, schema.audit_log)] == ["refused", "invalid"]


# Text no database can hold: cleaned where the transports hand events to the core.

THANKED_BOB = "[playground] @alice 收到！已记下你对 bob 的感谢 🌸"


def _message(text: str = "谢谢 @bob", **changes: Any) -> IncomingMessage:
    return replace(make_message(text, "alice"), **changes)


@pytest.mark.parametrize(
    ("message", "reply", "logged"),
    [
        (_message("谢谢\x00 @bob"), THANKED_BOB, "谢谢 @bob"),
        (_message(message_id="wx-\x00-1"), THANKED_BOB, "谢谢 @bob"),
        (_message(sender=Contact("alice", "Al\x00ice")), THANKED_BOB.replace("@alice", "@Alice"), "谢谢 @bob"),
        (_message(sender=Contact("al\x00ice", "alice")), THANKED_BOB, "谢谢 @bob"),
        (_message(room_id="lounge", room_name="Lou\x00nge"), THANKED_BOB.replace("playground", "lounge"), "谢谢 @bob"),
        (_message(room_id="play\x00ground"), THANKED_BOB, "谢谢 @bob"),
        (_message(mentions=(Contact("bob", "b\x00ob"),)), THANKED_BOB, "谢谢 @bob"),
        (_message(mentions=(Contact("b\x00ob", "bob"),)), THANKED_BOB, "谢谢 @bob"),
        (_message(quote=Quote("x\x00", Contact("carol\x00", "ca\x00rol"), "wx-\x00q")), THANKED_BOB, "谢谢 @bob"),
        (_message("谢谢 @bob \ud83c\udf38"), THANKED_BOB, "谢谢 @bob 🌸"),  # a pair in halves: joined
        (_message("谢谢 @bob \udf38"), THANKED_BOB, "谢谢 @bob \ufffd"),  # a lone half
    ],
)
async def test_text_no_database_can_hold_is_cleaned_and_the_message_answered(
    chat: Chat, app, message: IncomingMessage, reply: str, logged: str
) -> None:
    assert await chat.send(message) == [reply]
    [row] = await rows(app, schema.messages)
    assert (row.text, row.routed_to, "\x00" in row.platform_msg_id) == (logged, "thanks", False)
    names = {r.platform_id: r.display_name for r in await rows(app, schema.members)}
    assert all("\x00" not in text for pair in names.items() for text in pair)
    [room] = await rows(app, schema.communities)
    assert (room.platform_id, room.name) in (("playground", "Playground"), ("lounge", "Lounge"))
    [thanked] = await rows(app, schema.members, schema.members.c.platform_id == "bob")
    assert thanked.display_name == "bob"


async def test_a_join_with_a_nul_in_its_names_is_recorded(chat: Chat, app) -> None:
    await chat.send(MemberJoined("lou\x00nge", Contact("da\x00ve", "Da\x00ve"), "Lou\x00nge"))
    [dave] = await rows(app, schema.members, schema.members.c.platform_id == "dave")
    [room] = await rows(app, schema.communities)
    [membership] = await rows(app, schema.memberships)
    assert (dave.display_name, room.platform_id, room.name) == ("Dave", "lounge", "Lounge")
    assert (membership.member_id, membership.community_id, membership.join_seen) == (dave.id, room.id, True)


def test_clean_events_pass_through_untouched() -> None:
    """The hot path copies nothing: an event with nothing to clean is the same object."""
    message = make_message("谢谢 @bob 🌸", quote=Quote("hi", Contact("carol", "Carol")))
    assert storable(message) is message
    cleaned = storable(replace(message, mentions=(Contact("bob", "b\x00ob"),)))
    assert (cleaned.mentions, cleaned.quote) == ((Contact("bob", "bob"),), message.quote)


LONG_ID = "wxid_" + "x" * 300
LONG_NAME = "很长的名字" * 60  # 300 characters


async def test_names_and_ids_longer_than_their_columns_lose_nothing(chat: Chat, app) -> None:
    """Names are cut to their column (200), ids shortened the same way wherever they appear."""
    message = _message(
        f"谢谢 @{LONG_NAME[:5]}",
        message_id="m" * 400,
        sender=Contact("alice", LONG_NAME),
        room_id="r" * 300,
        room_name=LONG_NAME,
        mentions=(Contact(LONG_ID, LONG_NAME),),
    )
    [reply] = await chat.send(message)
    assert reply.endswith(f"收到！已记下你对 {LONG_NAME[:199]}… 的感谢 🌸")
    [row] = await rows(app, schema.messages)
    assert (row.routed_to, len(row.platform_msg_id)) == ("thanks", 128)
    members = {r.platform_id: r.display_name for r in await rows(app, schema.members)}
    short = storable(message).mentions[0].id
    assert len(short) == 128 and short.startswith("wxid_xxx") and members[short] == LONG_NAME[:199] + "…"
    assert storable(replace(message, text="again")).mentions[0].id == short  # the same stand-in every time
    [room] = await rows(app, schema.communities)
    assert (len(room.platform_id), room.name) == (128, LONG_NAME[:199] + "…")
