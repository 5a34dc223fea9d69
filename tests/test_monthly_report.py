"""The monthly community report: figures counted by hand, its text, its charts, the job on the 1st, the command, the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import insert

from bot import charts
from bot.bootstrap import open_app
from bot.cli import EXIT_INPUT, main
from bot.config import load_settings
from bot.db import schema
from bot.db.engine import create_engine
from bot.events import OutgoingMessage
from handlers import REGISTRIES, config_sections
from handlers.feedback.tables import history as fb_history
from handlers.feedback.tables import items as fb_items
from handlers.koc.tables import koc_events
from handlers.recognition.tables import actions, revocations, thanks
from handlers.reports.figures import Day, TitleRule
from handlers.reports.month import window
from handlers.reports.queries import month_figures
from handlers.threads.tables import events as thread_events
from handlers.threads.tables import rooms as thread_rooms
from handlers.threads.tables import threads
from tests.support import Chat, make_message, rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMMUNITIES = [{"id": "playground", "name": "新品体验一群"}, {"id": "two", "name": "二群"}]


@pytest.fixture
def settings_overrides() -> dict:
    return {"communities": COMMUNITIES}


def at(day: int, hour: int = 0, minute: int = 0, *, month: int = 11, year: int = 2026) -> datetime:
    """A moment in Shanghai, as the UTC instant the database keeps."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


