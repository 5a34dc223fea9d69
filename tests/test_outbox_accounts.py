"""Several accounts on one database: each outbox row names the account that sends it, and each
sender claims, sends and recovers only its own account's rows."""

from __future__ import annotations

import fcntl
import os
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from bot.app import App
from bot.db import schema
from bot.db.schema import Delivery
from bot.outbox import Draft
from bot.sender import CLAIM_LEASE
from tests.support import Chat, enqueue, rows

ROUTINE = Delivery.ROUTINE
OUTBOX = schema.outbox


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "bot": {"account": "main"},
        "communities": [{"id": "playground", "name": "Playground"}, {"id": "r-beta", "account": "beta"}],
    }


async def _add_community(app: App, room: str, account: str | None) -> int:
    async with app.engine.begin() as conn:
        return (
            await conn.execute(
                insert(schema.communities)
                .values(platform_id=room, name=room, created_at=app.clock.now(), account=account)
                .returning(schema.communities.c.id)
            )
        ).scalar_one()


async def _accounts(app: App) -> dict[str, str | None]:
    return {r.platform_id: r.account for r in await rows(app, schema.communities)}


async def _queue(app: App, *drafts: Draft) -> list[int | None]:
    async with app.engine.begin() as conn:
        return [await enqueue(conn, d, app.clock.now(), app.database.addressing) for d in drafts]


async def test_a_room_is_recorded_as_served_by_the_account_that_first_sees_it(chat: Chat, app: App) -> None:
    await _add_community(app, "r-other", "other")  # another process saw it first
    await _add_community(app, "r-beta", "other")  # ... but the config says beta
    for room in ("playground", "r-new", "r-other", "r-beta"):
        await chat.say("alice", "hello", room=room)
    assert await _accounts(app) == {"r-other": "other", "r-beta": "beta", "playground": "main", "r-new": "main"}


async def test_each_row_gets_the_account_that_must_send_it(chat: Chat, app: App) -> None:
    await _add_community(app, "r-other", "other")
    await chat.join("bob", "r-other")  # bob's latest room is served by "other"
    await app.advance_to(app.clock.now() + timedelta(days=1))
    await chat.join("bob", "playground")
    await app.advance_to(app.clock.now() + timedelta(days=1))
    await chat.join("bob", "r-other")  # ... since he left and joined again
    await chat.join("carol", "r-beta")
    await _queue(
        app,
        Draft("a", "t", "zh_CN", room_id="r-other", delivery=ROUTINE),  # as recorded
        Draft("b", "t", "zh_CN", room_id="r-beta", delivery=ROUTINE),  # as configured
        Draft("c", "t", "zh_CN", room_id="r-unseen", delivery=ROUTINE),  # nobody knows: this process
        Draft("d", "t", "zh_CN", contact_id="bob", delivery=ROUTINE),  # bob's latest room's account
        Draft("e", "t", "zh_CN", contact_id="carol", delivery=Delivery.URGENT),  # carol's room is beta's
        Draft("f", "t", "zh_CN", contact_id="stranger", delivery=ROUTINE),  # in no room: this process
        Draft("g", "t", "zh_CN", contact_id="bob"),  # a reply goes back through the account bob wrote to
    )
    stored = await rows(app, OUTBOX, OUTBOX.c.template == "t")
    assert {r.text: r.account for r in stored} == {
        "a": "other",
        "b": "beta",
        "c": "main",
        "d": "other",
        "e": "beta",
        "f": "main",
        "g": "main",
    }


async def test_a_member_who_left_their_latest_room_is_written_from_a_room_they_are_in(chat: Chat, app: App) -> None:
    await _add_community(app, "r-other", "other")
    await chat.join("bob", "r-beta")
    await app.advance_to(app.clock.now() + timedelta(days=1))
    await chat.join("bob", "r-other")
    await chat.leave("bob", "r-other")
    await _queue(app, Draft("hi", "t", "zh_CN", contact_id="bob", delivery=ROUTINE))
    [row] = await rows(app, OUTBOX, OUTBOX.c.template == "t")
    assert row.account == "beta"


