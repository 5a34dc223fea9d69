"""Agreements for 公域 KOCs: the guided conversation, showing, reminders to the owning moderator, the export."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.cli import main
from bot.db import schema
from handlers.koc.tables import agreements, koc_events
from tests.support import Chat, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAV = "\n（/返回 回到上一步，/取消 放弃）"
ASK_DELIVERABLES = "[dm mod] （1/7）和 bob 约定交付哪些内容？例如：每月 2 篇小红书测评笔记、1 条短视频。" + NAV
ASK_CADENCE = "[dm mod] （2/7）发布频率是怎样的？例如：每两周一篇。" + NAV
ASK_STARTS = "[dm mod] （4/7）合作从哪天开始？请按 2026-12-20 这样的格式写日期。" + NAV
ASK_ENDS = "[dm mod] （5/7）合作到哪天结束？格式如 2027-06-20，要晚于开始日期 2026-12-01。" + NAV
ASK_DATES = (
    "[dm mod] （6/7）各次交付的日期？用空格或逗号分开，例如：2027-01-15 2027-02-15。没有固定日期就回复“无”。" + NAV
)
ANSWERS = [
    "每月 2 篇测评笔记",
    "每两周一篇",
    "版权归作者，品牌可转载并注明出处",
    "2026-12-01",
    "2027-02-28",
    "2026-12-10, 2027-01-10",
    "2026-12-20 首期稿费 50%\n2027-02-28 尾款 50%",
]
TERMS = (
    "交付内容：每月 2 篇测评笔记\n发布频率：每两周一篇\n内容归属：版权归作者，品牌可转载并注明出处\n"
    "合作期：2026-12-01 至 2027-02-28\n交付日期：2026-12-10、2027-01-10\n"
    "付款安排：\n· 2026-12-20 首期稿费 50%\n· 2027-02-28 尾款 50%"
)


@pytest.fixture
def settings_overrides() -> dict:
    # Only the KOC reminders' job: these tests live through months, and the other daily and monthly jobs
    # (tested on their own) would take most of their time and add their messages.
    others = ("monthly_report", "feedback_overdue", "privacy_retention", "moderators_digest", "campaign_rewards")
    return {"scheduler": {"jobs": {name: {"enabled": False} for name in (*others, "honour_roll", "monthly_brief")}}}


async def record(chat: Chat, answers: list[str] = ANSWERS) -> list[str]:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc 协议 @bob")
    for answer in answers:
        replies = await chat.dm("mod", answer)
    return replies + await chat.dm("mod", "确认")


async def test_the_guided_agreement_checks_each_answer(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    assert await chat.say("mod", "/koc 协议 @bob") == [
        "[dm mod] 我私信你了，我们一步步把和 bob 的合作协议记清楚。",
        ASK_DELIVERABLES,
    ]
    assert await chat.dm("mod", "/返回") == ["[dm mod] 已经是第一步了。请写下约定的交付内容，或发 /取消 放弃。"]
    assert await chat.dm("mod", "笔") == ["[dm mod] 能再多写一点吗？至少 2 个字，写清楚了以后双方都好对照。"]
    assert await chat.dm("mod", ANSWERS[0]) == [ASK_CADENCE]
    assert await chat.dm("mod", "/返回") == [ASK_DELIVERABLES]
    for answer in ANSWERS[:3]:
        await chat.dm("mod", answer)
    assert await chat.dm("mod", "下个月") == ["[dm mod] “下个月”不是一个日期。请按 2026-12-20 这样的格式写。"]
    assert await chat.dm("mod", "2026-02-30") == [
        "[dm mod] 「2026-02-30」不是一个存在的日期：2026 年 2 月只有 28 天。请检查后再发一次。"
    ]
    assert await chat.dm("mod", "2026-12-01") == [ASK_ENDS]
    assert await chat.dm("mod", "2026-11-30") == ["[dm mod] 结束日期要晚于开始日期 2026-12-01，请再写一次。"]
    assert await chat.dm("mod", "2027-02-28") == [ASK_DATES]
    assert await chat.dm("mod", "2026-12-10 2027-03-10") == [
        "[dm mod] 2027-03-10 不在合作期（2026-12-01 至 2027-02-28）之内，请检查一下交付日期。"
    ]
    [ask_payments] = await chat.dm("mod", ANSWERS[5])
    assert ask_payments.startswith("[dm mod] （7/7）付款安排：每行一笔，先写日期再写内容")
    assert await chat.dm("mod", "首期稿费 50%") == [
        "[dm mod] 没能读懂“首期稿费 50%”。每行一笔付款：先写日期，再写付什么，例如：2027-01-31 首期稿费 50%。不涉及付款就回复“无”。"
    ]
    assert await chat.dm("mod", ANSWERS[6]) == [
        f"[dm mod] 请确认和 bob 的合作协议：\n{TERMS}\n回复“确认”保存，/返回 修改上一步，/取消 放弃。"
    ]
    assert await chat.dm("mod", "嗯") == ["[dm mod] 回复“确认”保存这份协议；想修改就发 /返回，不想保存了发 /取消。"]
    assert await chat.dm("mod", "确认") == [
        "[dm mod] 已保存和 bob 的合作协议（#1）。每次交付、付款和协议结束前 3 天，我会私信提醒负责的运营。"
        "用 /koc 协议 查看 @bob 随时查看。"
    ]
    [row] = await rows(app, agreements)
    assert (
        row.deliverables,
        row.cadence,
        row.starts.isoformat(),
        row.ends.isoformat(),
        row.deliverable_dates,
        row.payments,
        row.status,
    ) == (
        "每月 2 篇测评笔记",
        "每两周一篇",
        "2026-12-01",
        "2027-02-28",
        ["2026-12-10", "2027-01-10"],
        [{"due": "2026-12-20", "what": "首期稿费 50%"}, {"due": "2027-02-28", "what": "尾款 50%"}],
        "active",
    )
    assert [(e.kind, e.details["agreement_id"]) for e in await rows(app, koc_events)] == [("agreement", 1)]
    assert await rows(app, schema.conversations) == []


async def test_show_a_new_agreement_replaces_the_old_and_bad_commands(chat: Chat, app) -> None:
    await chat.say("bob", "大家好")
    assert await chat.say("mod", "/koc 协议 查看 @bob") == [
        "[dm mod] bob 还没有合作协议。用 /koc 协议 @bob 来记录一份。"
    ]
    [reply] = await chat.say("mod", "/koc 协议")
    assert reply.startswith("[dm mod] 请 @ 一位成员（只一位），例如 /koc 协议 @bob。\n正确的用法：/koc 协议 @成员")
    assert (await chat.say("bob", "/koc agreement @bob"))[0].startswith(
        "[playground] @bob 抱歉，/koc agreement 只有社群运营可以使用"
    )
    await record(chat)
    await record(chat, [*ANSWERS[:6], "无"])
    assert await chat.say("mod", "/koc agreement show @bob") == [
        "[dm mod] bob 的协议已经私信发给你了 📬",
        f"[dm mod] bob 的合作协议 #2：\n{TERMS.split(chr(10) + '付款安排')[0]}\n付款安排：无\n负责运营：mod",
    ]
    assert [(r.id, r.status) for r in sorted(await rows(app, agreements))] == [(1, "replaced"), (2, "active")]


async def test_cancel_and_expiry_save_nothing(chat: Chat, app, clock) -> None:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/koc agreement @bob")
    assert await chat.dm("mod", "/取消") == ["[dm mod] 已取消，和 bob 的协议没有保存。需要时再发 /koc 协议 @bob。"]
    await chat.dm("mod", "/koc agreement @bob")
    await app.advance_to(clock.now() + timedelta(hours=24, minutes=1))
    assert [m.text for m in chat.transport.take() if m.contact_id == "mod"] == [
        "协议很久没有继续填写，已经关闭了，没有保存。需要时再发 /koc 协议 @成员。"
    ]
    assert await rows(app, agreements) == []


async def test_the_owning_moderator_is_reminded_once_before_each_date(chat: Chat, app) -> None:
    await record(chat)
    chat.transport.take()
    await app.advance_to(datetime(2026, 12, 21, 10, 0, tzinfo=SHANGHAI))
    sent = [(m.contact_id, m.text) for m in chat.transport.take()]
    assert sent == [
        (
            "mod",
            "⏰ 提醒：3天后（2026-12-10）是 bob 约定的交付日期。可以提前问候一下进展，需要素材的话也帮忙准备好。\n"
            "（协议 #1，/koc 协议 查看 @bob）",
        ),
        (
            "mod",
            "⏰ 提醒：3天后（2026-12-20）要向 bob 付款：首期稿费 50%。请确认已经安排，按时付款是我们对 KOC 的承诺。\n"
            "（协议 #1，/koc 协议 查看 @bob）",
        ),
    ]
    await app.advance_to(datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI))
    texts = [m.text for m in chat.transport.take()]
    assert [text.split("。")[0] for text in texts] == [
        "⏰ 提醒：3天后（2027-01-10）是 bob 约定的交付日期",
        "⏰ 提醒：3天后（2027-02-28）要向 bob 付款：尾款 50%",
        "⏰ 提醒：3天后（2027-02-28）和 bob 的合作协议到期",
    ]


def _cli(tmp_path: Path, database_url: str, *args: str, locale: str = "zh_CN") -> int:
    config = tmp_path / "kocbot.toml"
    config.write_text(f'[bot]\nlocale = "{locale}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8")
    return main(["--config", str(config), "--data-dir", str(tmp_path), "export", *args])


HEADINGS_ZH = (
    "协议编号,成员,状态,开始日期,结束日期,交付内容,发布频率,内容归属,交付日期,付款安排,负责运营,创建时间,创建人"
)


async def test_export_agreements_as_csv(chat: Chat, app, tmp_path, database_url, capsys) -> None:
    await record(chat)
    out = tmp_path / "agreements.csv"
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "agreements", "--out", str(out)) == 0
    # A BOM, then headings and statuses in the community's language.
    assert out.read_bytes().startswith(f"\ufeff{HEADINGS_ZH}\r\n".encode())
    [only] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert (
        only["协议编号"],
        only["成员"],
        only["状态"],
        only["开始日期"],
        only["结束日期"],
        only["交付日期"],
        only["负责运营"],
        only["创建人"],
    ) == ("1", "bob", "生效中", "2026-12-01", "2027-02-28", "2026-12-10 2027-01-10", "mod", "mod")
    assert only["付款安排"] == "2026-12-20 首期稿费 50%; 2027-02-28 尾款 50%"
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "agreements", "--format", "json") == 1
    assert "agreements exports as csv or xlsx, not json" in capsys.readouterr().err
    book = tmp_path / "agreements.xlsx"
    assert (
        await asyncio.to_thread(_cli, tmp_path, database_url, "agreements", "--format", "xlsx", "--out", str(book)) == 0
    )
    [heading, row] = list(openpyxl.load_workbook(book)["合作协议"].iter_rows(values_only=True))
    assert (heading[:3], row[:3], row[heading.index("创建时间")]) == (
        ("协议编号", "成员", "状态"),
        (1, "bob", "生效中"),
        only["创建时间"],
    )


async def test_an_english_community_gets_the_agreements_in_english(chat: Chat, app, tmp_path, database_url) -> None:
    await record(chat)
    await record(chat)  # the first is replaced
    out = tmp_path / "agreements.csv"
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "agreements", "--out", str(out), locale="en") == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfAgreement,Member,Status,Starts,Ends,Deliverables,Cadence,Content ownership,")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["Agreement"], r["Member"], r["Status"], r["Owning moderator"]) for r in rows] == [
        ("1", "bob", "replaced by a newer one", "mod"),
        ("2", "bob", "in force", "mod"),
    ]
