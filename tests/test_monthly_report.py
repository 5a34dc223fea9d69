"""The monthly community report: figures counted by hand, its text, its charts, the job on the 1st, the command, the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import insert, select

from bot import charts
from bot.bootstrap import open_app
from bot.cli import EXIT_INPUT, main
from bot.db import schema
from bot.db.engine import create_engine
from bot.events import OutgoingMessage
from handlers import REGISTRIES
from handlers.feedback.tables import history as fb_history
from handlers.feedback.tables import items as fb_items
from handlers.koc.tables import koc_events
from handlers.recognition.tables import actions, revocations, thanks
from handlers.reports.figures import Day, month_figures, window
from handlers.threads.tables import events as thread_events
from handlers.threads.tables import rooms as thread_rooms
from handlers.threads.tables import threads
from tests.support import Chat, rows

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
        self.conn, self.year, self.ids = conn, year, {}
        self._messages = 0

    def t(self, day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
        return at(day, hour, minute, month=month, year=self.year)

    async def add(self, table: Any, **values: Any) -> int:
        return (await self.conn.execute(insert(table).values(**values).returning(*table.primary_key.columns))).first()[0]

    async def all(self) -> None:
        for room, name in (("playground", "新品体验一群"), ("two", "二群")):
            self.ids[room] = await self.add(schema.communities, platform_id=room, name=name, created_at=self.t(1, month=10))
        for who in ("alice", "bob", "carol", "dave", "erin", "mod"):
            self.ids[who] = await self.add(schema.members, platform_id=who, display_name=who, role="member",
                                           stage="member", created_at=self.t(1, month=10))
        await self.memberships()
        await self.messages()
        await self.thanks()
        await self.feedback()
        await self.threads()
        await self.koc()

    async def memberships(self) -> None:
        for room, who, joined, left in (
                ("playground", "alice", self.t(1, month=10), None), ("playground", "bob", self.t(1, month=10), None),
                ("playground", "carol", self.t(10), None), ("playground", "dave", self.t(5), self.t(20)),
                ("playground", "erin", self.t(30, 23, 59), None),
                ("two", "alice", self.t(1), None), ("two", "erin", self.t(1, month=12), None),
                ("two", "bob", self.t(1, month=10), self.t(30, 23))):
            await self.add(schema.memberships, community_id=self.ids[room], member_id=self.ids[who],
                           joined_at=joined, left_at=left)

    async def say(self, room: str | None, who: str, when: datetime) -> None:
        self._messages += 1
        await self.add(schema.messages, platform_msg_id=f"seed-{self._messages}", member_id=self.ids[who],
                       community_id=self.ids[room] if room else None, kind="text", text="…", mentions=[],
                       received_at=when)

    async def messages(self) -> None:
        for room, who, when in (
                ("playground", "alice", self.t(31, 23, 59, month=10)), ("playground", "alice", self.t(1)),
                ("playground", "alice", self.t(1, 10)), ("playground", "bob", self.t(1, 11)),
                ("playground", "bob", self.t(15, 12)), ("playground", "carol", self.t(30, 23, 59)),
                ("playground", "dave", self.t(1, month=12)),
                ("two", "alice", self.t(2, 9)), ("two", "bob", self.t(2, 10)), ("two", "bob", self.t(2, 11)),
                (None, "carol", self.t(3, 9))):
            await self.say(room, who, when)

    async def thanks(self) -> None:
        given = {}
        for room, giver, receiver, month, counted in (
                ("playground", "alice", "bob", 11, True), ("playground", "carol", "bob", 11, True),
                ("playground", "erin", "bob", 11, True), ("playground", "bob", "alice", 11, True),
                ("playground", "dave", "bob", 11, True), ("playground", "alice", "alice", 11, False),
                ("two", "alice", "bob", 11, True), ("playground", "bob", "carol", 10, True)):
            given[(giver, receiver)] = await self.add(
                thanks, giver_id=self.ids[giver], receiver_id=self.ids[receiver], community_id=self.ids[room],
                month=f"{self.year}-{month:02d}", created_at=self.t(10, month=month), reason="谢谢", via="message",
                counted=counted, why_not=None if counted else "self")
        action = await self.add(actions, kind="thanks_revoke", actor_id=self.ids["mod"], created_at=self.t(12))
        await self.add(revocations, thanks_id=given[("dave", "bob")], action_id=action, created_at=self.t(12))

    async def item(self, kind: str, room: str | None, created: datetime, *moves: tuple[str, str, datetime]) -> None:
        item_id = await self.add(fb_items, kind=kind, status="submitted", title="t", scenario="s", expected="e",
                                 reporter_id=self.ids["alice"], community_id=self.ids[room] if room else None,
                                 created_at=created, updated_at=created)
        await self.add(fb_history, item_id=item_id, what="submitted", to_status="submitted", created_at=created)
        for what, to_status, when in moves:
            await self.add(fb_history, item_id=item_id, what=what, to_status=to_status, created_at=when,
                           actor_id=self.ids["mod"])

    async def feedback(self) -> None:
        await self.item("bug", "playground", self.t(3, 10), ("status", "acknowledged", self.t(3, 14)),
                        ("status", "adopted", self.t(10)))  # FB-1: answered in 4 hours, adopted
        await self.item("suggestion", "two", self.t(4, 9), ("status", "under_review", self.t(5, 9)),
                        ("status", "adopted", self.t(6)), ("status", "shipped", self.t(20)))  # FB-2: 24 hours
        await self.item("confusion", None, self.t(29, 20), ("status", "acknowledged", self.t(1, 10, month=12)))
        await self.item("bug", "playground", self.t(20, month=10), ("status", "acknowledged", self.t(21, month=10)),
                        ("status", "shipped", self.t(12)))  # FB-4: October's, shipped in November
        await self.item("bug", "playground", self.t(1, month=12))  # FB-5: December's
        await self.item("bug", "playground", self.t(10, 9), ("assigned", None, self.t(10, 10)),
                        ("status", "acknowledged", self.t(11, 3)))  # FB-6: 18 hours (the assignment is no answer)

    async def thread(self, title: str, created: datetime, rooms: list[tuple[str, datetime]],
                     *moves: tuple[str, datetime]) -> None:
        thread_id = await self.add(threads, title=title, status="open", opened_by=self.ids["mod"], created_at=created,
                                   updated_at=created, resolutions=0, flagged=False)
        for room, raised in rooms:
            await self.add(thread_rooms, thread_id=thread_id, community_id=self.ids[room], raised_at=raised)
        for kind, when in moves:
            await self.add(thread_events, thread_id=thread_id, at=when, kind=kind, text="", details={})

    async def threads(self) -> None:
        t = self.t
        await self.thread("登录失败", t(2, 10), [("playground", t(2, 10)), ("two", t(3, 10))], ("resolve", t(4, 10)))
        await self.thread("物流太慢", t(25, 10, month=10), [("playground", t(25, 10, month=10))],
                          ("resolve", t(30, month=10)), ("reopen", t(1, 12)), ("resolve", t(2, 12)))  # 194 hours
        await self.thread("客服回复慢", t(20, 9), [("playground", t(20, 9))])
        await self.thread("退款", t(25, 9), [("two", t(25, 9))], ("resolve", t(26, 9)), ("reopen", t(28)))
        await self.thread("旧问题", t(1, month=10), [("playground", t(1, month=10))])
        await self.thread("十二月的", t(1, 0, 30, month=12), [("two", t(1, 0, 30, month=12))])

    async def koc(self) -> None:
        t = self.t
        for who, kind, before, after, when in (
                ("bob", "promote", "member", "active", t(15, month=10)), ("bob", "rest", "active", "resting", t(5)),
                ("bob", "title", None, None, t(3)), ("bob", "return", "resting", "active", t(25)),
                ("carol", "invite", "member", "candidate", t(8)), ("carol", "promote", "candidate", "active", t(18)),
                ("dave", "promote", "member", "active", t(1, month=10)),
                ("dave", "exit_opened", "active", "active", t(12)), ("dave", "exit", "active", "alumni", t(14)),
                ("erin", "invite", "member", "candidate", t(28)),
                ("alice", "invite", "member", "candidate", t(1, 0, 10, month=12))):
            await self.add(koc_events, member_id=self.ids[who], at=when, kind=kind, from_stage=before, to_stage=after,
                           details={})


async def seed(engine: Any, year: int = 2026) -> None:
    async with engine.begin() as conn:
        await Seed(conn, year).all()


NOVEMBER_ZH = """📊 2026 年 11 月社群月报

