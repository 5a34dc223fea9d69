"""Reading feedback: lists, details, the overdue digest, release credits and the CLI exports."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from bot.context import Context
from bot.uow import UnitOfWork
from handlers.feedback.views import send_overdue_digest
from tests.support import Chat

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
IDEA = "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式"


@pytest.fixture
def settings_overrides() -> dict:
    return {"feedback": {"overdue_days": 3}}


async def test_list_and_show(chat: Chat, app) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", IDEA)
    await chat.say("dave", "/反馈 +1 FB-1 我也是")
    await chat.say("mod", "/fb status FB-2 under_review")
    assert await chat.say("mod", "/fb list") == [
        "[dm mod] 未关闭的反馈：\n· FB-1 [缺陷·已提交] 下单页点击支付以后闪退\n"
        "· FB-2 [建议·评估中] 晚上打开 App 屏幕太亮"
    ]
    assert await chat.say("mod", "/反馈 列表 评估中") == [
        "[dm mod] 评估中的反馈：\n· FB-2 [建议·评估中] 晚上打开 App 屏幕太亮"
    ]
    assert await chat.say("mod", "/fb list shipped") == ["[dm mod] 没有已上线的反馈。"]
    assert await chat.say("mod", "/fb show FB-1") == [  # in private: staff only
        "[dm mod] FB-1 [缺陷·已提交] 下单页点击支付以后闪退\n场景：下单页点击支付以后闪退\n"
        "步骤：加购后点支付\n期望：正常进入支付\n反馈人：bob\n+1：dave（我也是）\n记录：\n"
        "· 2026-12-01 09:00 bob 已提交\n· 2026-12-01 09:00 dave +1：我也是"
    ]


async def test_overdue_items_and_the_daily_digest(chat: Chat, app, clock) -> None:
    start = clock.now()  # 09:00 in Shanghai; the digest goes at 09:30
    await chat.say("bob", BUG)
    await chat.say("carol", IDEA)
    await chat.say("mod", "/fb status FB-2 acknowledged")
    assert await chat.say("mod", "/fb overdue") == ["[dm mod] 没有超过 3 天未回复的反馈 👍"]
    await app.advance_to(start + timedelta(days=3, minutes=29))
    assert chat.transport.take() == []  # not overdue at the digests of the first three days
    await app.advance_to(start + timedelta(days=4, hours=1))
    digest = (
        "超过 3 天还没有回复的反馈（1 条），成员在等你们的消息：\n· FB-1 [缺陷·已提交] 下单页点击支付以后闪退，{} 天"
    )
    assert [(m.contact_id, m.text) for m in chat.transport.take()] == [  # to each moderator and admin
        ("admin", digest.format(3)),
        ("mod", digest.format(3)),
        ("admin", digest.format(4)),
        ("mod", digest.format(4)),
    ]
    assert await chat.say("mod", "/反馈 超时") == [f"[dm mod] {digest.format(4)}"]
    async with UnitOfWork(app.database, clock) as uow:  # the scheduler's call, again the same day: sent once
        member = await app.services.directory.find_member_by_id(uow.conn, 1)
        assert await send_overdue_digest(Context(app.services, uow, None, member, None)) == 2
        await uow.commit()
    await app.drain()
    assert chat.transport.take() == []


OVERDUE = "超过 3 天还没有回复的反馈（{n} 条），成员在等你们的消息：\n{lines}"
FB1 = "· FB-1 [缺陷·已提交] 下单页点击支付以后闪退，{} 天"
FB2 = "· FB-2 [建议·已提交] 晚上打开 App 屏幕太亮，{} 天"


async def test_the_daily_notice_leaves_out_what_the_weekly_digest_listed_that_morning(chat: Chat, app, clock) -> None:
    start = clock.now()  # Tuesday 2026-12-01 09:00 in Shanghai
    await chat.say("bob", BUG)
    await app.advance_to(start + timedelta(days=3, minutes=15))
    await chat.say("carol", IDEA)  # overdue on Monday at 09:15: after the weekly digest (09:00)
    await app.advance_to(start + timedelta(days=5, hours=23))
    chat.transport.take()
    await app.advance_to(start + timedelta(days=6, hours=1))  # Monday: the digest at 09:00, the notice at 09:30
    assert [(m.contact_id, m.text) for m in chat.transport.take()] == [
        ("admin", "📋 运营周报（2026-W50）\n\n" + OVERDUE.format(n=1, lines=FB1.format(6))),
        ("mod", "📋 运营周报（2026-W50）\n\n" + OVERDUE.format(n=1, lines=FB1.format(6))),
        ("admin", OVERDUE.format(n=1, lines=FB2.format(3))),
        ("mod", OVERDUE.format(n=1, lines=FB2.format(3))),
    ]
    await app.advance_to(start + timedelta(days=7, hours=1))  # Tuesday: every overdue item again
    both = OVERDUE.format(n=2, lines=FB1.format(7) + "\n" + FB2.format(4))
    assert [(m.contact_id, m.text) for m in chat.transport.take()] == [("admin", both), ("mod", both)]


@pytest.mark.parametrize(
    "settings_overrides",
    [{"feedback": {"overdue_days": 3}, "scheduler": {"jobs": {"moderators_digest": {"cron": "0 10 * * 1"}}}}],
)
async def test_the_weekly_digest_after_the_daily_notice_leaves_out_what_the_notice_listed(
    chat: Chat, app, clock
) -> None:
    """The other order: the digest retimed to 10:00, after the daily notice (09:30)."""
    start = clock.now()  # Tuesday 2026-12-01 09:00 in Shanghai
    await chat.say("bob", BUG)
    await app.advance_to(start + timedelta(days=3, minutes=45))
    await chat.say("carol", IDEA)  # overdue on Monday at 09:45: after the daily notice (09:30)
    await app.advance_to(start + timedelta(days=5, hours=23))
    chat.transport.take()
    await app.advance_to(start + timedelta(days=6, hours=2))  # Monday: the notice at 09:30, the digest at 10:00
    assert [(m.contact_id, m.text) for m in chat.transport.take()] == [
        ("admin", OVERDUE.format(n=1, lines=FB1.format(6))),
        ("mod", OVERDUE.format(n=1, lines=FB1.format(6))),
        ("admin", "📋 运营周报（2026-W50）\n\n" + OVERDUE.format(n=1, lines=FB2.format(3))),
        ("mod", "📋 运营周报（2026-W50）\n\n" + OVERDUE.format(n=1, lines=FB2.format(3))),
    ]
    [asked] = await chat.dm("mod", "/周报")  # asked for, the digest shows every overdue item
    assert asked == "[dm mod] 📋 运营周报（2026-W50）\n\n" + OVERDUE.format(
        n=2, lines=FB1.format(6) + "\n" + FB2.format(3)
    )
    await app.advance_to(start + timedelta(days=7, hours=1))  # Tuesday: every overdue item again
    both = OVERDUE.format(n=2, lines=FB1.format(7) + "\n" + FB2.format(3))
    assert [(m.contact_id, m.text) for m in chat.transport.take()] == [("admin", both), ("mod", both)]


@pytest.mark.parametrize("settings_overrides", [{"scheduler": {"jobs": {"feedback_overdue": {"enabled": False}}}}])
async def test_the_digest_can_be_switched_off(chat: Chat, app, clock) -> None:
    await chat.say("bob", BUG)
    await app.advance_to(clock.now() + timedelta(days=10))
    # No daily digest; the weekly moderators' digest (Monday) still lists the overdue item.
    sent = chat.transport.take()
    assert [m.contact_id for m in sent] == ["admin", "mod"]
    assert all(m.text.startswith("📋 运营周报（2026-W50）\n\n超过 3 天还没有回复的反馈（1 条）") for m in sent)


def _cli(tmp_path: Path, database_url: str, *args: str, locale: str = "zh_CN") -> int:
    config = tmp_path / "kocbot.toml"
    config.write_text(f'[bot]\nlocale = "{locale}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8")
    return main(["--config", str(config), "--data-dir", str(tmp_path), "export", *args])


FEEDBACK_HEADINGS_ZH = "编号,类型,状态,标题,场景,步骤,期望,产品,部门,版本,重复于,提交人,+1 人数,提交时间"


async def test_exports_feedback_and_credits(chat: Chat, app, tmp_path, database_url, capsys) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", IDEA)
    await chat.say("dave", "/反馈 +1 FB-1 我也是")
    await chat.say("erin", "/反馈 +1 FB-1")
    await chat.say("mod", "/fb ship FB-1 v2.3")
    out = tmp_path / "fb.csv"
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "feedback", "--format", "csv", "--out", str(out)) == 0
    raw = out.read_bytes()
    # UTF-8 with a BOM (Excel and WPS keep the Chinese), headed in the community's language
    assert raw.startswith(f"\ufeff{FEEDBACK_HEADINGS_ZH}\r\n".encode())
    records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = [  # kinds and statuses as the chat names them
        ("FB-1", "缺陷", "已上线", "v2.3", "下单页点击支付以后闪退", "bob", "2", "2026-12-01 09:00"),
        ("FB-2", "建议", "已提交", "", "晚上打开 App 屏幕太亮", "carol", "0", "2026-12-01 09:00"),
    ]
    columns = ("编号", "类型", "状态", "版本", "标题", "提交人", "+1 人数", "提交时间")
    assert [tuple(r[c] for c in columns) for r in records] == expected
    book = tmp_path / "fb.xlsx"
    assert (
        await asyncio.to_thread(_cli, tmp_path, database_url, "feedback", "--format", "xlsx", "--out", str(book)) == 0
    )
    assert openpyxl.load_workbook(book).sheetnames == ["反馈"]
    sheet = openpyxl.load_workbook(book).active
    cells = [tuple("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)]
    heading = cells[0]
    assert [tuple(row[heading.index(c)] for c in columns) for row in cells[1:]] == expected
    capsys.readouterr()
    assert (
        await asyncio.to_thread(_cli, tmp_path, database_url, "feedback", "--format", "json", "--status", "submitted")
        == 0
    )
    [only] = json.loads(capsys.readouterr().out)  # JSON is for programs: English keys, raw values
    assert (only["id"], only["kind"], only["status"], only["expected"], only["steps"]) == (
        "FB-2",
        "suggestion",
        "submitted",
        "支持深色模式",
        "",
    )
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "credits", "v2.3") == 0
    assert capsys.readouterr().out == (
        "## 感谢社区的伙伴们（v2.3）\n\n- bob\n\n### 本版上线的反馈\n\n- FB-1 下单页点击支付以后闪退\n"
    )
    credits = tmp_path / "credits.csv"
    args = ("credits", "v2.3", "--format", "csv", "--out", str(credits))
    assert await asyncio.to_thread(_cli, tmp_path, database_url, *args) == 0
    raw = credits.read_bytes()
    assert raw.startswith("\ufeff成员,反馈编号,标题,上线时间\r\n".encode())  # a BOM, headed in the community's language
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:] == [
        ["bob", "FB-1", "下单页点击支付以后闪退", "2026-12-01 09:00"]
    ]
    book = tmp_path / "credits.xlsx"
    args = ("credits", "v2.3", "--format", "xlsx", "--out", str(book))
    assert await asyncio.to_thread(_cli, tmp_path, database_url, *args) == 0
    sheet = openpyxl.load_workbook(book)["致谢名单"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["成员", "反馈编号", "标题", "上线时间"],
        ["bob", "FB-1", "下单页点击支付以后闪退", "2026-12-01 09:00"],
    ]
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "credits", "v2.3", "--format", "json") == 1
    assert "credits exports as markdown, csv, xlsx, not json" in capsys.readouterr().err
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "feedback", "--status", "nope") == 1
    assert "unknown status" in capsys.readouterr().err


async def test_an_english_community_gets_its_exports_in_english(chat: Chat, app, tmp_path, database_url) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", IDEA)
    await chat.say("mod", "/fb ship FB-1 v2.3")
    out = tmp_path / "fb.csv"
    assert await asyncio.to_thread(_cli, tmp_path, database_url, "feedback", "--out", str(out), locale="en") == 0
    raw = out.read_bytes()
    headings = "Item,Type,Status,Title,Scenario,Steps,Expected,Product,Department,Version,Duplicate of,Reporter,+1s"
    assert raw.startswith(f"\ufeff{headings},Submitted at\r\n".encode())
    records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["Item"], r["Type"], r["Status"]) for r in records] == [
        ("FB-1", "bug", "shipped"),
        ("FB-2", "suggestion", "submitted"),
    ]
    book = tmp_path / "credits.xlsx"
    args = ("credits", "v2.3", "--format", "xlsx", "--out", str(book))
    assert await asyncio.to_thread(_cli, tmp_path, database_url, *args, locale="en") == 0
    assert next(openpyxl.load_workbook(book)["Credits"].iter_rows(values_only=True)) == (
        "Member",
        "Item",
        "Title",
        "Shipped at",
    )


async def test_an_operators_columns_template_must_give_every_heading(
    chat: Chat, app, tmp_path, database_url, capsys
) -> None:
    await chat.say("bob", BUG)
    mine = tmp_path / "templates" / "zh_CN" / "feedback"
    mine.mkdir(parents=True)
    (mine / "export_columns.j2").write_text("反馈\n编号\n类型\n", encoding="utf-8")
    config = tmp_path / "kocbot.toml"
    config.write_text(
        f'[bot]\ntemplates_dir = "{tmp_path / "templates"}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8"
    )
    argv = ["--config", str(config), "--data-dir", str(tmp_path), "export", "feedback"]
    assert await asyncio.to_thread(main, argv) == 1
    assert (
        "template feedback/export_columns gives 2 column headings after its sheet name, not 14"
        in capsys.readouterr().err
    )
