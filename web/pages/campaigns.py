"""Campaigns and reports: each campaign's volume against the usual level, clues and igniters; the month's charts.
Interactive charts in the page (ECharts, vendored); the bot's PNGs are a link away."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot import charts
from handlers.campaigns import report as campaign_report
from handlers.campaigns import store
from handlers.campaigns.config import CampaignsSection
from handlers.reports.month import MonthError, window
from handlers.reports.queries import month_figures, month_summary
from handlers.reports.render import report_charts
from web.auth import Visit
from web.console import Console, console_of, staff
from web.data.charts import campaign_chart, month_chart, safe_json

TOP = 5


@staff
async def list_page(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    async with console.engine.connect() as conn:
        found = await store.load_all(conn)
    now = console.services.clock.now().astimezone(console.pages.zone)
    return console.page(visit, "campaigns.html", campaigns=list(reversed(found)), month=now.strftime("%Y-%m"))


async def _report(console: Console, campaign_id: int) -> campaign_report.CampaignReport | None:
    async with console.engine.connect() as conn:
        campaign = await store.load(conn, campaign_id)
        if campaign is None:
            return None
        section = console.services.settings.section(CampaignsSection)
        return await campaign_report.build(conn, campaign, section, console.services.clock.now())


@staff
async def campaign_page(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    found = await _report(console, request.path_params["campaign_id"])
    if found is None:
        return console.page(visit, "not_found.html", status=404)
    params = found.params(TOP)
    return console.page(visit, "campaign.html", report=found, chart=safe_json(campaign_chart(found)), **params)


@staff
async def campaign_png(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    found = await _report(console, request.path_params["campaign_id"])
    if found is None:
        return console.page(visit, "not_found.html", status=404)
    png = await charts.render(campaign_report.chart, found, console.services.renderer, visit.locale)
    if png is None:  # no matplotlib (the `charts` extra): the page's figures stand alone
        return console.page(visit, "not_found.html", status=404)
    return Response(png, media_type="image/png")


@staff
async def month_page(request: Request, visit: Visit) -> Response:
    console, month = console_of(request), request.path_params["month"]
    settings = console.services.settings
    try:
        when = window(month, console.services.clock.now(), settings.bot.timezone)
    except MonthError:
        return console.page(visit, "not_found.html", status=404)
    if request.path_params.get("chart") is not None:
        async with console.engine.connect() as conn:
            figures = await month_figures(conn, settings, when, console.kept)
        pictures = await report_charts(console.services.renderer, visit.locale, figures)
        index = request.path_params["chart"]
        if index >= len(pictures):
            return console.page(visit, "not_found.html", status=404)
        return Response(pictures[index][1].data, media_type="image/png")
    async with console.engine.connect() as conn:
        summary = await month_summary(conn, settings, when, console.kept)
    pictures_count = 3
    return console.page(
        visit, "month.html", figures=summary, chart=safe_json(month_chart(summary)), pngs=range(pictures_count)
    )


ROUTES = [
    Route("/campaigns", list_page),
    Route("/campaigns/{campaign_id:int}", campaign_page),
    Route("/campaigns/{campaign_id:int}/chart.png", campaign_png),
    Route("/reports/{month}", month_page),
    Route("/reports/{month}/chart-{chart:int}.png", month_page),
]