class Seed:
    """November of `year`, row by row, with every edge of the month: what each figure is made of."""

    def __init__(self, conn: Any, year: int) -> None:
        self.conn, self.year = conn, year
        self.ids: dict[str, int] = {}
        self._messages = 0

    def t(self, day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
        return at(day, hour, minute, month=month, year=self.year)

    async def add(self, table: Any, **values: Any) -> int:
        return (await self.conn.execute(insert(table).values(**values).returning(*table.primary_key.columns))).first()[
            0
        ]

    async def all(self) -> None:
        for room, name in (("playground", "新品体验一群"), ("two", "二群")):
            self.ids[room] = await self.add(
                schema.communities, platform_id=room, name=name, created_at=self.t(1, month=10)
            )
        for who in ("alice", "bob", "carol", "dave", "erin", "mod"):
            self.ids[who] = await self.add(
                schema.members,
                platform_id=who,
                display_name=who,
                role="member",
                stage="member",
                created_at=self.t(1, month=10),
            )
        await self.memberships()
        await self.messages()
        await self.thanks()
        await self.feedback()
        await self.threads()
        await self.koc()

    async def memberships(self) -> None:
        for room, who, joined, left in (
            ("playground", "alice", self.t(1, month=10), None),
            ("playground", "bob", self.t(1, month=10), None),
            ("playground", "carol", self.t(10), None),
            ("playground", "dave", self.t(5), self.t(20)),
            ("playground", "erin", self.t(30, 23, 59), None),
            ("two", "alice", self.t(1), None),
            ("two", "erin", self.t(1, month=12), None),
            ("two", "bob", self.t(1, month=10), self.t(30, 23)),
        ):
            await self.add(
                schema.memberships,
                community_id=self.ids[room],
                member_id=self.ids[who],
                joined_at=joined,
                left_at=left,
                join_seen=(room, who) != ("two", "alice"),
            )
        # alice was first seen writing in 二群 on the 1st, never seen joining: she was there already.

    async def say(self, room: str | None, who: str, when: datetime) -> None:
        self._messages += 1
        await self.add(
            schema.messages,
            platform_msg_id=f"seed-{self._messages}",
            member_id=self.ids[who],
            community_id=self.ids[room] if room else None,
            kind="text",
            text="…",
            mentions=[],
            received_at=when,
        )

    async def messages(self) -> None:
        for room, who, when in (
            ("playground", "alice", self.t(31, 23, 59, month=10)),
            ("playground", "alice", self.t(1)),
            ("playground", "alice", self.t(1, 10)),
            ("playground", "bob", self.t(1, 11)),
            ("playground", "bob", self.t(15, 12)),
            ("playground", "carol", self.t(30, 23, 59)),
            ("playground", "dave", self.t(1, month=12)),
            ("two", "alice", self.t(2, 9)),
            ("two", "bob", self.t(2, 10)),
            ("two", "bob", self.t(2, 11)),
            (None, "carol", self.t(3, 9)),
        ):
            await self.say(room, who, when)

    async def thanks(self) -> None:
        given = {}
        for room, giver, receiver, month, counted in (
            ("playground", "alice", "bob", 11, True),
            ("playground", "carol", "bob", 11, True),
            ("playground", "erin", "bob", 11, True),
            ("playground", "bob", "alice", 11, True),
            ("playground", "dave", "bob", 11, True),
            ("playground", "alice", "alice", 11, False),
            ("two", "alice", "bob", 11, True),
            ("playground", "bob", "carol", 10, True),
        ):
            given[(room, giver, receiver)] = await self.add(
                thanks,
                giver_id=self.ids[giver],
                receiver_id=self.ids[receiver],
                community_id=self.ids[room],
                month=f"{self.year}-{month:02d}",
                created_at=self.t(10, month=month),
                reason="谢谢",
                via="message",
                counted=counted,
                why_not=None if counted else "self",
            )
        # One revoked in the month; one revoked after it, which November still counts (as it stood then).
        for key, when in ((("playground", "dave", "bob"), self.t(12)), (("two", "alice", "bob"), self.t(2, month=12))):
            action = await self.add(actions, kind="thanks_revoke", actor_id=self.ids["mod"], created_at=when)
            await self.add(revocations, thanks_id=given[key], action_id=action, created_at=when)

    async def item(
        self, kind: str, room: str | None, created: datetime, *moves: tuple[str, str | None, datetime]
    ) -> None:
        item_id = await self.add(
            fb_items,
            kind=kind,
            status="submitted",
            title="t",
            scenario="s",
            expected="e",
            reporter_id=self.ids["alice"],
            community_id=self.ids[room] if room else None,
            created_at=created,
            updated_at=created,
        )
        await self.add(fb_history, item_id=item_id, what="submitted", to_status="submitted", created_at=created)
        for what, to_status, when in moves:
            await self.add(
                fb_history, item_id=item_id, what=what, to_status=to_status, created_at=when, actor_id=self.ids["mod"]
            )

    async def feedback(self) -> None:
        await self.item(
            "bug",
            "playground",
            self.t(3, 10),
            ("status", "acknowledged", self.t(3, 14)),
            ("status", "adopted", self.t(10)),
        )  # FB-1: answered in 4 hours, adopted
        await self.item(
            "suggestion",
            "two",
            self.t(4, 9),
            ("status", "under_review", self.t(5, 9)),
            ("status", "adopted", self.t(6)),
            ("status", "shipped", self.t(20)),
        )  # FB-2: 24 hours
        await self.item("confusion", None, self.t(29, 20), ("status", "acknowledged", self.t(1, 10, month=12)))
        await self.item(
            "bug",
            "playground",
            self.t(20, month=10),
            ("status", "acknowledged", self.t(21, month=10)),
            ("status", "shipped", self.t(12)),
        )  # FB-4: October's, shipped in November
        await self.item("bug", "playground", self.t(1, month=12))  # FB-5: December's
        await self.item(
            "bug",
            "playground",
            self.t(10, 9),
            ("assigned", None, self.t(10, 10)),
            ("status", "acknowledged", self.t(11, 3)),
        )  # FB-6: 18 hours (the assignment is no answer)

    async def thread(
        self, title: str, created: datetime, rooms: list[tuple[str, datetime]], *moves: tuple[str, datetime]
    ) -> None:
        thread_id = await self.add(
            threads,
            title=title,
            status="open",
            opened_by=self.ids["mod"],
            created_at=created,
            updated_at=created,
            resolutions=0,
            flagged=False,
        )
        for room, raised in rooms:
            await self.add(thread_rooms, thread_id=thread_id, community_id=self.ids[room], raised_at=raised)
        for kind, when in moves:
            await self.add(thread_events, thread_id=thread_id, at=when, kind=kind, text="", details={})

    async def threads(self) -> None:
        t = self.t
        await self.thread("登录失败", t(2, 10), [("playground", t(2, 10)), ("two", t(3, 10))], ("resolve", t(4, 10)))
        await self.thread(
            "物流太慢",
            t(25, 10, month=10),
            [("playground", t(25, 10, month=10))],
            ("resolve", t(30, month=10)),
            ("reopen", t(1, 12)),
            ("resolve", t(2, 12)),
        )  # 194 hours
        await self.thread("客服回复慢", t(20, 9), [("playground", t(20, 9))])
        await self.thread("退款", t(25, 9), [("two", t(25, 9))], ("resolve", t(26, 9)), ("reopen", t(28)))
        await self.thread("旧问题", t(1, month=10), [("playground", t(1, month=10))])
        await self.thread("十二月的", t(1, 0, 30, month=12), [("two", t(1, 0, 30, month=12))])

    async def koc(self) -> None:
        t = self.t
        for who, kind, before, after, when in (
            ("bob", "promote", "member", "active", t(15, month=10)),
            ("bob", "rest", "active", "resting", t(5)),
            ("bob", "title", None, None, t(3)),
            ("bob", "return", "resting", "active", t(25)),
            ("carol", "invite", "member", "candidate", t(8)),
            ("carol", "promote", "candidate", "active", t(18)),
            ("dave", "promote", "member", "active", t(1, month=10)),
            ("dave", "exit_opened", "active", "active", t(12)),
            ("dave", "exit", "active", "alumni", t(14)),
            ("erin", "invite", "member", "candidate", t(28)),
            ("alice", "invite", "member", "candidate", t(1, 0, 10, month=12)),
        ):
            await self.add(
                koc_events, member_id=self.ids[who], at=when, kind=kind, from_stage=before, to_stage=after, details={}
            )


async def seed(engine: Any, year: int = 2026) -> None:
    async with engine.begin() as conn:
        await Seed(conn, year).all()


NOVEMBER_ZH = """📊 2026 年 11 月社群月报

👥 社群：共 8 条消息，3 人发过言
· 新品体验一群：月底 4 位成员（新加入 3，退出 1），5 条消息，3 人发言
· 二群：月底 1 位成员（新加入 0，退出 1），3 条消息，2 人发言

🙏 感谢：群友之间感谢了 5 次
最常被感谢：bob（4 次）、alice（1 次）

💡 反馈：收到 4 条，采纳 2 条，上线 2 条
首次回复用时中位数 18 小时（本月收到的已回复 3 条，月底还有 1 条没有回复）

🧵 问题：新开 3 个，解决 3 个，从提出到解决用时中位数 48 小时；月底还有 3 个没有解决

⭐ KOC：晋升 1 位（carol），回归 1 位（bob），休息 1 位（bob），退出 1 位（dave），新候选 2 位（carol、erin）
月底活跃 KOC 2 位，候选 1 位，休息中 0 位，名人堂 1 位"""


async def test_a_month_is_counted_by_hand_at_its_edges(app) -> None:
    await seed(app.engine)
    async with app.engine.connect() as conn:
        figures = await month_figures(
            conn, app.services.settings, window("2026-11", at(1, 9, month=12), "Asia/Shanghai")
        )
    assert [
        (c.name, c.members, c.joined, c.left, c.messages, c.active, c.thanks, c.feedback, c.threads)
        for c in figures.communities
    ] == [("新品体验一群", 4, 3, 1, 5, 3, 4, 2, 2), ("二群", 1, 0, 1, 3, 2, 1, 1, 2)]
    assert (figures.messages, figures.active_members, figures.thanks) == (8, 3, 5)
    assert [(h.name, h.thanks) for h in figures.helpers] == [("bob", 4), ("alice", 1)]
    assert [f.id for f in figures.feedback] == [1, 2, 3, 4, 6]
    assert (len(figures.received), figures.answered, figures.unanswered, figures.adopted, figures.shipped) == (
        4,
        3,
        1,
        2,
        2,
    )
    assert figures.median_response_hours == 18.0  # 4, 18 and 24 hours
    assert [t.id for t in figures.threads] == [1, 2, 3, 4]
    assert (figures.opened, figures.resolved, figures.threads_open) == (3, 3, 3)
    assert figures.median_resolution_hours == 48.0  # 24, 48 and 194 hours
    assert [(k.name, k.kind) for k in figures.koc_changes] == [
        ("bob", "rest"),
        ("carol", "invite"),
        ("dave", "exit"),
        ("carol", "promote"),
        ("bob", "return"),
        ("erin", "invite"),
    ]
    assert figures.stages == {"candidate": 1, "active": 2, "resting": 0, "alumni": 1}
    assert len(figures.days) == 30 and figures.days[0] == Day(figures.days[0].day, 3, 2)
    busy = {d.day.day: (d.messages, d.active) for d in figures.days if d.messages}
    assert busy == {1: (3, 2), 2: (3, 2), 15: (1, 1), 30: (1, 1)}
    assert app.services.renderer.render("reports/monthly", "zh_CN", r=figures, as_of=None) == NOVEMBER_ZH


def opened(message: OutgoingMessage) -> Image.Image:
    assert message.image is not None
    picture = Image.open(io.BytesIO(message.image.data))
    picture.load()  # a truncated file fails here
    return picture


def pictures(sent: list[OutgoingMessage]) -> list[tuple[str, str, tuple[int, int]]]:
    return [(m.contact_id or m.room_id or "", m.image.name, opened(m).size) for m in sent if m.image]


SIZE = (charts.WIDTH, charts.HEIGHT)


async def test_on_the_1st_the_moderators_get_last_month_once_even_after_a_restart(settings, clock, transport) -> None:
    first = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await first.start()
    await seed(first.engine)
    await first.drain()  # 1 December, 09:00: the job's first run
    await first.close()
    sent = transport.take()
    texts = [(m.contact_id, m.text) for m in sent if not m.image]
    assert texts == [("admin", NOVEMBER_ZH), ("mod", NOVEMBER_ZH)]
    names = ["monthly-2026-11-activity.png", "monthly-2026-11-contributions.png", "monthly-2026-11-daily.png"]
    assert pictures(sent) == [(who, name, SIZE) for who in ("admin", "mod") for name in names]
    assert [m.text for m in sent if m.image][:3] == [
        "📈 2026 年 11 月 各社群的消息与发言人数",
        "📈 2026 年 11 月 各社群的感谢、反馈与问题",
        "📈 2026 年 11 月 每天的消息与发言人数（所有社群）",
    ]
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    try:
        await app.advance_to(at(1, 12, month=12))
        assert [m for m in transport.take() if m.image or m.text.startswith("📊")] == []
        runs = await rows(app, schema.scheduled_runs, schema.scheduled_runs.c.job_id == "builtin:monthly_report")
        assert [(r.run_time, r.outcome) for r in runs] == [(at(1, 9, month=12), "done")]
    finally:
        await app.close()


NOVEMBER_EN = """📊 Community report, November 2026

👥 Communities: 8 messages; 3 members wrote
· 新品体验一群: 4 members at the end of the month (3 joined, 1 left), 5 messages from 3 members
· 二群: 1 member at the end of the month (0 joined, 1 left), 3 messages from 2 members

🙏 Thanks: members thanked each other 5 times
Most thanked: bob (4), alice (1)

💡 Feedback: 4 received, 2 adopted, 2 shipped
Median time to first response: 18 hours (3 answered, 1 not answered at the end of the month)

🧵 Issue threads: 3 opened, 3 resolved, median time to resolution 48 hours; 3 still open at the end of the month

⭐ KOCs: 1 promoted (carol); 1 back (bob); 1 resting (bob); 1 exited (dave); 2 new candidates (carol and erin)
At the end of the month: 2 active KOCs, 1 candidate, 0 resting, 1 in the hall of fame"""


async def test_with_a_moderators_room_it_is_posted_there_in_the_room_s_language(
    tmp_path, database_url, clock, transport
) -> None:
    settings = load_settings(
        environ={},
        data_dir=tmp_path,
        capability_sections=config_sections(),
        overrides={
            "database": {"url": database_url},
            "reports": {"room": "mods"},
            "communities": [*COMMUNITIES, {"id": "mods", "name": "运营群", "locale": "en"}],
        },
    )
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    try:
        await seed(app.engine)
        await app.drain()
        sent = transport.take()
    finally:
        await app.close()
    assert [(m.room_id, m.text) for m in sent if not m.image] == [("mods", NOVEMBER_EN)]  # not among the communities
    assert [(m.room_id, m.text) for m in sent if m.image] == [
        ("mods", "📈 Messages and members who wrote, per community, November 2026"),
        ("mods", "📈 Thanks, feedback and issue threads per community, November 2026"),
        ("mods", "📈 Messages and members who wrote, day by day (every community), November 2026"),
    ]
    assert [size for _, _, size in pictures(sent)] == [SIZE] * 3


async def ask(chat: Chat, sender: str, text: str) -> list[OutgoingMessage]:
    chat.transport.inject(make_message(text, sender))
    await chat.app.drain()
    return chat.transport.take()


DECEMBER_SO_FAR = """📊 2026 年 12 月社群月报（截至 12-01 09:00，本月还没有结束）

👥 社群：共 1 条消息，1 人发过言
· 新品体验一群：目前 5 位成员（新加入 0，退出 0），1 条消息，1 人发言
· 二群：目前 2 位成员（新加入 1，退出 0），0 条消息，0 人发言

🙏 感谢：群友之间感谢了 0 次

💡 反馈：收到 1 条，采纳 0 条，上线 0 条
本月收到的 1 条目前都还没有回复

🧵 问题：新开 1 个，解决 0 个；目前还有 4 个没有解决

⭐ KOC：新候选 1 位（alice）
目前活跃 KOC 2 位，候选 2 位，休息中 0 位，名人堂 1 位"""


async def test_a_moderator_gets_any_month_privately_on_demand(chat: Chat, app) -> None:
    await app.drain()  # the 1st's run: November is empty yet, nothing is sent
    assert chat.transport.take() == []
    await seed(app.engine)
    sent = await ask(chat, "mod", "/报告 月度 2026-11")
    assert [(m.contact_id, m.text) for m in sent if not m.image] == [("mod", NOVEMBER_ZH)]
    assert pictures(sent) == [
        ("mod", f"monthly-2026-11-{name}.png", SIZE) for name in ("activity", "contributions", "daily")
    ]
    sent = await ask(chat, "mod", "/月报")  # so far, this instant included: mod, first seen asking, is a member
    assert [(m.contact_id, m.text) for m in sent if not m.image] == [("mod", DECEMBER_SO_FAR)]
    assert len(pictures(sent)) == 3
    assert await chat.say("mod", "/报告 月度 十一月") == [
        "[dm mod] “十一月”不是月份，请写成 2026-12 这样。\n正确的用法：/报告 月度 [2026-12] （或 /月报、/report monthly）"
    ]
    assert await chat.say("mod", "/report monthly 2027-01") == [
        "[dm mod] 2027-01 还没有开始，还没有可以报告的内容。本月到目前为止的月报：/报告 月度"
    ]
    [refused] = await chat.say("alice", "/月报 2026-11")
    assert refused.startswith("[playground] @alice 抱歉，/report monthly 只有社群运营可以使用。")
    audit = [(a.action, a.outcome, a.details.get("month")) for a in await rows(app, schema.audit_log)]
    assert audit[:2] == [("report monthly", "ok", "2026-11"), ("report monthly", "ok", "2026-12")]
    # Each made away from the chat (bot.heavy), answered once it was ready.
    made = [(r.work, r.status, r.params["month"]) for r in await rows(app, schema.heavy_requests)]
    assert made == [("monthly report", "done", "2026-11"), ("monthly report", "done", "2026-12")]


def _csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel and WPS keep the Chinese
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


async def _seed_and_close(url: str, year: int) -> None:
    engine = create_engine(url)
    try:
        await seed(engine, year)
    finally:
        await engine.dispose()


def test_the_cli_writes_the_text_the_charts_and_a_csv_per_table(database_url: str, tmp_path: Path, capsys) -> None:
    asyncio.run(_seed_and_close(database_url, 2024))
    config = tmp_path / "kocbot.toml"
    config.write_text(
        f'[database]\nurl = "{database_url}"\n\n[[communities]]\nid = "playground"\nname = "新品体验一群"\n',
        encoding="utf-8",
    )
    # Made as of a pinned time, so the month is over whatever the day the test runs.
    base = ["--config", str(config), "--data-dir", str(tmp_path), "report", "monthly", "--as-of", "2024-12-02 09:00"]
    out = tmp_path / "out"
    assert main([*base, "2024-11", "--out", str(out)]) == 0
    stem = "monthly-2024-11"
    names = [
        f"{stem}.txt",
        *(f"{stem}-{c}.png" for c in ("activity", "contributions", "daily")),
        *(f"{stem}-{t}.csv" for t in ("communities", "daily", "helpers", "feedback", "threads", "koc")),
        f"{stem}.xlsx",
    ]
    assert capsys.readouterr().out.splitlines() == [str(out / name) for name in names]
    assert (out / f"{stem}.txt").read_text(encoding="utf-8") == NOVEMBER_ZH.replace("2026 年", "2024 年") + "\n"
    for chart in ("activity", "contributions", "daily"):
        with Image.open(out / f"{stem}-{chart}.png") as picture:
            picture.load()
            assert (picture.format, picture.size) == ("PNG", SIZE)
    assert _csv(out / f"{stem}-communities.csv") == [
        ["社群", "成员", "新入群", "退群", "消息", "发言人数", "感谢", "反馈", "问题帖"],
        ["新品体验一群", "4", "3", "1", "5", "3", "4", "2", "2"],
        ["二群", "1", "0", "1", "3", "2", "1", "1", "2"],
    ]
    daily = _csv(out / f"{stem}-daily.csv")
    assert (len(daily), daily[:3], daily[-1]) == (
        31,
        [["日期", "消息", "发言人数"], ["2024-11-01", "3", "2"], ["2024-11-02", "3", "2"]],
        ["2024-11-30", "1", "1"],
    )
    assert _csv(out / f"{stem}-helpers.csv") == [
        ["排名", "成员", "被感谢次数"],
        ["1", "bob", "4"],
        ["2", "alice", "1"],
    ]
    assert _csv(out / f"{stem}-feedback.csv") == [
        ["反馈编号", "类型", "社群", "提交时间", "首次回复", "首次回复用时（小时）", "采纳时间", "上线时间"],
        ["FB-1", "缺陷", "新品体验一群", "2024-11-03 10:00", "2024-11-03 14:00", "4.0", "2024-11-10 00:00", ""],
        [
            "FB-2",
            "建议",
            "二群",
            "2024-11-04 09:00",
            "2024-11-05 09:00",
            "24.0",
            "2024-11-06 00:00",
            "2024-11-20 00:00",
        ],
        ["FB-3", "困惑", "", "2024-11-29 20:00", "", "", "", ""],
        ["FB-4", "缺陷", "新品体验一群", "2024-10-20 00:00", "2024-10-21 00:00", "24.0", "", "2024-11-12 00:00"],
        ["FB-6", "缺陷", "新品体验一群", "2024-11-10 09:00", "2024-11-11 03:00", "18.0", "", ""],
    ]
    assert _csv(out / f"{stem}-threads.csv") == [
        ["问题帖", "标题", "群", "开帖时间", "解决时间", "解决用时（小时）"],
        ["#1", "登录失败", "新品体验一群; 二群", "2024-11-02 10:00", "2024-11-04 10:00", "48.0"],
        ["#2", "物流太慢", "新品体验一群", "2024-10-25 10:00", "2024-11-02 12:00", "194.0"],
        ["#3", "客服回复慢", "新品体验一群", "2024-11-20 09:00", "", ""],
        ["#4", "退款", "二群", "2024-11-25 09:00", "2024-11-26 09:00", "24.0"],
    ]
    # headings, feedback kinds, KOC changes and stages in the community's language, as the chat names them
    assert _csv(out / f"{stem}-koc.csv") == [
        ["时间", "成员", "变化", "原阶段", "新阶段"],
        ["2024-11-05 00:00", "bob", "休息", "活跃", "休息"],
        ["2024-11-08 00:00", "carol", "邀请", "普通成员", "候选"],
        ["2024-11-14 00:00", "dave", "退出", "活跃", "名人堂"],
        ["2024-11-18 00:00", "carol", "晋升", "候选", "活跃"],
        ["2024-11-25 00:00", "bob", "回归", "休息", "活跃"],
        ["2024-11-28 00:00", "erin", "邀请", "普通成员", "候选"],
    ]
    book = openpyxl.load_workbook(out / f"{stem}.xlsx")
    assert book.sheetnames == ["社群", "每日", "感谢排行", "反馈", "问题帖", "KOC 变化"]
    assert [list(row) for row in book["感谢排行"].iter_rows(values_only=True)] == [
        ["排名", "成员", "被感谢次数"],
        [1, "bob", 4],
        [2, "alice", 1],
    ]
    assert main([*base, "2024-13"]) == EXIT_INPUT
    assert capsys.readouterr().err == "kocbot: '2024-13' is not a month: months run from 1 to 12\n"
    assert main([*base, "2024-12"]) == 0  # the month in progress at the pinned time
    capsys.readouterr()
    assert main([*base, "2025-01"]) == EXIT_INPUT
    assert capsys.readouterr().err == "kocbot: 2025-01 has not started yet\n"
    bad = ["--config", str(config), "--data-dir", str(tmp_path), "report", "monthly", "2024-11", "--as-of", "12/02"]
    assert main(bad) == EXIT_INPUT
    assert capsys.readouterr().err == (
        "kocbot: --as-of '12/02' is not a time: write YYYY-MM-DD or 'YYYY-MM-DD HH:MM'\n"
    )


def test_an_english_community_gets_the_report_tables_in_english(database_url: str, tmp_path: Path, capsys) -> None:
    asyncio.run(_seed_and_close(database_url, 2024))
    config = tmp_path / "kocbot.toml"
    config.write_text(f'[bot]\nlocale = "en"\n[database]\nurl = "{database_url}"\n', encoding="utf-8")
    out = tmp_path / "out"
    argv = ["--config", str(config), "--data-dir", str(tmp_path), "report", "monthly", "2024-11", "--out", str(out)]
    assert main([*argv, "--as-of", "2024-12-02"]) == 0
    stem = "monthly-2024-11"
    assert _csv(out / f"{stem}-communities.csv")[0] == [
        "Community",
        "Members",
        "Joined",
        "Left",
        "Messages",
        "Members who wrote",
        "Thanks",
        "Feedback",
        "Threads",
    ]
    assert [row[:2] for row in _csv(out / f"{stem}-feedback.csv")[:3]] == [
        ["Item", "Type"],
        ["FB-1", "bug"],
        ["FB-2", "suggestion"],
    ]
    assert _csv(out / f"{stem}-koc.csv")[:3] == [
        ["At", "Member", "Change", "From stage", "To stage"],
        ["2024-11-05 00:00", "bob", "resting", "active", "resting"],
        ["2024-11-08 00:00", "carol", "invited", "member", "candidate"],
    ]
    book = openpyxl.load_workbook(out / f"{stem}.xlsx")
    assert book.sheetnames == ["Communities", "Daily", "Most thanked", "Feedback", "Threads", "KOC changes"]
    assert next(book["Threads"].iter_rows(values_only=True)) == (
        "Thread",
        "Title",
        "Rooms",
        "Opened",
        "Resolved",
        "Hours to resolution",
    )


DECEMBER = """📊 2026 年 12 月社群月报

👥 社群：共 3 条消息，3 人发过言
· 新品体验一群：月底 4 位成员（新加入 1，退出 0），2 条消息，2 人发言
· 二群：月底 1 位成员（新加入 0，退出 1），1 条消息，1 人发言

🙏 感谢：群友之间感谢了 3 次
最常被感谢：bob（2 次）、erin（1 次）

💡 反馈：收到 2 条，采纳 1 条，上线 1 条
首次回复用时中位数 14 小时（本月收到的已回复 2 条）

🧵 问题：新开 1 个，解决 1 个，从提出到解决用时中位数 48 小时；月底还有 0 个没有解决

⭐ KOC：晋升 1 位（bob），休息 1 位（bob），新候选 1 位（dave）
月底活跃 KOC 0 位，候选 1 位，休息中 1 位，名人堂 0 位"""
BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
IDEA = "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式"


async def test_a_month_lived_through_the_bot_is_reported_on_the_1st(chat: Chat, app) -> None:
    """Everything said through the bot's own handlers in December, and the report on 1 January at 09:00."""
    await chat.join("carol")  # 1 December, 09:00
    await chat.say("alice", "谢谢 @bob 帮我查到了物流")
    await chat.say("carol", "谢谢 @bob")
    await chat.say("dave", "谢谢 @erin", room="two")
    await chat.say("bob", BUG)
    await chat.say("carol", IDEA)
    await chat.say("mod", "/问题 新建 登录失败 @bob")
    await chat.say("mod", "/koc 晋升 @bob 私域")
    await app.advance_to(at(1, 13, month=12))
    await chat.say("mod", "/fb status FB-1 acknowledged")  # 4 hours after it came
    await app.advance_to(at(2, 9, month=12))
    await chat.say("mod", "/fb status FB-2 under_review")  # 24 hours
    await app.advance_to(at(3, 9, month=12))
    await chat.say("mod", "/fb status FB-2 adopted")
    await chat.say("mod", "/问题 解决 1 已修复")  # 48 hours after it was opened
    await app.advance_to(at(20, 10, month=12))
    await chat.leave("erin", room="two")
    await chat.say("mod", "/fb ship FB-2 v2.3")
    await chat.say("mod", "/koc 休息 @bob 休息一阵")
    await chat.say("mod", "/koc 邀请 @dave")
    chat.transport.take()
    await app.advance_to(at(1, 9, month=1, year=2027))
    sent = [m for m in chat.transport.take() if m.image or m.text.startswith("📊")]
    assert [(m.contact_id, m.text) for m in sent if not m.image] == [("admin", DECEMBER), ("mod", DECEMBER)]
    assert [(who, name) for who, name, _ in pictures(sent)] == [
        (who, f"monthly-2026-12-{name}.png")
        for who in ("admin", "mod")
        for name in ("activity", "contributions", "daily")
    ]


async def test_a_report_missed_by_more_than_a_week_is_not_sent_late_but_stays_at_hand(
    settings, clock, transport
) -> None:
    clock.set(at(30, 12))
    first = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await first.start()
    await first.drain()  # the job's next run: 1 December, 09:00
    await seed(first.engine)
    await first.close()
    clock.set(at(8, 10, month=12))  # down for a week and a day
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    try:
        await app.drain()
        sent = transport.take()
        assert [m for m in sent if m.image or m.text.startswith("📊")] == []
        assert [(m.contact_id, m.text) for m in sent if "社群月报" in m.text] == [
            (
                who,
                "【定时任务未执行】社群月报原定 2026-12-01 09:00 执行，但机器人当时不在线，超过了补发时限（10080 分钟），"
                "本次已跳过，不会再补发。\n用 /报告 月度 2026-11 可以随时私信查看这份月报。",
            )
            for who in ("admin", "mod")
        ]
        chat = Chat(app, transport)
        sent = await ask(chat, "mod", "/报告 月度 2026-11")
        assert [(m.contact_id, m.text) for m in sent if not m.image] == [("mod", NOVEMBER_ZH)]
    finally:
        await app.close()


async def test_commands_refused_ones_and_the_bots_echoes_are_no_community_messages(chat: Chat, app) -> None:
    """One definition (bot.talk): members' talk in a room; no command (staff's, members', refused, unknown), no echo."""
    await chat.say("alice", "大家好")
    await chat.say("mod", "/fb list")
    await chat.say("alice", "/月报")  # refused: still a command
    await chat.say("bob", "/帮主")  # unknown: still a command
    await chat.say("bob", "谢谢 @alice")
    async with app.engine.begin() as conn:  # the bot's own post, as WeChat echoes it back
        await conn.execute(
            insert(schema.outbox).values(
                created_at=at(1, 9, month=12),
                not_before=at(1, 9, month=12),
                status="sent",
                room_platform_id="playground",
                text="欢迎",
                mentions=[],
                template="core/pong",
                locale="zh_CN",
                attempts=1,
                sent_at=at(1, 9, month=12),
                platform_msg_id="echo-1",
            )
        )
    await chat.send(make_message("欢迎", "kocbot-account", message_id="echo-1"))
    async with app.engine.connect() as conn:
        figures = await month_figures(
            conn, app.services.settings, window("2026-12", at(2, 9, month=12), "Asia/Shanghai")
        )
    playground = figures.communities[0]
    assert (playground.messages, playground.active, figures.messages, figures.active_members) == (2, 2, 2, 2)
    assert [(d.messages, d.active) for d in figures.days[:2]] == [(2, 2), (0, 0)]


@pytest.mark.parametrize(
    "settings_overrides", [{"communities": COMMUNITIES, "recognition": {"monthly_thanks_threshold": 4}}]
)
async def test_the_thanks_title_lists_only_who_reached_its_rule(app) -> None:
    await seed(app.engine)
    async with app.engine.connect() as conn:
        figures = await month_figures(
            conn, app.services.settings, window("2026-11", at(1, 9, month=12), "Asia/Shanghai")
        )
    assert figures.title_rule == TitleRule("热心答主", 4, ("bob",))  # alice, thanked once, is no 热心答主
    text = app.services.renderer.render("reports/monthly", "zh_CN", r=figures, as_of=at(1, 9, month=12))
    assert "最常被感谢：bob（4 次）、alice（1 次）\n一个月收到 4 次感谢、获得「热心答主」：bob\n" in text
