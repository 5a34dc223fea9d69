"""Opt-out in the member's own words and back in, recorded with its time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.db import schema
from handlers.outreach.tables import consent, consent_events
from tests.support import Chat, rows

OUT = (
    "好的，已为你退订，以后不会再收到我们主动发送的消息（触达推送、新人引导、邀请、月度简报）。\n"
    "你自己的反馈和问题有进展时，以及你问我的问题，仍会回复你。\n"
    "想重新接收，随时私信发送 /订阅。"
)


async def _consent(app, name: str) -> list:
    async with app.engine.connect() as conn:
        member = (
            await conn.execute(select(schema.members.c.id).where(schema.members.c.platform_id == name))
        ).scalar_one()
    return await rows(app, consent, consent.c.member_id == member)


@pytest.mark.parametrize(
    "words", ["退订", "TD", "td。", "别发了！", "不要再发了", "Unsubscribe", "/unsubscribe", "/退订"]
)
async def test_each_phrasing_opts_out_privately_with_its_time(chat: Chat, app, words: str) -> None:
    assert await chat.dm("bob", words) == [f"[dm bob] {OUT}"]
    [row] = await _consent(app, "bob")
    assert row.opted_out is True
    assert row.changed_at == app.services.clock.now()
    assert row.words == words.strip()


async def test_a_sentence_that_mentions_the_words_is_not_an_opt_out(chat: Chat, app) -> None:
    await chat.dm("bob", "怎么退订会员？")
    await chat.say("bob", "退订")  # in a group: not a private choice
    assert await _consent(app, "bob") == []


async def test_opting_out_twice_says_so_and_opt_in_brings_them_back(chat: Chat, app, clock) -> None:
    await chat.dm("bob", "TD")
    [again] = await chat.dm("bob", "退订")
    assert again.startswith("[dm bob] 你之前已经退订了，以后不会再收到")
    clock.advance(timedelta(hours=1))
    assert await chat.dm("bob", "/订阅") == [
        "[dm bob] 欢迎回来，bob！已重新为你订阅，之后会收到我们的推送和活动消息。\n不想再收时，私信回复“退订”或 TD 即可。"
    ]
    [row] = await _consent(app, "bob")
    assert row.opted_out is False and row.words == "/订阅"
    history = await rows(app, consent_events)
    assert [(e.opted_out, e.words) for e in history] == [(True, "TD"), (False, "/订阅")]
    assert history[1].at > history[0].at
    [already] = await chat.dm("bob", "/订阅")
    assert already == "[dm bob] 你一直都在接收我们的消息，不需要重新订阅。\n不想再收时，私信回复“退订”或 TD 即可。"


async def test_a_member_who_reads_english_is_answered_in_english(chat: Chat, app) -> None:
    await chat.dm("bob", "你好")
    async with app.engine.begin() as conn:
        await conn.execute(update(schema.members).where(schema.members.c.platform_id == "bob").values(locale="en"))
    app.services.directory.forget("bob")
    assert await chat.dm("bob", "unsubscribe") == [
        "[dm bob] Done, you have opted out: you will no longer get messages we send on our own initiative "
        "(outreach, newcomer guides, invitations, the monthly brief).\n"
        "News about your own feedback and threads, and answers to what you ask, still reach you.\n"
        "To get them again, send /subscribe here any time."
    ]
    assert await chat.dm("bob", "/subscribe") == [
        "[dm bob] Welcome back, bob! You are subscribed again and will get our outreach and event news.\n"
        'To stop them, reply "unsubscribe" or TD here.'
    ]
