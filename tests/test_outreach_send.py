"""/outreach send: each member's own rendering, dry run, confirmation, the delivery report, the export."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import insert

from bot.db import schema
from bot.registry import ExportRequest
from handlers.outreach.send_report import export_outreach
from handlers.outreach.tables import outreach_recipients
from handlers.recognition.tables import ledger
from tests.conftest import START
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
HELLO = "/模板 设置 hello {{ member.name }}，你好！你现在有 {{ member.points }} 积分。"


@pytest.fixture
def settings_overrides() -> dict:
    return {"outreach": {"confirm_over": 3}}


async def _people(chat: Chat, *names: str) -> None:
    for name in names:
        await chat.say(name, "大家好")


async def _sent(chat: Chat) -> list[str]:
    return [f"{m.contact_id}: {m.text}" for m in chat.transport.take() if m.contact_id and m.contact_id != "mod"]


async def test_a_small_send_goes_to_each_member_with_their_own_values_and_the_hint(chat: Chat, app) -> None:
    await _people(chat, "bob", "carol")
    await chat.dm("mod", HELLO)
    await chat.dm("mod", "/分群 设置 大家 群=playground")
    assert await chat.dm("mod", "/触达 发送 大家 --模板 hello") == [
        "[dm mod] 触达 #1 已排队：2 位成员会私信收到。\n免打扰时段和每人的打扰上限会让部分消息晚些发出。用 /触达 查看 1 看进度。",
        "[dm bob] bob，你好！你现在有 0 积分。\n回复 TD 退订",
        "[dm carol] carol，你好！你现在有 0 积分。\n回复 TD 退订",
    ]
    assert await chat.dm("mod", "/触达 查看 1") == [
        "[dm mod] 触达 #1：分群「大家」，模板 hello（已排队）\n"
        "目标 2 位：已发出 2，待发 0，免打扰时段后发 0，因打扰上限推后 0，失败 0\n跳过：已退订 0，已退群 0"
    ]
    [row, _] = await rows(app, outreach_recipients)
    assert (row.send_id, row.run, row.outcome, row.outbox_key) == (1, 1, "queued", f"outreach:1:1:{row.member_id}")


async def test_a_dry_run_counts_samples_and_holds_but_sends_nothing(chat: Chat, app, clock) -> None:
    await _people(chat, "bob", "carol", "dave", "erin", "fay")
    await chat.dm("fay", "退订")
    await chat.leave("erin")
    await chat.dm("mod", HELLO)
    await chat.dm("mod", "/分群 设置 大家 阶段=成员")
    clock.set(datetime(2026, 12, 1, 23, 0, tzinfo=SHANGHAI))  # quiet hours
    assert await chat.dm("mod", "/触达 发送 大家 --模板 hello --试发") == [
        "[dm mod] 试发（什么都没有发出）：分群「大家」用模板 hello，会私信发给 3 位成员。\n"
        "其中 3 条会因免打扰时段晚些发，0 条会因打扰上限推到之后的日子。\n"
        "不发：1 位已退订，1 位已不在群里。\n"
        "—— 发给 bob：\nbob，你好！你现在有 0 积分。\n回复 TD 退订\n"
        "—— 发给 carol：\ncarol，你好！你现在有 0 积分。\n回复 TD 退订\n"
        "—— 发给 dave：\ndave，你好！你现在有 0 积分。\n回复 TD 退订"
    ]
    assert await rows(app, outreach_recipients) == []


async def test_a_big_send_waits_for_a_confirmation_and_is_held_by_the_budget(chat: Chat, app) -> None:
    await _people(chat, "bob", "carol", "dave", "erin")
    await chat.dm("mod", HELLO)
    await chat.dm("mod", "/分群 设置 大家 阶段=成员")
    await chat.dm("mod", "/分群 设置 bob 群=playground 且 积分>=1")
    [bob] = await rows(app, schema.members, schema.members.c.platform_id == "bob")
    async with app.engine.begin() as conn:
        values = {"member_id": bob.id, "amount": 5, "source": "manual", "month": "2026-12", "created_at": START}
        await conn.execute(insert(ledger).values(**values))
    assert await chat.dm("mod", "/触达 发送 大家 --模板 hello") == [
        "[dm mod] 触达 #1 要发给 4 位成员，超过 3 位，需要一位运营确认后才会发出：\n"
        "发送 /触达 确认 1 发出，或 /触达 取消 1 放弃。建议先用 --试发 看看效果。"
    ]
    assert await chat.dm("admin", "/触达 确认 1") == [
        "[dm admin] 触达 #1 已排队：4 位成员会私信收到。\n免打扰时段和每人的打扰上限会让部分消息晚些发出。用 /触达 查看 1 看进度。",
        "[dm bob] bob，你好！你现在有 5 积分。\n回复 TD 退订",
        "[dm carol] carol，你好！你现在有 0 积分。\n回复 TD 退订",
        "[dm dave] dave，你好！你现在有 0 积分。\n回复 TD 退订",
        "[dm erin] erin，你好！你现在有 0 积分。\n回复 TD 退订",
    ]
    assert await chat.dm("mod", "/触达 确认 1") == ["[dm mod] 触达 #1 不在等待确认（现在是已发出）。"]
    # Two more sends the same day: the default budget (2 a day) holds the third for tomorrow.
    await chat.dm("mod", "/触达 发送 bob --模板 hello")
    [report] = await chat.dm("mod", "/触达 发送 bob --模板 hello")
    assert report.startswith("[dm mod] 触达 #3 已排队：1 位成员会私信收到")
    assert await chat.dm("mod", "/触达 查看 3") == [
        "[dm mod] 触达 #3：分群「bob」，模板 hello（已排队）\n"
        "目标 1 位：已发出 0，待发 0，免打扰时段后发 0，因打扰上限推后 1，失败 0\n跳过：已退订 0，已退群 0"
    ]
    await chat.dm("bob", "TD")  # what waits for bob is taken back
    assert (await chat.dm("mod", "/触达 查看 3"))[0].endswith("跳过：已退订 1，已退群 0")
    async with app.engine.connect() as conn:
        exported = await export_outreach(conn, ExportRequest("1", timezone="Asia/Shanghai"))
        book = await export_outreach(conn, ExportRequest("1", "xlsx", timezone="Asia/Shanghai"))
        taken_back = await export_outreach(conn, ExportRequest("3", timezone="Asia/Shanghai"))
        english = await export_outreach(conn, ExportRequest("3", timezone="Asia/Shanghai", locale="en"))
    assert isinstance(exported, str)  # CSV as every table export writes it: a BOM, local times
    # headed in the community's language, states as /outreach show names them
    assert exported.splitlines()[0] == "\ufeff微信号,昵称,状态,排队时间,推后至,发出时间"
    assert [line.split(",")[:3] for line in exported.splitlines()[1:]] == [
        ["bob", "bob", "已发出"],
        ["carol", "carol", "已发出"],
        ["dave", "dave", "已发出"],
        ["erin", "erin", "已发出"],
    ]
    assert {line.split(",")[3] for line in exported.splitlines()[1:]} == {"2026-12-01 09:00"}
    assert isinstance(taken_back, str) and taken_back.splitlines()[1].split(",")[:3] == ["bob", "bob", "已退订"]
    assert isinstance(english, str)
    assert english.splitlines()[:2] == [
        "\ufeffWeChat id,Name,State,Queued at,Held until,Sent at",
        "bob,bob,opted out,2026-12-01 09:00,,",  # what waited for bob was taken back
    ]
    assert isinstance(book, bytes)
    sheet = openpyxl.load_workbook(io.BytesIO(book))["触达"]
    assert [row[:3] for row in sheet.iter_rows(values_only=True)][:2] == [
        ("微信号", "昵称", "状态"),
        ("bob", "bob", "已发出"),
    ]


async def test_bad_sends_say_what_is_wrong(chat: Chat, app) -> None:
    await chat.dm("mod", "/模板 设置 room 欢迎来到 {{ community.name }}")
    await chat.dm("mod", "/分群 设置 大家 阶段=成员")
    [reply] = await chat.dm("mod", "/触达 发送 大家")
    assert reply.startswith("[dm mod] 请用 --模板 名称 指定要发的模板。\n正确的用法：/触达 发送")
    assert await chat.dm("mod", "/触达 发送 大家 --模板 room") == [
        "[dm mod] 模板 room 用到了群的变量（community），私信里没有群，不能用来触达。"
    ]
    [reply] = await chat.dm("mod", "/触达 发送 没有 --模板 room")
    assert reply == "[dm mod] 没有名为 没有 的分群。已有的分群：大家。"
    assert await chat.dm("mod", "/触达 查看 9") == ["[dm mod] 没有编号为 9 的触达。"]
    [refused] = await chat.dm("bob", "/触达 发送 大家 --模板 room")
    assert "触达 #" not in refused