👥 社群：共 8 条消息，3 人发过言
· 新品体验一群：月底 4 位成员（新加入 3，退出 1），5 条消息，3 人发言
· 二群：月底 1 位成员（新加入 1，退出 1），3 条消息，2 人发言

🙏 感谢：群友之间感谢了 5 次
热心答主：bob（4 次）、alice（1 次）

💡 反馈：收到 4 条，采纳 2 条，上线 2 条
首次回复用时中位数 18 小时（本月收到的已回复 3 条，月底还有 1 条没有回复）

🧵 问题：新开 3 个，解决 3 个，从提出到解决用时中位数 48 小时；月底还有 3 个没有解决

⭐ KOC：晋升 1 位（carol），回归 1 位（bob），休息 1 位（bob），退出 1 位（dave），新候选 2 位（carol、erin）
月底活跃 KOC 2 位，候选 1 位，休息中 0 位，名人堂 1 位"""


async def test_a_month_is_counted_by_hand_at_its_edges(app) -> None:  # noqa: ANN001
    await seed(app.engine)
    async with app.engine.connect() as conn:
        figures = await month_figures(conn, app.services.settings, window("2026-11", at(1, 9, month=12), "Asia/Shanghai"))
    assert [(c.name, c.members, c.joined, c.left, c.messages, c.active, c.thanks, c.feedback, c.threads)
            for c in figures.communities] == [("新品体验一群", 4, 3, 1, 5, 3, 4, 2, 2), ("二群", 1, 1, 1, 3, 2, 1, 1, 2)]
    assert (figures.messages, figures.active_members, figures.thanks) == (8, 3, 5)
    assert [(h.name, h.thanks) for h in figures.helpers] == [("bob", 4), ("alice", 1)]
    assert [f.id for f in figures.feedback] == [1, 2, 3, 4, 6]
    assert (len(figures.received), figures.answered, figures.unanswered, figures.adopted, figures.shipped) == (4, 3, 1, 2, 2)
    assert figures.median_response_hours == 18.0  # 4, 18 and 24 hours
    assert [t.id for t in figures.threads] == [1, 2, 3, 4]
    assert (figures.opened, figures.resolved, figures.threads_open) == (3, 3, 3)
    assert figures.median_resolution_hours == 48.0  # 24, 48 and 194 hours
    assert [(k.name, k.kind) for k in figures.koc_changes] == [
        ("bob", "rest"), ("carol", "invite"), ("dave", "exit"), ("carol", "promote"), ("bob", "return"), ("erin", "invite")]
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


async def test_on_the_1st_the_moderators_get_last_month_once_even_after_a_restart(settings, clock, transport) -> None:  # noqa: ANN001
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
        "📈 2026 年 11 月 各社群的消息与发言人数", "📈 2026 年 11 月 各社群的感谢、反馈与问题",
        "📈 2026 年 11 月 每天的消息与发言人数（所有社群）"]
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    try:
        await app.advance_to(at(1, 12, month=12))
        assert [m for m in transport.take() if m.image or m.text.startswith("📊")] == []
        runs = await rows(app, schema.scheduled_runs, schema.scheduled_runs.c.job_id == "builtin:monthly_report")
        assert [(r.run_time, r.outcome) for r in runs] == [(at(1, 9, month=12), "done")]
    finally:
        await app.close()
