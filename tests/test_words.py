"""Words people see: free text kept as typed, no English in Chinese replies, plurals, real reasons for bad
dates, /me's whole month, the bot's own labels accepted (issue 16, "Words and numbers people see")."""

from __future__ import annotations

from bot.db import schema
from handlers.feedback.tables import history
from handlers.threads.tables import events, threads
from tests.support import Chat, rows

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
TYPED = "说明：已转给研发／测试，　下周一：发版"  # full-width colon, slash and space, as a phone types them


async def test_free_text_keeps_every_character_as_typed(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    [to_mod, to_bob] = await chat.say("mod", f"/fb status FB-1 acknowledged {TYPED}")
    assert to_mod.endswith(f"说明：{TYPED}\n已私信通知 1 人。")
    assert to_bob.endswith(f"说明：{TYPED}")
    assert [h.note for h in await rows(app, history)][-1] == TYPED
    await chat.say("mod", "/issue open 登录失败：偶发")
    await chat.say("mod", f"/issue note 1 {TYPED}")
    await chat.say("mod", f"/issue resolve 1 {TYPED}")
    [thread] = await rows(app, threads)
    assert (thread.title, thread.resolution_text) == ("登录失败：偶发", TYPED)
    assert [e.text for e in await rows(app, events)][1:] == [TYPED, TYPED]
    posts = [r.text for r in await rows(app, schema.outbox) if r.room_platform_id is not None]
    assert TYPED in posts[-1]
    assert not any(":" in post for post in posts)
