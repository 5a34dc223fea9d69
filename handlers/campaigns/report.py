"""Campaign reports: /campaign ignition, /campaign report (text and a PNG chart), and
`kocbot report campaign ID --out DIR` (the chart, the text, and every message's figures as CSV and .xlsx)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import charts
from bot.commands import Invocation, parse_id
from bot.context import Context, Services
from bot.db import schema
from bot.errors import NoSuchNumber, UserFacingError
from bot.events import Image
from bot.heavy.spec import Work
from bot.registry import ReportRequest
from bot.tables import Table, Words, to_csv, to_xlsx, translated, words_from
from bot.templates import TemplateRenderer
from handlers.campaigns import ignition, store
from handlers.campaigns.clues import load_clues
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.store import CampaignView
from handlers.campaigns.tables import ClueStatus, awards

MAX_LINES = 8  # rooms drawn one by one (the busiest); the others are averaged in one line
HOURLY_UP_TO = timedelta(days=3)  # a shorter campaign is charted per hour, a longer one per day


@dataclass(frozen=True, slots=True)
class RoomVolume:
    label: str
    messages: int
    usual_per_day: float | None  # None: no baseline
    days: float  # measured days

    @property
    def ratio(self) -> float | None:
        usual = None if self.usual_per_day is None else self.usual_per_day * self.days
        return None if not usual else self.messages / usual


@dataclass(frozen=True, slots=True)
class ClueAfter:
    id: int
    at: datetime  # local
    status: str
    text: str
    after: ignition.Aftermath | None  # None: not dropped yet


@dataclass(slots=True)
class CampaignReport:
    campaign: CampaignView
    until: datetime  # measured up to (aware, local)
    measured: ignition.Measured
    rooms: list[RoomVolume]
    days: list[tuple[date, int, float | None]]  # local day, messages, usual for that day (all rooms)
    hours: dict[int, Counter[datetime]]  # per room: messages per local hour (its start)
    clues: list[ClueAfter]
    awards: list[dict[str, Any]]

    def params(self, top: int) -> dict[str, Any]:
        zone = self.campaign.zone
        return {
            "campaign": self.campaign,
            "start": self.campaign.starts_at.astimezone(zone),
            "until": self.until,
            "rooms": self.rooms,
            "days": self.days,
            "clues": self.clues,
            "awards": self.awards,
            "kocs": igniting(self.measured.kocs, top),
            "members": igniting(self.measured.members, top),
            "messages": self.measured.messages,
            "window": int(self.measured.log.window // 60),
        }


def igniting(igniters: list[ignition.Igniter], top: int) -> list[ignition.Igniter]:
    """The first `top` who started something (a score of 0 started nothing: not listed)."""
    return [igniter for igniter in igniters[:top] if igniter.score > 0]


async def build(
    conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection, now: datetime
) -> CampaignReport:
    until = campaign.measured_until(now)
    measured = await ignition.measure_campaign(conn, campaign, section, now)
    zone = campaign.zone
    measured_days = max((until - campaign.starts_at).total_seconds() / 86400, 0.0)
    rooms: list[RoomVolume] = []
    hours: dict[int, Counter[datetime]] = {}
    per_day: Counter[date] = Counter()
    usual_day = 0.0
    has_usual = False
    for room in campaign.rooms:
        logged = measured.log.rooms[room.community_id]
        usual = sum(logged.hourly) if logged.hourly is not None else None
        rooms.append(RoomVolume(room.label, len(logged.times), usual, measured_days))
        # Each message placed in its local hour once; days (and the chart) add the hours up.
        hours[room.community_id] = Counter(_bucket(datetime.fromtimestamp(at, zone), True) for at in logged.times)
        for hour, count in hours[room.community_id].items():
            per_day[hour.date()] += count
        if usual is not None:
            usual_day += usual
            has_usual = True
    first, last = campaign.starts_at.astimezone(zone).date(), until.astimezone(zone).date()
    days = (
        [
            (first + timedelta(days=n), per_day[first + timedelta(days=n)], usual_day if has_usual else None)
            for n in range((last - first).days + 1)
        ]
        if until > campaign.starts_at
        else []
    )
    return CampaignReport(
        campaign,
        until.astimezone(zone),
        measured,
        rooms,
        days,
        hours,
        await _clues(conn, campaign, measured, now),
        await _awards(conn, campaign),
    )


async def _clues(
    conn: AsyncConnection, campaign: CampaignView, measured: ignition.Measured, now: datetime
) -> list[ClueAfter]:
    found = []
    for clue in await load_clues(conn, campaign.id):
        dropped = clue.posted_at if clue.status == ClueStatus.POSTED.value else None
        after = ignition.aftermath(measured.log, dropped) if dropped is not None and dropped <= now else None
        found.append(
            ClueAfter(
                clue.id,
                (dropped or clue.run_at).astimezone(campaign.zone),
                clue.status,
                clue.text or (f"--template {clue.template}" if clue.template else ""),
                after,
            )
        )
    return found


async def _awards(conn: AsyncConnection, campaign: CampaignView) -> list[dict[str, Any]]:
    members = schema.members
    rows = (
        await conn.execute(
            select(awards, members.c.display_name)
            .join(members, members.c.id == awards.c.member_id)
            .where(awards.c.campaign_id == campaign.id)
            .order_by(awards.c.period, awards.c.rule, awards.c.rank)
        )
    ).all()
    return [
        {
            "period": r.period,
            "rank": r.rank,
            "name": r.display_name,
            "measure": r.measure,
            "value": r.value,
            "points": r.points,
            "title": r.title,
        }
        for r in rows
    ]


# The chart


def _bucket(at: datetime, hourly: bool) -> datetime:
    return (
        at.replace(minute=0, second=0, microsecond=0)
        if hourly
        else at.replace(hour=0, minute=0, second=0, microsecond=0)
    )


def chart(report: CampaignReport, renderer: TemplateRenderer, locale: str) -> bytes:
    """Discussion volume over time per community, clue drops marked (drawn now: use `render` in the bot)."""
    return charts.timeline(**chart_parts(report, renderer, locale))


@dataclass(frozen=True, slots=True)
class ChartWords:
    """The chart's words in a locale, from its template `campaigns/chart` (one per line)."""

    title: str
    axis: str
    empty: str
    others: str  # the line averaging the rooms not drawn one by one ("" when every room is drawn)
    clues: list[str]  # each mark's label, in the order of `clue_ids`


