"""The console's overview figures, /healthz and /metrics, and its words in both languages."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from tests.support import Chat
from tests.web_support import console_client, sign_in

PROJECT = Path(__file__).resolve().parent.parent


async def test_the_overview_counts_today_and_the_week_per_room(app, chat: Chat, clock: FakeClock) -> None:
    await chat.say("bob", "大家好")  # Tuesday 2026-12-01, this week
    clock.advance(timedelta(days=1))  # Wednesday: today
    await chat.say("carol", "谢谢 @bob 帮我解决了问题")
    await chat.say("bob", "不客气", room="二群")
    await chat.say("mod", "/fb list")  # commands, a staff's or a refused one, are no community messages (bot.talk)
    await chat.say("alice", "/月报")
    client = await console_client(app)
    await sign_in(client, chat)
    page = (await client.get("/")).text
    row = re.search(r'<th scope="row">Playground</th>(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td>(?:<a [^>]*>)?(?:<span class=\"zero\">)?(\d+)", row[1])
    # messages today, week; active today, week; thanks today, week; feedback today, week; questions unanswered
    # today, week; open threads
    assert cells == ["1", "2", "1", "2", "1", "1", "0", "0", "0", "0", "0"]
    assert 'href="/members?room=1&amp;since=2026-12-02&amp;sort=thanks"' in page


async def test_a_campaigns_chart_is_drawn_for_the_console(app, chat: Chat) -> None:
    await chat.say("bob", "大家好")
    await chat.say("mod", "/活动 创建 X1预热 --上线 2026-12-15 #Playground")
    await chat.say("bob", "猜是新耳机")
    client = await console_client(app)
    await sign_in(client, chat)
    drawn = await client.get("/campaigns/1/chart.png")
    assert (drawn.status_code, drawn.headers["content-type"], drawn.content[:4]) == (200, "image/png", b"\x89PNG")


async def test_the_overview_counts_questions_nobody_answered(app, chat: Chat, clock: FakeClock) -> None:
    from bot.events import Contact, Quote

    await chat.say("bob", "请问耳机怎么恢复出厂设置？")  # Tuesday: this week; nobody answers it
    await app.advance_to(clock.now() + timedelta(days=1))  # Wednesday, today
    asked = "请问充电盒的灯一直闪是什么原因？"
    await chat.say("dave", asked, message_id="q-2")  # answered by a quote below
    await chat.say("erin", "把充电盒盖上再打开一次就好", quote=Quote(asked, Contact("dave", "dave"), "q-2"))
    await chat.say("carol", "请问耳机怎么连接两台手机？")  # unanswered
    await app.advance_to(clock.now() + timedelta(minutes=30))  # the questions are settled when they fall due
    client = await console_client(app)
    await sign_in(client, chat)
    page = (await client.get("/")).text
    row = re.search(r'<th scope="row">Playground</th>(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td>(?:<a [^>]*>)?(?:<span class=\"zero\">)?(\d+)", row[1])
    assert cells[8:10] == ["1", "2"]  # unanswered: today's one, the week's two (not dave's, answered)
    assert "未回答的提问" in page


async def test_healthz_reports_the_database_transport_and_scheduler(app) -> None:
    await app.drain()  # the scheduler has looked for its lock (SQLite: one process, the leader)
    client = await console_client(app)
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "outbox_oldest_pending_seconds": 0.0,
        "database": "ok",
        "transport": "connected",
        "scheduler": "leader",
        "status": "ok",
    }
    app.transport.connected = False  # the connection to WeChat is lost
    lost = await client.get("/healthz")
    assert (lost.status_code, lost.json()["transport"], lost.json()["status"]) == (503, "disconnected", "failing")


async def test_metrics_in_prometheus_text_and_behind_a_token_when_set(app, chat: Chat) -> None:
    await chat.say("bob", "/ping")
    text = (await (await console_client(app)).get("/metrics")).text
    assert 'kocbot_events_handled_total{kind="text"} 1.0' in text
    assert "kocbot_pipeline_latency_seconds_count 1.0" in text
    assert 'kocbot_outbox_messages{state="failed"} 0.0' in text
    await app.drain()  # the reply goes out
    text = (await (await console_client(app)).get("/metrics")).text
    assert 'kocbot_sends_total{transport="memory"} 1.0' in text
    assert "kocbot_transport_connected 1.0" in text and "kocbot_scheduler_lag_seconds" in text


def test_every_word_of_the_pages_exists_in_both_languages() -> None:
    used = set()
    for page in (PROJECT / "web" / "templates").glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z_.]+)["']""", page.read_text(encoding="utf-8")))
    used = {key for key in used if not key.endswith(".")}  # a prefix: the rest comes from the data
    labels = {
        locale: tomllib.loads((PROJECT / "templates" / locale / "web" / "labels.toml").read_text(encoding="utf-8"))
        for locale in ("zh_CN", "en")
    }
    assert used - set(labels["zh_CN"]) == set()
    assert set(labels["zh_CN"]) == set(labels["en"])


async def test_metrics_export_each_lanes_depth_and_oldest_wait(app) -> None:
    """Issue 22's lanes on /metrics: due messages per lane and how long the oldest of each has waited."""
    from bot.db.schema import Delivery, OutgoingKind
    from bot.outbox import Draft
    from tests.support import enqueue

    now = app.clock.now()
    drafts = [
        Draft("公告一", "t", "zh_CN", room_id="r1", delivery=Delivery.ROUTINE, not_before=now - timedelta(seconds=90)),
        Draft("公告二", "t", "zh_CN", room_id="r2", delivery=Delivery.ROUTINE),
        Draft("明天的公告", "t", "zh_CN", room_id="r3", delivery=Delivery.ROUTINE, not_before=now + timedelta(days=1)),
    ]
    async with app.engine.begin() as conn:  # queued, not sent: nothing drains the outbox here
        for draft in drafts:
            await enqueue(conn, draft, now, app.database.addressing)
    assert {d.kind for d in drafts} == {OutgoingKind.UNSOLICITED}
    text = (await (await console_client(app)).get("/metrics")).text
    assert 'kocbot_outbox_lane_messages{lane="unsolicited"} 2.0' in text  # tomorrow's is not due
    assert 'kocbot_outbox_lane_messages{lane="reply"} 0.0' in text
    assert 'kocbot_outbox_lane_messages{lane="transactional"} 0.0' in text
    assert 'kocbot_outbox_lane_oldest_seconds{lane="unsolicited"} 90.0' in text
    assert 'kocbot_outbox_lane_oldest_seconds{lane="reply"} 0.0' in text
