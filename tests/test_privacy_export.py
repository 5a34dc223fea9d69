"""/mydata: a copy of every kind of record, with no other member's id, once a day, surviving a restart."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.bootstrap import open_app
from bot.db import schema
from handlers.privacy.gather import KINDS
from handlers.privacy.tables import requests
from tests.privacy_world import ALICE_WORDS, alice_everywhere
from tests.support import Chat, make_message, rows


@pytest.fixture
def settings_overrides() -> dict:
    return {"privacy": {"notice_in_first_message": False}}


async def _sent_file(app) -> dict:
    """The one file the bot sent (kept in its outbox row), read back."""
    [row] = await rows(app, schema.outbox, schema.outbox.c.image_data.is_not(None))
    assert row.contact_platform_id == "alice" and row.image_name.startswith("kocbot-mydata-")
    return json.loads(row.image_data)


async def test_the_copy_holds_every_kind_and_no_other_members_id(chat: Chat, app) -> None:
    await alice_everywhere(chat)
    async with app.database.write_transaction() as conn:  # WeChat ids unlike the names, to tell them apart
        for name in ("bob", "carol", "mod"):
            wxid = {"bob": "wxid_b0b", "carol": "wxid_car0l", "mod": "wxid_m0d"}[name]
            await conn.execute(
                update(schema.members).where(schema.members.c.platform_id == name).values(platform_id=wxid)
            )
    assert await chat.say("alice", "/我的数据") == [
        "[playground] @alice 这个命令需要在和我的私聊中使用：/我的数据 （或 /mydata）"
    ]
    replies = ["", *await chat.dm("alice", "/我的数据")]
    assert replies[1].startswith(
        "[dm alice] 这是机器人保存的关于你的全部数据，完整内容在接下来的文件里（JSON 格式）：\n· 所在的群：1 条"
    )
    assert "未包含：运营同学的内部工作备注 2 条" in replies[1]
    assert replies[2] == "[dm alice] 你的数据文件：kocbot-mydata-2026-12-01.json"
    made = await _sent_file(app)
    data = made["data"]
    assert set(data) == set(KINDS)
    for kind in KINDS:
        if kind != "withheld":
            assert data[kind], kind
    assert data["profile"]["wechat_id"] == "alice"
    assert next(m["text"] for m in data["messages"]) == ALICE_WORDS
    assert [(m["room"], m["from"], m["text"]) for m in data["messages_to_you"]] == [
        ("Playground", "carol", "我也是这样"),
        ("Playground", "mod", "/issue open 订单一直待发货"),
    ]
    assert [t["from"] for t in data["thanks_received"]] == ["bob"]
    assert [t["to"] for t in data["thanks_given"]] == ["bob"]
    assert [p["amount"] for p in data["points"]][-1] == 20
    assert [t["title"] for t in data["titles"]] == ["热心答主"]
    assert data["feedback"][0]["ref"] == "FB-1" and data["feedback"][0]["scenario"] == "夜间模式下结算页文字看不清"
    assert data["threads"][0]["title"] == "订单一直待发货"
    assert data["koc"]["promises"][0]["text"] == "新品试用装"
    assert {w["kind"] for w in data["withheld"]} == {"koc_notes", "thread_internal_notes"}
    assert "最近太忙" not in json.dumps(made, ensure_ascii=False)  # a staff note is named, not given
    assert "物流部在查" not in json.dumps(made, ensure_ascii=False)
    body = json.dumps(made, ensure_ascii=False)
    for other in ("wxid_b0b", "wxid_car0l", "wxid_m0d"):  # names as alice saw them, never an id
        assert other not in body
    others = [m.id for m in await rows(app, schema.members) if m.platform_id != "alice"]
    assert not {f'"id": {n}' for n in others} & {body}
    assert '"member_id"' not in body and '"giver_id"' not in body and '"receiver_id"' not in body
    [request] = await rows(app, requests)
    assert (request.kind, request.status) == ("export", "done")


async def test_one_copy_a_day(chat: Chat, app, clock) -> None:
    assert len(await chat.dm("alice", "/mydata")) == 2
    assert await chat.dm("alice", "/我的数据") == [
        "[dm alice] 今天已经给你发过一份数据了，每天可以获取一次。12月02日 00:00 以后可以再发 /我的数据。"
    ]
    clock.advance(timedelta(hours=15))  # the next day in Shanghai
    assert len(await chat.dm("alice", "/mydata")) == 2


async def test_an_export_asked_before_a_restart_is_sent_after_it(settings, clock, transport, registries) -> None:
    first = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await first.start()
    transport.inject(make_message("说点什么", "alice", None))
    transport.inject(make_message("/mydata", "alice", None))
    await first.pipeline.drain()  # recorded with the message; the bot stops before the work is done
    await first.close()
    assert [r.status for r in await rows(first, requests)] == ["pending"]
    assert transport.take() == []
    second = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await second.start()
    try:
        await second.drain()
        made = await _sent_file(second)
        assert made["data"]["messages"][0]["text"] == "说点什么"
        assert [r.status for r in await rows(second, requests)] == ["done"]
    finally:
        await second.close()


async def test_the_copy_holds_the_outreach_opt_out_and_its_history(chat: Chat, app) -> None:
    await chat.say("alice", "大家好")
    await chat.dm("alice", "退订")
    await chat.dm("alice", "/我的数据")
    made = await _sent_file(app)
    [state] = made["data"]["consent"]["outreach_opt_out"]
    assert state["opted_out"] is True and state["words"] == "退订"
    assert [change["opted_out"] for change in made["data"]["consent"]["outreach_opt_out_changes"]] == [True]