def chart_words(
    renderer: TemplateRenderer, locale: str, name: str, *, hourly: bool, others: int, clue_ids: list[int]
) -> ChartWords:
    title, axis, empty, other, *clues = renderer.render(
        "campaigns/chart", locale, name=name, hourly=hourly, others=others, clues=clue_ids
    ).split("\n")
    return ChartWords(title, axis, empty, other, clues)


def chart_parts(report: CampaignReport, renderer: TemplateRenderer, locale: str) -> dict[str, Any]:
    """What the chart is drawn from: each hour's or day's messages as a bar over that span, clue drops at their time."""
    campaign, zone = report.campaign, report.campaign.zone
    start, until = campaign.starts_at.astimezone(zone), report.until
    hourly = until - start <= HOURLY_UP_TO
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    buckets = []
    current = _bucket(start, hourly)
    while current <= until:
        buckets.append(current)
        current += step  # wall-clock arithmetic: a day is midnight to midnight, even across DST
    per_room: dict[int, Counter[datetime]] = {}
    for community_id, counts in report.hours.items():
        per_room[community_id] = counts if hourly else Counter()
        if not hourly:
            for hour, count in counts.items():
                per_room[community_id][_bucket(hour, False)] += count
    ranked = sorted(campaign.rooms, key=lambda r: -sum(per_room[r.community_id].values()))
    lines = []
    for room in ranked[:MAX_LINES]:
        logged = report.measured.log.rooms[room.community_id]
        usual = None if logged.hourly is None else sum(logged.hourly) / (24 if hourly else 1)
        lines.append(charts.Line(room.label, [(b, per_room[room.community_id][b]) for b in buckets], baseline=usual))
    rest = ranked[MAX_LINES:]
    dropped = [c for c in report.clues if c.after is not None]
    words = chart_words(
        renderer, locale, campaign.name, hourly=hourly, others=len(rest), clue_ids=[c.id for c in dropped]
    )
    if rest:  # their average: a sum would dwarf the rooms drawn one by one
        lines.append(
            charts.Line(
                words.others, [(b, sum(per_room[r.community_id][b] for r in rest) / len(rest)) for b in buckets]
            )
        )
    return {
        "title": words.title,
        "lines": lines if report.measured.messages else [],
        "zone": zone,
        "marks": [charts.Mark(c.at, label) for c, label in zip(dropped, words.clues, strict=True)],
        "y_label": words.axis,
        "empty_label": words.empty,
        "bucket": step,
        "locale": locale,
    }


# The CSV of every message's figures

CSV_COLUMNS = (
    "message_id",
    "local_time",
    "community",
    "member",
    "koc",
    "score",
    "replies",
    "mentions",
    "volume",
    "expected",
    "lift",
    "participants",
    "keywords",
    "joins",
)


def messages_table(report: CampaignReport) -> Table:
    """Every measured message's figures, in time order."""
    labels = {room.community_id: room.label for room in report.campaign.rooms}
    names = report.measured.log.names
    zone = report.campaign.zone
    rows = [
        [
            s.message_id,
            s.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            labels[s.community_id],
            names.get(s.member_id, ""),
            "yes" if s.koc else "no",
            _num(s.score),
            s.replies,
            s.mentions,
            s.volume,
            _num(s.expected),
            _num(s.lift),
            s.participants,
            s.keywords,
            s.joins,
        ]
        for s in sorted(report.measured.sparks, key=lambda s: (s.ts, s.message_id))
    ]
    return Table(CSV_COLUMNS, rows, "messages")


def messages_words(renderer: TemplateRenderer, locale: str) -> Words:
    """The messages table in `locale`: headings from `campaigns/messages_columns`, KOC or not as yes or no."""
    koc = renderer.labels("core/macros", "yes_no", locale, ("yes", "no"))
    return words_from(renderer, "campaigns/messages_columns", locale, len(CSV_COLUMNS), {"koc": koc})


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