async def test_a_sender_sends_only_its_own_accounts_rows(app: App, transport) -> None:
    await _add_community(app, "r-other", "other")
    await _queue(
        app,
        Draft("theirs", "t", "zh_CN", room_id="r-other", delivery=ROUTINE),
        Draft("ours", "t", "zh_CN", room_id="playground", delivery=ROUTINE),
    )
    async with app.engine.begin() as conn:  # written before accounts existed: any process may send it
        await conn.execute(
            insert(OUTBOX).values(
                created_at=app.clock.now(),
                not_before=app.clock.now(),
                status="pending",
                room_platform_id="r-old",
                text="legacy",
                template="t",
                locale="zh_CN",
                attempts=0,
                mentions=[],
            )
        )
    await app.drain()
    assert sorted(m.text for m in transport.take()) == ["legacy", "ours"]
    assert {r.text: r.status for r in await rows(app, OUTBOX)} == {
        "theirs": "pending",
        "ours": "sent",
        "legacy": "sent",
    }
    assert await app.sender.next_due() is None  # what is left is not this process's to send


async def _strand(app: App, **claimed_ago: timedelta) -> None:
    """Mark messages (by text) `sending`, claimed that long ago, as a crashed sender leaves them."""
    async with app.engine.begin() as conn:
        for text, ago in claimed_ago.items():
            await conn.execute(
                update(OUTBOX).where(OUTBOX.c.text == text).values(status="sending", claimed_at=app.clock.now() - ago)
            )


async def test_recovery_takes_back_only_its_own_accounts_messages(app: App, transport) -> None:
    await _add_community(app, "r-other", "other")
    await _queue(
        app,
        Draft("theirs", "t", "zh_CN", room_id="r-other", delivery=ROUTINE),
        Draft("ours", "t", "zh_CN", room_id="playground", delivery=ROUTINE),
    )
    await _strand(app, theirs=timedelta(seconds=5), ours=timedelta(seconds=5))
    assert await app.sender.recover() == 1
    await app.drain()
    assert [m.text for m in transport.take()] == ["ours"]
    assert {r.text: r.status for r in await rows(app, OUTBOX)} == {"theirs": "sending", "ours": "sent"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_double_start_on_sqlite_takes_back_only_claims_past_the_lease(app: App, settings) -> None:
    await _queue(
        app,
        Draft("in flight elsewhere", "t", "zh_CN", room_id="playground"),
        Draft("abandoned", "t", "zh_CN", room_id="playground"),
    )
    await _strand(app, **{"in flight elsewhere": timedelta(seconds=2), "abandoned": CLAIM_LEASE + timedelta(seconds=1)})
    # Another process of the same account is running: it holds the lock beside the database.
    sibling = os.open(settings.database_url().split("///", 1)[1] + ".sender-main.lock", os.O_RDWR)
    try:
        fcntl.flock(sibling, fcntl.LOCK_SH)
        assert await app.sender.recover() == 1
        assert {r.text: r.status for r in await rows(app, OUTBOX)} == {
            "in flight elsewhere": "sending",
            "abandoned": "pending",
        }
    finally:
        os.close(sibling)  # it has died
    assert await app.sender.recover() == 1  # alone now: whatever is left sending was a dead process's
    assert {r.status for r in await rows(app, OUTBOX)} == {"pending"}


@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_on_postgresql_a_message_being_sent_elsewhere_is_left_alone(app: App, transport) -> None:
    await _queue(
        app,
        Draft("being sent", "t", "zh_CN", room_id="r1"),
        Draft("stranded", "t", "zh_CN", room_id="r2"),
        Draft("waiting", "t", "zh_CN", room_id="r3"),
    )
    await _strand(app, **{"being sent": timedelta(seconds=2), "stranded": timedelta(seconds=2)})
    async with app.engine.connect() as other, other.begin():  # another process, in the middle of a send
        await other.execute(select(OUTBOX.c.id).where(OUTBOX.c.text.in_(["being sent", "waiting"])).with_for_update())
        assert await app.sender.recover() == 1
        await app.drain()  # claims skip the rows the other process has locked
        assert [m.text for m in transport.take()] == ["stranded"]
    assert {r.text: r.status for r in await rows(app, OUTBOX)} == {
        "being sent": "sending",
        "stranded": "sent",
        "waiting": "pending",
    }
    await app.drain()
    assert [m.text for m in transport.take()] == ["waiting"]
