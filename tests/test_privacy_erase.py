"""/forgetme: confirmed, cancelled, carried out after the cooling-off period (even across a restart); afterwards
no table holds alice's id, name or words, while totals, boards and other members' items are unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select

from bot.app import App
from bot.bootstrap import open_app
from bot.db import schema
from bot.db.schema import Base
from handlers.feedback.tables import items, people
from handlers.privacy.erase import Person, erase
from handlers.privacy.tables import requests
from handlers.recognition.tables import ledger, thanks
from handlers.reports.month import window
from handlers.reports.queries import month_figures
from tests.privacy_world import ALICE_WORDS, FORM, alice_everywhere
from tests.support import Chat, rows

END_OF_MONTH = datetime(2027, 1, 1, tzinfo=UTC)
CONFIRM_START = "[dm alice] 确认要删除你的个人信息吗？"


@pytest.fixture
def settings_overrides() -> dict:
    return {"privacy": {"notice_in_first_message": False, "erase_after_hours": 24}}


async def traces(app: App, *needles: str) -> list[str]:
    """`table.column` of every text and JSON column that still holds one of `needles`."""
    found = []
    async with app.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text | JSON):
                    continue
                text = cast(column, Text) if isinstance(column.type, JSON) else column
                for needle in needles:
                    hit = select(func.count()).select_from(table).where(text.contains(needle, autoescape=True))
                    if (await conn.execute(hit)).scalar_one():
                        found.append(f"{table.name}.{column.name}: {needle}")
    return found


async def _report(app: App) -> str:
    when = window("2026-12", END_OF_MONTH, app.services.settings.bot.timezone)  # the whole month, either time
    async with app.engine.connect() as conn:
        return repr(await month_figures(conn, app.services.settings, when))


async def _figures(chat: Chat, app: App, *, top_first: bool) -> dict:
    """Totals, items, the points board and the monthly report (the board's command is a room message the
    report counts: asked before the report the first time, after it the second, both count it once)."""
    top = await chat.say("bob", "/排行 全部 积分") if top_first else None
    report = await _report(app)
    async with app.engine.connect() as conn:
        points = dict(
            (
                await conn.execute(select(ledger.c.member_id, func.sum(ledger.c.amount)).group_by(ledger.c.member_id))
            ).all()
        )
        counted = (await conn.execute(select(func.count()).where(thanks.c.counted))).scalar_one()
        feedback = (await conn.execute(select(items.c.id, items.c.status, items.c.kind))).all()
        plus_ones = (await conn.execute(select(people.c.member_id, people.c.role, people.c.details))).all()
    return {
        "report": report,
        "points": points,
        "thanks": counted,
        "feedback": sorted(feedback),
        "bob_plus_one": [p for p in plus_ones if p.details == "我也看不清"],
        "top": top or await chat.say("bob", "/排行 全部 积分"),
    }


async def _confirm(chat: Chat) -> list[str]:
    replies = await chat.dm("alice", "/删除我的数据")
    assert replies[0].startswith(CONFIRM_START)
    return await chat.dm("alice", "确认删除")


async def test_erasure_leaves_no_trace_and_every_total_as_it_was(chat: Chat, app, clock) -> None:
    await alice_everywhere(chat)
    before = await _figures(chat, app, top_first=True)
    assert await traces(app, ALICE_WORDS)  # the scan finds what is there
    assert await _confirm(chat) == [
        "[dm alice] 已确认。你的个人信息将在 2026-12-02 09:00 删除，完成后会私信你一份回执。改主意了就在那之前发 /取消删除。"
    ]
    clock.advance(timedelta(hours=23))
    await app.drain()
    assert await rows(app, schema.members, schema.members.c.platform_id == "alice")  # not yet
    clock.advance(timedelta(hours=1))
    await app.drain()
    [receipt] = chat.transport.take()
    assert receipt.contact_id == "alice"
    assert receipt.text.startswith(
        "删除回执：你的个人信息已删除，你的微信号和昵称已换成匿名编号。\n已删除：\n· 你发的消息"
    )
    assert "· 合作协议" not in receipt.text and "· 承诺和付款记录 1 条：法律要求保存 3 年" in receipt.text
    clock.advance(timedelta(minutes=10))
    await app.drain()
    assert await traces(app, "alice", ALICE_WORDS, "夜间模式下结算页文字看不清", "你的教程很有用") == []
    [request] = await rows(app, requests)
    assert request.status == "done" and request.pseudonym.startswith("anon-")
    after = await _figures(chat, app, top_first=False)
    assert after["points"] == before["points"] and after["thanks"] == before["thanks"]
    assert after["feedback"] == before["feedback"] and after["bob_plus_one"] == before["bob_plus_one"]
    assert after["top"] == [line.replace("alice", request.pseudonym) for line in before["top"]]
    # the monthly report's figures: the same, alice's name aside (and her feedback title, now erased)
    assert after["report"] == before["report"].replace("'alice'", f"'{request.pseudonym}'").replace(
        "夜间模式下结算页文字看不清", "[erased]"
    )
    [entry] = await rows(app, schema.audit_log, schema.audit_log.c.action == "privacy erased")
    assert entry.details == {"pseudonym": request.pseudonym, "request": request.id}
    # alice writing again is a new member with a clean slate
    assert (await chat.dm("alice", "/我的"))[0].startswith("[dm alice]")


async def test_cancel_stops_the_erasure(chat: Chat, app, clock) -> None:
    await chat.say("alice", ALICE_WORDS)
    await _confirm(chat)
    assert await chat.dm("alice", "/删除我的数据") == [
        "[dm alice] 你的删除请求已经在等待执行：2026-12-02 09:00。想撤回就发 /取消删除。"
    ]
    assert await chat.dm("alice", "/取消删除") == ["[dm alice] 已撤回删除请求，你的数据保持原样。"]
    assert await chat.dm("alice", "/forgetme cancel") == ["[dm alice] 你没有等待执行的删除请求。"]
    clock.advance(timedelta(hours=25))
    await app.drain()
    assert await traces(app, ALICE_WORDS)
    assert [r.status for r in await rows(app, requests)] == ["cancelled"]


async def test_anything_but_the_confirmation_erases_nothing(chat: Chat, app) -> None:
    await chat.dm("alice", "/forgetme")
    assert await chat.dm("alice", "算了") == ["[dm alice] 好的，不删除，一切保持原样。"]
    assert await rows(app, requests) == []


async def test_an_erasure_due_during_a_restart_is_done_after_it(settings, clock, transport, registries) -> None:
    first = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await first.start()
    chat = Chat(first, transport)
    await chat.dm("alice", FORM)
    await _confirm(chat)
    await first.close()
    clock.advance(timedelta(hours=30))
    second = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await second.start()
    try:
        await second.drain()
        clock.advance(timedelta(minutes=10))
        await second.drain()
        assert await traces(second, "alice", "夜间模式下结算页文字看不清") == []
        [item] = await rows(second, items)
        assert item.status == "submitted"  # the item stays
    finally:
        await second.close()


async def test_erasing_again_changes_nothing(chat: Chat, app, clock) -> None:
    """An erasure interrupted after its commit and run again (or run twice) finds nothing left to change."""
    await alice_everywhere(chat)
    await _confirm(chat)
    clock.advance(timedelta(hours=24, minutes=10))
    await app.drain()
    [request] = await rows(app, requests)
    [member] = await rows(app, schema.members, schema.members.c.display_name == request.pseudonym)
    snapshot = {t.name: sorted(map(repr, await rows(app, t))) for t in Base.metadata.sorted_tables}
    async with app.database.write_transaction() as conn:
        again = await erase(conn, Person(member.id, member.platform_id, member.display_name, request.pseudonym))
    assert again.erased == {} and again.kept == request.receipt["kept"]
    assert {t.name: sorted(map(repr, await rows(app, t))) for t in Base.metadata.sorted_tables} == snapshot