# Commands: each validates its campaign and hands the measuring off (bot.heavy): ignition over a
# campaign's log takes seconds, which must not hold the chat up.


async def show_ignition(ctx: Context, cmd: Invocation) -> None:
    """/campaign ignition ID: KOCs and, apart, ordinary members ranked by the ignition score."""
    campaign = await store.campaign_named(ctx, cmd)
    await ctx.hand_off("campaign ignition", campaign=campaign.id)


async def measure_ignition(work: Work) -> dict[str, Any]:
    """The heavy part of /campaign ignition: the ranking's template parameters."""
    campaign = await _campaign(work)
    section = work.settings.section(CampaignsSection)
    measured = await ignition.measure_campaign(work.db, campaign, section, work.now)
    return {
        "campaign": campaign,
        "kocs": igniting(measured.kocs, section.top_shown),
        "members": igniting(measured.members, section.top_shown),
        "messages": measured.messages,
        "until": campaign.measured_until(work.now).astimezone(campaign.zone),
        "window": section.window_minutes,
        "weights": ignition.Weights.of(section),
    }


async def tell_ignition(ctx: Context, params: dict[str, Any]) -> None:
    await ctx.reply_privately("campaigns/ignition", **params)


async def send_report(ctx: Context, cmd: Invocation) -> None:
    """/campaign report ID: the summary, then the chart as a picture, privately."""
    campaign = await store.campaign_named(ctx, cmd)
    ctx.note_audit(campaign=campaign.id)
    locale = ctx.services.renderer.locale_or_default(ctx.actor.locale)
    await ctx.hand_off("campaign report", campaign=campaign.id, locale=locale)


@dataclass(frozen=True, slots=True)
class ReportMade:
    campaign: CampaignView
    params: dict[str, Any]  # the text's
    chart: bytes | None  # PNG; None without the `charts` extra


async def make_report(work: Work) -> ReportMade:
    """The heavy part of /campaign report: the report measured, and its chart drawn in the asker's language."""
    campaign = await _campaign(work)
    section = work.settings.section(CampaignsSection)
    report = await build(work.db, campaign, section, work.now)
    png = charts.draw(chart, report, work.renderer, work.params["locale"])
    return ReportMade(campaign, report.params(min(section.top_shown, 5)), png)


async def send_made_report(ctx: Context, made: ReportMade) -> None:
    await ctx.reply_privately("campaigns/report", **made.params)
    if made.chart is not None:
        chart_image = Image(f"campaign-{made.campaign.id}.png", made.chart)
        await ctx.dm(ctx.actor, "campaigns/report_chart", image=chart_image, campaign=made.campaign)


async def _campaign(work: Work) -> CampaignView:
    campaign = await store.load(work.db, work.params["campaign"])
    if campaign is None:  # checked when asked; it cannot go away, but say so if it did
        raise UserFacingError("campaigns/unknown", id=work.params["campaign"])
    return campaign


def _must_have_started(campaign: CampaignView, now: datetime) -> None:
    """A period not begun has nothing measured: say so rather than write a report of zeros."""
    if now < campaign.starts_at:
        begins = campaign.starts_at.astimezone(campaign.zone)
        raise ValueError(
            f"campaign #{campaign.id} has not started yet: its period begins {begins:%Y-%m-%d %H:%M} "
            f"({campaign.timezone}); there is nothing to report before then"
        )


async def write_report(conn: AsyncConnection, services: Services, request: ReportRequest) -> list[Path]:
    """`kocbot report campaign ID --out DIR`: campaign-ID.png, campaign-ID.txt and campaign-ID-messages.csv."""
    try:
        number = parse_id(request.argument)
    except NoSuchNumber:
        raise ValueError(f"there is no campaign #{request.argument.lstrip('#')}") from None
    if number is None:
        raise ValueError(f"a campaign is named by its number (see /campaign list), not {request.argument!r}")
    campaign = await store.load(conn, number)
    if campaign is None:
        raise ValueError(f"there is no campaign #{request.argument.lstrip('#')}")
    now = services.clock.now()
    _must_have_started(campaign, now)
    section = services.settings.section(CampaignsSection)
    report = await build(conn, campaign, section, now)
    locale = services.settings.bot.locale
    base = request.out / f"campaign-{campaign.id}"
    png, txt, table = base.with_suffix(".png"), base.with_suffix(".txt"), Path(f"{base}-messages.csv")
    drawn = charts.draw(chart, report, services.renderer, locale)
    if drawn is not None:  # without the `charts` extra the report is its text and table
        png.write_bytes(drawn)
    txt.write_text(
        services.renderer.render("campaigns/report", locale, **report.params(section.top_shown)) + "\n",
        encoding="utf-8",
    )
    messages = translated(messages_table(report), messages_words(services.renderer, locale))
    table.write_text(to_csv(messages), encoding="utf-8", newline="")
    book = Path(f"{base}-messages.xlsx")
    book.write_bytes(to_xlsx(messages))
    return [*([png] if drawn is not None else []), txt, table, book]
