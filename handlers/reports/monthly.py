"""The monthly community report: on the 1st to the moderators (job), on demand (/report monthly), as files (CLI).

On the 1st the `monthly_report` job sends last month's report, text then charts, to the
moderators' room (`reports.room`) or, unset, privately to each moderator and admin; every
message carries a dedupe key per (month, recipient, part), so a rerun sends nothing twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context, Services
from bot.errors import UsageError, UserFacingError
from bot.events import Image
from bot.members import CommunityRef, MemberRef
from bot.registry import ReportRequest
from bot.scheduling.jobs import JobRun
from bot.templates import TemplateRenderer
from handlers.recognition.rules import month_of, previous_month
from handlers.reports.figures import MonthFigures
from handlers.reports.month import MonthError, Window, window
from handlers.reports.queries import month_figures
from handlers.reports.render import report_charts, write_files

_LOGGER = logging.getLogger(__name__)
KEY = "reports:monthly:{month}:{to}:{part}"


class Rendering:
    """One month's report: what its text needs, and its charts drawn once per language asked for."""

    def __init__(self, renderer: TemplateRenderer, figures: MonthFigures) -> None:
        self.renderer = renderer
        self.figures = figures
        self.params = {"r": figures, "as_of": figures.window.as_of.astimezone(figures.window.zone)}
        self._charts: dict[str, list[tuple[str, Image]]] = {}

    async def charts(self, locale: str) -> list[tuple[str, Image]]:
        if locale not in self._charts:
            self._charts[locale] = await report_charts(self.renderer, locale, self.figures)
        return self._charts[locale]


def _key(month: str, to: str | None, part: str) -> str | None:
    """The outbox key of one part of a month's report to one recipient; None: a reply, sent each time asked."""
    return None if to is None else KEY.format(month=month, to=to, part=part)


async def to_member(ctx: Context, member: MemberRef, rendering: Rendering, *, keyed: bool) -> None:
    """Text then charts privately; `keyed`: the bot's own initiative, sent once per month and member."""
    month, to = rendering.figures.month, f"dm:{member.platform_id}" if keyed else None
    drawn = await rendering.charts(ctx.services.renderer.locale_or_default(member.locale))
    await ctx.dm(member, "reports/monthly", dedupe_key=_key(month, to, "text"), **rendering.params)
    for title, image in drawn:
        await ctx.dm(member, "reports/monthly_chart", title=title, image=image, dedupe_key=_key(month, to, image.name))


async def to_room(ctx: Context, community: CommunityRef, rendering: Rendering) -> None:
    month, to = rendering.figures.month, f"room:{community.platform_id}"
    drawn = await rendering.charts(community.locale)
    await ctx.post(community, "reports/monthly", dedupe_key=_key(month, to, "text"), **rendering.params)
    for title, image in drawn:
        await ctx.post(
            community, "reports/monthly_chart", title=title, image=image, dedupe_key=_key(month, to, image.name)
        )


async def monthly_report(run: JobRun) -> None:
    """The scheduler's `monthly_report` job (on the 1st): last month's report to the moderators."""
    if run.run_time is None:  # missed beyond the grace time: the moderators are told; /report monthly has it
        return
    ctx = run.context()
    zone = ctx.settings.bot.timezone
    last_month = previous_month(month_of(run.run_time, zone))
    figures = await month_figures(ctx.db, ctx.settings, window(last_month, ctx.now, zone))
    if figures.empty:
        _LOGGER.info("monthly report %s: nothing was recorded that month, nothing sent", figures.month)
        return
    rendering = Rendering(ctx.services.renderer, figures)
    room = ctx.settings.reports.room
    if room:
        await to_room(ctx, await ctx.services.directory.ensure_community(ctx.uow, room, "", ctx.now), rendering)
        _LOGGER.info("monthly report %s posted in the moderators' room %s", figures.month, room)
        return
    staff = await ctx.services.directory.staff(ctx.db)
    for member in staff:
        await to_member(ctx, member, rendering, keyed=True)
    _LOGGER.info("monthly report %s sent privately to %d moderators and admins", figures.month, len(staff))


def _window(ctx: Context, cmd: Invocation) -> Window:
    zone = ctx.settings.bot.timezone
    try:
        return window(cmd.args[0] if cmd.args else month_of(ctx.now, zone), ctx.now, zone)
    except MonthError as problem:
        if problem.problem == "reports/problem_month":
            raise UsageError(problem.problem, **problem.params) from None
        raise UserFacingError(problem.problem, **problem.params) from None


async def report_monthly(ctx: Context, cmd: Invocation) -> None:
    """/report monthly [2026-12]: that month's report (this month so far by default), privately."""
    when = _window(ctx, cmd)
    figures = await month_figures(ctx.db, ctx.settings, when)
    ctx.note_audit(month=figures.month)
    await to_member(ctx, ctx.actor, Rendering(ctx.services.renderer, figures), keyed=False)


async def report_files(conn: AsyncConnection, services: Services, request: ReportRequest) -> list[Path]:
    """`kocbot report monthly 2026-12 --out DIR`: the text, the charts and the CSV tables, in the default language."""
    settings = services.settings
    when = window(request.argument, services.clock.now(), settings.bot.timezone)
    figures = await month_figures(conn, settings, when)
    return await write_files(services.renderer, settings.bot.locale, figures, request.out)
