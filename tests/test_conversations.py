"""Multi-step private conversations: steps, fallbacks, restarts, reminders and timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import open_app
from bot.conversations import ConversationSpec
from bot.db import schema
from bot.errors import UserFacingError
from bot.registry import HandlerRegistry
from handlers import REGISTRIES
from tests.support import TEST_TEMPLATES, Chat, rows

survey = HandlerRegistry("testing")


@survey.command("survey")
async def start_survey(ctx, cmd) -> None:
    await ctx.start_conversation("survey", "name")
    if ctx.community is not None:
        await ctx.reply("testing/survey_started")
    await ctx.reply_privately("testing/survey_ask_name")


async def ask_age(ctx, text: str) -> None:
    await ctx.conversation.move("age", name=text)
    await ctx.reply("testing/survey_ask_age", name=text)


async def finish(ctx, text: str) -> None:
    if not text.isdigit():
        raise UserFacingError("testing/survey_bad_age")
    name = ctx.conversation.data["name"]
    await ctx.conversation.end()
    await ctx.reply("testing/survey_done", name=name, age=int(text))


async def back(ctx, text: str) -> None:
    await ctx.conversation.move("name")
    await ctx.reply("testing/survey_ask_name")


async def cancel(ctx, text: str) -> None:
    await ctx.conversation.end()
    await ctx.reply("testing/survey_cancelled")


async def remind(ctx) -> None:
    await ctx.reply("testing/survey_reminder", minutes=10)


async def expired(ctx) -> None:
    await ctx.reply("testing/survey_expired")


survey.add_conversation(
    ConversationSpec(
        name="survey",
        capability="testing",
        steps={"name": ask_age, "age": finish},
        fallbacks={"cancel": cancel, "取消": cancel, "back": back},
        timeout=timedelta(hours=1),
        remind_before=timedelta(minutes=10),
        on_remind=remind,
        on_timeout=expired,
    )
)


@pytest.fixture
def registries() -> tuple:
    return (*REGISTRIES, survey)


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "bot": {"templates_dir": str(TEST_TEMPLATES), "locale": "en"},
        "communities": [{"id": "playground", "locale": "en"}],
    }


async def test_a_conversation_runs_step_by_step_in_private(chat: Chat, app) -> None:
    assert await chat.say("alice", "/survey") == [
        "[playground] @alice I have sent you a private message.",
        "[dm alice] What is your name?",
    ]
    assert await chat.say("alice", "Alice Wang") == []  # group chatter is not an answer
    assert await chat.dm("alice", "Alice Wang") == ["[dm alice] How old are you, Alice Wang?"]
    assert await chat.dm("alice", "thirty") == ["[dm alice] Please answer with a number, e.g. 30."]
    [open_row] = await rows(app, schema.conversations)
    assert (open_row.state, open_row.data) == ("age", {"name": "Alice Wang"})  # a bad answer moves nothing
    assert await chat.dm("alice", "/help") != []  # other commands still work mid-conversation
    assert await chat.dm("alice", "30") == ["[dm alice] Thanks, Alice Wang (30)."]
    assert await rows(app, schema.conversations) == []
    [pointer] = await chat.dm("alice", "31")  # over: no answer to a step any more, the once-a-day pointer
    assert pointer.startswith("[dm alice] Hi! I'm kocbot, the community's assistant")


async def test_back_and_cancel_work_at_any_step(chat: Chat, app) -> None:
    await chat.dm("bob", "/survey")
    await chat.dm("bob", "Bob")
    assert await chat.dm("bob", "/back") == ["[dm bob] What is your name?"]
    assert await chat.dm("bob", "Robert") == ["[dm bob] How old are you, Robert?"]
    assert await chat.dm("bob", "／取消") == ["[dm bob] Cancelled."]
    assert await rows(app, schema.conversations) == []


async def test_an_open_conversation_survives_a_restart(settings, clock, transport, registries) -> None:
    first = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await first.start()
    await Chat(first, transport).dm("carol", "/survey")
    await first.close()
    second = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await second.start()
    try:
        assert await Chat(second, transport).dm("carol", "Carol") == ["[dm carol] How old are you, Carol?"]
    finally:
        await second.close()


async def test_a_reminder_before_the_timeout_then_the_close(chat: Chat, app, clock) -> None:
    start = clock.now()
    await chat.dm("dave", "/survey")
    await app.advance_to(start + timedelta(minutes=49))
    assert chat.transport.take() == []
    await app.advance_to(start + timedelta(minutes=50))
    assert [m.text for m in chat.transport.take()] == ["You have not finished; it closes in 10 minutes."]
    await app.advance_to(start + timedelta(hours=2))
    assert [m.text for m in chat.transport.take()] == ["The survey has closed."]
    assert await rows(app, schema.conversations) == []
    [pointer] = await chat.dm("dave", "Dave")  # no step takes it: the pointer
    assert pointer.startswith("[dm dave] Hi! I'm kocbot, the community's assistant")


async def test_each_answer_restarts_the_timeout(chat: Chat, app, clock) -> None:
    await chat.dm("erin", "/survey")
    await app.advance_to(clock.now() + timedelta(minutes=40))
    await chat.dm("erin", "Erin")
    await app.advance_to(clock.now() + timedelta(minutes=45))
    assert chat.transport.take() == []  # 85 minutes after the start, 45 after the last answer
    [row] = await rows(app, schema.conversations)
    assert row.state == "age"
