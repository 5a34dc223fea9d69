"""Unsolicited private messages from every capability: an opt-out is final, the contact budget counts them.

KOC invitations were sent to members who had opted out; an opt-out took back only outreach and
journey messages still waiting. Now the outreach capability withholds every unsolicited private
message to a member who opted out, and an opt-out takes back all of them still waiting.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.db import schema
from bot.db.schema import OutgoingKind
from bot.scheduling.jobs import system_actor
from bot.uow import UnitOfWork
from handlers.koc.tables import koc_events
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _ids(app) -> dict[str, int]:
    return {r.platform_id: r.id for r in await rows(app, schema.members)}


async def test_an_invitation_is_not_sent_to_a_member_who_opted_out_and_the_moderator_is_told(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    await chat.dm("bob", "别发了")
    assert await chat.say("mod", "/koc 邀请 @bob") == [
        "[dm mod] 没有邀请 bob：TA 在 2026-12-01 退订了我们主动发的消息，邀请也算在内。TA 用 /订阅 重新订阅之前，不会再收到邀请。"
    ]
    [bob] = await rows(app, schema.members, schema.members.c.platform_id == "bob")
    assert bob.stage == "member"
    assert await rows(app, koc_events) == []
    await chat.dm("bob", "/订阅")
    replies = await chat.say("mod", "/koc invite @bob")
    assert replies[0] == "[dm mod] 已私信邀请 bob 成为 KOC，TA 现在是候选人。"
    assert replies[1].startswith("[dm bob] bob，你好！")


async def test_an_invitation_counts_against_the_contact_budget_and_the_moderator_hears_when_it_goes(
    chat: Chat, app
) -> None:
    await chat.say("bob", "大家好")
    await chat.dm("mod", "/模板 设置 hi {{ member.name }}，新品体验会见！")
    await chat.dm("mod", "/分群 设置 bob 群=playground")
    await chat.dm("mod", "/触达 发送 bob --模板 hi")
    await chat.dm("mod", "/触达 发送 bob --模板 hi")  # the default budget: 2 a day
    chat.transport.take()
    assert await chat.say("mod", "/koc invite @bob") == [
        "[dm mod] 已私信邀请 bob 成为 KOC，TA 现在是候选人。\n"
        "邀请会在 12-02 08:00 发出：TA 收到的主动消息已经到了打扰上限。"
    ]
    [invite] = await rows(app, schema.outbox, schema.outbox.c.template == "koc/invite")
    assert (invite.kind, invite.not_before) == ("unsolicited", datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI))


async def test_an_opt_out_takes_back_every_unsolicited_message_still_waiting(chat: Chat, app, clock) -> None:
    await chat.say("bob", "大家好")
    chat.transport.take()
    clock.set(datetime(2026, 12, 1, 23, 0, tzinfo=SHANGHAI))  # quiet hours: the invitation waits
    assert await chat.say("mod", "/koc invite @bob") == [
        "[dm mod] 已私信邀请 bob 成为 KOC，TA 现在是候选人。\n邀请会在 12-02 08:00 发出：现在是免打扰时段。"
    ]
    assert [r.template for r in await rows(app, schema.outbox, schema.outbox.c.status == "pending")] == ["koc/invite"]
    await chat.dm("bob", "退订")
    assert await rows(app, schema.outbox, schema.outbox.c.template == "koc/invite") == []
    await app.advance_to(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))
    assert [m.text for m in chat.transport.take() if m.contact_id == "bob"] == []


async def test_no_capability_can_write_an_unsolicited_private_message_to_a_member_who_opted_out(
    chat: Chat, app
) -> None:
    """The outreach capability's private note stands guard for every path (briefs, journeys, ...);
    replies and transactional news pass."""
    await chat.say("bob", "大家好")
    await chat.dm("bob", "TD")
    chat.transport.take()
    async with UnitOfWork(app.database, app.clock) as uow:
        directory = app.services.directory
        bob = await directory.find_member(uow.conn, "bob")
        ctx = Context(app.services, uow, None, system_actor(app.services), None)  # as a scheduled job writes
        withheld = await ctx.dm(bob, "outreach/brief", month="2026-12", points=["a"], name="bob")
        owed = await ctx.dm(bob, "koc/return_welcome", name="bob", urgent=True, message_kind=OutgoingKind.TRANSACTIONAL)
        await uow.commit()
    assert (withheld, owed) == (False, True)
    assert [r.template for r in await rows(app, schema.outbox, schema.outbox.c.contact_platform_id == "bob")][-1:] == [
        "koc/return_welcome"
    ]
    assert "outreach/brief" not in [r.template for r in await rows(app, schema.outbox)]
