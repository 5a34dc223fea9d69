"""/campaign ignition, /campaign report (text and chart), the weekly ignition rewards, and the CLI report."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from PIL import Image as Picture

from bot import charts
from bot.app import App
from bot.clock import FakeClock
from bot.db import schema
from bot.transports.memory import InMemoryTransport
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.ignition import Aftermath
from handlers.campaigns.tables import awards
from handlers.recognition.tables import ledger, title_events
from tests.support import Chat, make_message, rows
from tests.test_campaign_ignition import SHANGHAI, baseline, conversation, create_campaign, local, member_id


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "campaigns": {
            "rewards": [
                {"period": "week", "rank_by": "participants", "who": "koc", "top": 3, "points": 20, "title": "引爆者"},
                {"period": "week", "rank_by": "score", "who": "members", "top": 1, "points": 5, "title": ""},
            ]
        }
    }


@pytest.fixture
async def campaign(app: App, clock: FakeClock, chat: Chat) -> int:
    await baseline(app, clock, chat)
    clock.set(local(2, 9))
    await chat.dm("kate", "你好")  # seen (in private: no room's figures change): only then a KOC
    await chat.say("mod", "/koc promote @kate 私域")
    campaign_id = await create_campaign(app, keywords=("新品", "X1"))
    await conversation(chat, clock)
    return campaign_id


async def test_ignition_ranks_kocs_and_members_apart_with_each_factor(
    campaign: int, chat: Chat, clock: FakeClock
) -> None:
    clock.set(local(10, 9))
    [answer] = await chat.dm("mod", f"/活动 引爆 {campaign}")
    kocs, members = answer.split("普通成员：")
    assert (
        "1. kate：24.6 分 · 2 条消息 · 回复 2 · 被@ 1 · 参与 4 人 · 关键词 3 · 新入群 1 · 随后讨论 7 条（平时约 5.8，+1.2）"
        in kocs
    )
    assert "kate" not in members and "1. bob：" in members
    assert "共 8 条讨论消息" in kocs
    made = [(r.work, r.status) for r in await rows(chat.app, schema.heavy_requests)]
    assert made == [("campaign ignition", "done")]  # measured away from the chat (bot.heavy)


async def test_the_report_is_text_and_a_chart_sent_as_a_picture(
    campaign: int, chat: Chat, clock: FakeClock, transport: InMemoryTransport
) -> None:
    clock.set(local(10, 9))
    transport.inject(make_message(f"/campaign report {campaign}", "mod", None))
    await chat.app.drain()
    [text, picture] = transport.take()
    assert text.image is None and picture.image is not None
    assert "讨论消息共 8 条" in text.text
    # Two days measured; the room usually has 7 + 1/7 messages a day (7 at 10 o'clock, zed's first at 9).
    assert "· Playground：8 条，平时同期约 14 条，0.6 倍" in text.text
    assert "· 12-09：8 条（平时约 7）" in text.text
    assert "1. kate：24.6 分" in text.text
    assert picture.image.name == f"campaign-{campaign}.png"
    image = Picture.open(io.BytesIO(picture.image.data))
    image.load()
    assert (image.format, image.size) == ("PNG", (charts.WIDTH, charts.HEIGHT))
    assert [entry.action for entry in await rows(chat.app, schema.audit_log)][-1] == "campaign report"
    # Made away from the chat (bot.heavy), answered once it was ready.
    made = [(r.work, r.status, r.params) for r in await rows(chat.app, schema.heavy_requests)]
    assert made == [("campaign report", "done", {"campaign": campaign, "locale": "zh_CN"})]


async def test_a_member_is_refused_and_a_wrong_number_is_explained(campaign: int, chat: Chat) -> None:
    [refused] = await chat.dm("bob", f"/活动 报告 {campaign}")
    assert "只有社群运营可以使用" in refused
    [entry] = [e for e in await rows(chat.app, schema.audit_log) if e.action == "campaign report"]
    assert entry.outcome == "refused"
    [unknown] = await chat.dm("mod", "/活动 报告 99")
    assert "#99" in unknown
    [missing] = await chat.dm("mod", "/活动 引爆")
    assert "编号" in missing


async def test_weekly_rewards_go_through_the_ledger_once_per_period(
    campaign: int, app: App, chat: Chat, clock: FakeClock, transport: InMemoryTransport
) -> None:
    transport.take()
    await app.advance_to(datetime(2026, 12, 14, 10, 1, tzinfo=SHANGHAI))  # Monday after the first week
    kate, bob = await member_id(app, "kate"), await member_id(app, "bob")
    given = await rows(app, awards)
    assert [(a.period, a.rule, a.member_id, a.rank, a.value) for a in given] == [
        ("2026-W50", 0, kate, 1, 4.0),
        ("2026-W50", 1, bob, 1, pytest.approx(given[1].value)),
    ]
    points = await rows(app, ledger, ledger.c.source == "campaign")
    assert sorted((p.member_id, p.amount, p.key) for p in points) == sorted(
        [(kate, 20, f"campaign:{campaign}:2026-W50:0:{kate}"), (bob, 5, f"campaign:{campaign}:2026-W50:1:{bob}")]
    )
    titles = await rows(app, title_events, title_events.c.member_id == kate)
    assert [(t.title, t.granted) for t in titles] == [("引爆者", True)]
    sent = [m.text for m in transport.take()]
    assert sum("第 1 名引爆者" in text for text in sent) == 2  # kate and bob, privately
    assert sum(text.startswith("🔥 「X1 预热」") for text in sent) == 1  # in the campaign's room, once
    # The next Monday's run (and any rerun) gives nothing twice; the empty second week gives nothing.
    await app.advance_to(datetime(2026, 12, 21, 10, 1, tzinfo=SHANGHAI))
    assert len(await rows(app, awards)) == 2
    assert len(await rows(app, ledger, ledger.c.source == "campaign")) == 2
    assert not [m for m in transport.take() if "引爆者" in m.text]


async def test_a_run_missed_while_the_bot_was_down_is_made_up(campaign: int, app: App, clock: FakeClock) -> None:
    clock.set(local(16, 12))  # down over Monday the 14th
    await app.advance_to(local(16, 12, 1))
    assert [(a.period, a.rank) for a in await rows(app, awards)] == [("2026-W50", 1), ("2026-W50", 1)]


async def test_kocbot_report_campaign_writes_the_chart_text_and_every_messages_figures(
    campaign: int, app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from bot.clock import SystemClock

    monkeypatch.setattr(SystemClock, "now", lambda self: local(10, 9))
    url = app.services.settings.database_url()
    out = tmp_path / "out"
    code = await _run_cli(["report", "campaign", str(campaign), "--out", str(out)], url, tmp_path)
    assert code == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        f"campaign-{campaign}-messages.csv",
        f"campaign-{campaign}-messages.xlsx",
        f"campaign-{campaign}.png",
        f"campaign-{campaign}.txt",
    ]
    [heading, *cells] = openpyxl.load_workbook(out / f"campaign-{campaign}-messages.xlsx")["消息"].iter_rows(
        values_only=True
    )
    assert (heading[:5], len(cells)) == (("消息编号", "时间", "社群", "成员", "KOC"), 8)  # the community's language
    assert Picture.open(out / f"campaign-{campaign}.png").size == (charts.WIDTH, charts.HEIGHT)
    table = list(
        csv.DictReader(io.StringIO((out / f"campaign-{campaign}-messages.csv").read_text(encoding="utf-8-sig")))
    )
    assert len(table) == 8
    m1 = next(r for r in table if r["消息编号"] == "m1")
    assert m1 == {
        "消息编号": "m1",
        "时间": "2026-12-09 10:00:00",
        "社群": "Playground",
        "成员": "kate",
        "KOC": "是",
        "得分": "18.75",
        "回复": "1",
        "被@": "1",
        "随后讨论": "5",
        "平时水平": "3.5",
        "高出平时": "1.5",
        "参与人数": "3",
        "关键词": "2",
        "新入群": "1",
    }
    assert {r["KOC"] for r in table} == {"是", "否"}
    assert "讨论消息共 8 条" in (out / f"campaign-{campaign}.txt").read_text(encoding="utf-8")
    english = tmp_path / "english"
    assert await _run_cli(["report", "campaign", str(campaign), "--out", str(english)], url, tmp_path, locale="en") == 0
    raw = (english / f"campaign-{campaign}-messages.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfMessage,Time,Community,Member,KOC,Score,Replies,Mentions,Discussion after,")
    m1 = next(r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))) if r["Message"] == "m1")
    assert (m1["Member"], m1["KOC"], m1["Score"]) == ("kate", "yes", "18.75")
    assert await _run_cli(["report", "campaign", "abc", "--out", str(out)], url, tmp_path) == 1
    assert "by its number" in capsys.readouterr().err
    for beyond in ("²", "99999999999999999999"):  # no number; a number beyond any id
        assert await _run_cli(["report", "campaign", beyond, "--out", str(out)], url, tmp_path) == 1
    assert capsys.readouterr().err.splitlines() == [
        "kocbot: a campaign is named by its number (see /campaign list), not '²'",
        "kocbot: there is no campaign #99999999999999999999",
    ]


async def test_kocbot_report_campaign_before_its_period_says_it_has_not_started(
    app: App, clock: FakeClock, chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from bot.clock import SystemClock

    await chat.say("kate", "大家好")
    campaign = await create_campaign(app)  # begins on 8 December at 09:00
    monkeypatch.setattr(SystemClock, "now", lambda self: local(8, 8, 59))
    out = tmp_path / "out"
    url = app.services.settings.database_url()
    assert await _run_cli(["report", "campaign", str(campaign), "--out", str(out)], url, tmp_path) == 1
    assert capsys.readouterr().err == (
        f"kocbot: campaign #{campaign} has not started yet: its period begins 2026-12-08 09:00 (Asia/Shanghai); "
        "there is nothing to report before then\n"
    )
    assert list(out.iterdir()) == []


async def _run_cli(args: list[str], url: str, data_dir: Path, locale: str = "zh_CN") -> int:
    """`kocbot ARGS` in this process (its own event loop runs in a worker thread)."""
    import asyncio

    from bot import cli

    env = {"KOCBOT_DATABASE__URL": url, "KOCBOT_BOT__LOCALE": locale}
    return await asyncio.to_thread(_main_with_env, cli, ["--data-dir", str(data_dir), *args], env)


def _main_with_env(cli, argv: list[str], env: dict) -> int:
    import os

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return cli.main(argv)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


async def test_what_followed_a_clue_and_the_chart_drawn_from_the_log(
    campaign: int, app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import insert

    from handlers.campaigns import report, store
    from handlers.campaigns.tables import clues

    dropped = local(9, 10)
    async with app.engine.begin() as conn:
        clue = (
            await conn.execute(
                insert(clues)
                .values(
                    campaign_id=campaign,
                    run_at=dropped,
                    heads_up_at=local(9, 8),
                    text="第一条线索",
                    status="posted",
                    heads_up_sent=1,
                    posted_at=dropped,
                    created_by=await member_id(app, "mod"),
                    created_at=local(8, 9),
                )
                .returning(clues.c.id)
            )
        ).scalar_one()
    clock.set(local(10, 9))
    async with app.engine.connect() as conn:
        found = await store.load(conn, campaign)
        assert found is not None
        built = await report.build(conn, found, app.services.settings.section(CampaignsSection), clock.now())
    [after] = [c.after for c in built.clues]
    # From the drop at 10:00 to 10:30: kate (新品 X1), bob (x1, a reply), carol, dave (joined 10:12, 新品),
    # kate, bob; the usual 3.5 for half an hour at 10 o'clock.
    assert after is not None
    assert (after.volume, after.participants, after.keywords, after.joins) == (6, 4, 3, 1)
    assert after.expected == pytest.approx(3.5)
    drawn: dict = {}
    monkeypatch.setattr(charts, "timeline", lambda title, lines, **kw: drawn.update(lines=lines, **kw) or b"")
    report.chart(built, app.services.renderer, "zh_CN")
    [line] = drawn["lines"]
    per_hour = {at.hour: count for at, count in line.points if count}
    assert (line.label, per_hour) == ("Playground", {10: 8})  # two days measured: hour by hour
    assert line.baseline == pytest.approx((7 + 1 / 7) / 24)  # the usual messages an hour, over the day
    assert [(m.at, m.label) for m in drawn["marks"]] == [(dropped, f"线索 #{clue}")]


async def test_the_per_day_chart_draws_days_as_bars_with_the_clue_inside_its_day(
    campaign: int, app: App, clock: FakeClock
) -> None:
    from matplotlib import dates

    from handlers.campaigns import report as campaign_report
    from handlers.campaigns import store
    from handlers.campaigns.report import ClueAfter

    async with app.engine.connect() as conn:
        loaded = await store.load(conn, campaign)
        assert loaded is not None
        built = await campaign_report.build(
            conn, loaded, app.services.settings.section(CampaignsSection), local(16, 12)
        )
    # A clue dropped on the 9th at 20:00: marked at its time, which lies inside the 9th's bar.
    built.clues.append(ClueAfter(1, local(9, 20), "posted", "线索", _aftermath(built)))
    parts = campaign_report.chart_parts(built, app.services.renderer, "zh_CN")
    assert parts["bucket"] == timedelta(days=1)  # more than three days: per day
    figure = charts.timeline_figure(**parts)
    [axes] = figure.axes
    bars = {dates.num2date(p.get_x()).date(): (p.get_x(), p.get_width(), p.get_height()) for p in axes.patches}
    ninth = bars[local(9, 0).date()]
    assert ninth[2] == 8  # the day's discussion messages, in one bar over the day
    day_start = dates.date2num(local(9, 0).replace(tzinfo=None))
    assert day_start <= ninth[0] and ninth[0] + ninth[1] <= day_start + 1
    [clue_line] = [line for line in axes.lines if line.get_linestyle() == ":"]
    clue_x = dates.date2num(clue_line.get_xdata()[0])
    assert day_start < clue_x < day_start + 1
    assert all(tick == int(tick) for tick in axes.get_yticks())  # whole messages on the axis


async def test_the_charts_words_come_from_the_locales_templates(
    campaign: int, app: App, clock: FakeClock, tmp_path: Path
) -> None:
    from bot.templates import TEMPLATES_DIR, TemplateRenderer
    from handlers.campaigns import report as campaign_report
    from handlers.campaigns import store
    from handlers.campaigns.report import ClueAfter

    async with app.engine.connect() as conn:
        loaded = await store.load(conn, campaign)
        assert loaded is not None
        built = await campaign_report.build(
            conn, loaded, app.services.settings.section(CampaignsSection), local(16, 12)
        )
    built.clues.append(ClueAfter(1, local(9, 20), "posted", "线索", _aftermath(built)))

    def words(renderer: TemplateRenderer, locale: str) -> tuple[str, str, str, list[str]]:
        parts = campaign_report.chart_parts(built, renderer, locale)
        return parts["title"], parts["y_label"], parts["empty_label"], [m.label for m in parts["marks"]]

    assert words(app.services.renderer, "zh_CN") == (
        f"「{loaded.name}」讨论量（每天消息数，虚线为平时水平）",
        "消息数",
        "还没有消息",
        ["线索 #1"],
    )
    assert words(app.services.renderer, "en") == (
        f"{loaded.name}: discussion (messages per day; dashed: the usual level)",
        "messages",
        "no messages yet",
        ["clue #1"],
    )
    ours = tmp_path / "zh_CN" / "campaigns"  # an operator's own words, as for every other text
    ours.mkdir(parents=True)
    (ours / "chart.j2").write_text(
        "{{ name }} 的热度\n条数\n暂无数据\n其余 {{ others }} 群\n{% for id in clues %}第 {{ id }} 条线索\n{% endfor %}",
        encoding="utf-8",
    )
    renderer = TemplateRenderer((tmp_path, TEMPLATES_DIR))
    assert words(renderer, "zh_CN") == (f"{loaded.name} 的热度", "条数", "暂无数据", ["第 1 条线索"])


def _aftermath(report) -> Aftermath:
    from handlers.campaigns import ignition

    return ignition.aftermath(report.measured.log, local(9, 20))
