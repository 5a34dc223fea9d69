"""The monthly community report: on the 1st to the moderators (job), on demand (/report monthly), as files (CLI).

On the 1st the `monthly_report` job sends last month's report, text then charts, to the
moderators' room (`reports.room`) or, unset, privately to each moderator and admin; every
message carries a dedupe key per (month, recipient, part), so a rerun sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import month_of
from bot.commands import Invocation
from bot.context import Context, Services
from bot.db.schema import OutgoingKind
from bot.errors import UsageError, UserFacingError
from bot.events import Image
from bot.heavy.spec import Work
from bot.members import CommunityRef, Directory, MemberRef
from bot.registry import ReportRequest
from bot.scheduling.jobs import JobRun
from handlers.recognition.rules import previous_month
from handlers.reports.config import ReportsSection
from handlers.reports.figures import MonthFigures
from handlers.reports.month import MonthError, Window, window
from handlers.reports.queries import month_figures
from handlers.reports.render import report_charts, write_files

_LOGGER = logging.getLogger(__name__)
KEY = "reports:monthly:{month}:{to}:{part}"


@dataclass(frozen=True, slots=True)
class MonthReport:
    """One month's report, ready to send: its figures, and its charts drawn in each language it goes out in
    (computed away from the chat, see `prepare_monthly_report` and `make_monthly_report`)."""

    figures: MonthFigures
    charts: dict[str, list[tuple[str, Image]]]  # by locale: (title, picture) of each chart

    @property
    def params(self) -> dict[str, Any]:
        return {"r": self.figures, "as_of": self.figures.window.as_of.astimezone(self.figures.window.zone)}

    def charts_in(self, locale: str) -> list[tuple[str, Image]]:
        """The charts in `locale` (in another language if a reader's changed since they were drawn)."""
        return self.charts.get(locale) or next(iter(self.charts.values()), [])


async def _made(work: Work, when: Window, locales: Iterable[str] | None = None) -> MonthReport:
    """The month's figures and its charts in `locales` (None: the monthly job's readers', if there is anything)."""
    figures = await month_figures(work.db, work.settings, when)
    if locales is None:
        locales = await _readers(work) if not figures.empty else []
    return MonthReport(figures, {locale: await report_charts(work.renderer, locale, figures) for locale in locales})


def _key(month: str, to: str | None, part: str) -> str | None:
    """The outbox key of one part of a month's report to one recipient; None: a reply, sent each time asked."""
    return None if to is None else KEY.format(month=month, to=to, part=part)


async def to_member(ctx: Context, member: MemberRef, report: MonthReport, *, keyed: bool) -> None:
    """Text then charts privately; `keyed`: the bot's own initiative, sent once per month and member
    (transactional: the moderators' own work, never a budget's)."""
    month, to = report.figures.month, f"dm:{member.platform_id}" if keyed else None
    drawn = report.charts_in(ctx.services.renderer.locale_or_default(member.locale))
    text_key = _key(month, to, "text")
    await ctx.dm(
        member, "reports/monthly", dedupe_key=text_key, message_kind=OutgoingKind.TRANSACTIONAL, **report.params
    )
    for title, image in drawn:
        key = _key(month, to, image.name)
        await ctx.dm(
            member,
            "reports/monthly_chart",
            title=title,
            image=image,
            dedupe_key=key,
            message_kind=OutgoingKind.TRANSACTIONAL,
        )


async def to_room(ctx: Context, community: CommunityRef, report: MonthReport) -> None:
    """Text then charts in the moderators' room."""
    month, to = report.figures.month, f"room:{community.platform_id}"
    text_key = _key(month, to, "text")
    await ctx.post(
        community, "reports/monthly", dedupe_key=text_key, message_kind=OutgoingKind.TRANSACTIONAL, **report.params
    )
    for title, image in report.charts_in(community.locale):
        key = _key(month, to, image.name)
        await ctx.post(
            community,
            "reports/monthly_chart",
            title=title,
            image=image,
            dedupe_key=key,
            message_kind=OutgoingKind.TRANSACTIONAL,
        )


async def prepare_monthly_report(work: Work) -> MonthReport | None:
    """The `monthly_report` job's heavy part: last month's figures, and charts in its readers' languages."""
    run_time = work.params["run_time"]
    if run_time is None:  # missed beyond the grace time: nothing is sent
        return None
    zone = work.settings.bot.timezone
    return await _made(work, window(previous_month(month_of(run_time, zone)), work.now, zone))


async def _readers(work: Work) -> list[str]:
    """The languages the report goes out in: the moderators' room's, or each moderator's and admin's."""
    settings = work.settings
    room = settings.section(ReportsSection).room
    if room:
        configured = settings.community(room)
        return [configured.locale if configured and configured.locale else settings.bot.locale]
    staff = await Directory(settings).staff(work.db)
    return sorted({work.renderer.locale_or_default(member.locale) for member in staff})


async def monthly_report(run: JobRun) -> None:
    """The scheduler's `monthly_report` job (on the 1st): last month's report to the moderators."""
    report: MonthReport | None = run.prepared
    if run.run_time is None or report is None:  # missed beyond the grace time: the moderators are told
        return
    if report.figures.empty:
        _LOGGER.info("monthly report %s: nothing was recorded that month, nothing sent", report.figures.month)
        return
    ctx = run.context()
    room = ctx.settings.section(ReportsSection).room
    if room:
        await to_room(ctx, await ctx.services.directory.ensure_community(ctx.uow, room, "", ctx.now), report)
        _LOGGER.info("monthly report %s posted in the moderators' room %s", report.figures.month, room)
        return
    staff = await ctx.services.directory.staff(ctx.db)
    for member in staff:
        await to_member(ctx, member, report, keyed=True)
    _LOGGER.info("monthly report %s sent privately to %d moderators and admins", report.figures.month, len(staff))


def _window(ctx: Context, cmd: Invocation) -> Window:
    zone = ctx.settings.bot.timezone
    try:
        return window(cmd.args[0] if cmd.args else month_of(ctx.now, zone), ctx.now, zone)
    except MonthError as problem:
        if problem.problem in ("reports/problem_month", "core/no_such_date"):
            raise UsageError(problem.problem, **problem.params) from None
        raise UserFacingError(problem.problem, **problem.params) from None


async def report_monthly(ctx: Context, cmd: Invocation) -> None:
    """/report monthly [2026-12]: that month's report (this month so far by default), privately."""
    when = _window(ctx, cmd)
    ctx.note_audit(month=when.month)
    locale = ctx.services.renderer.locale_or_default(ctx.actor.locale)
    await ctx.hand_off("monthly report", month=when.month, locale=locale)


async def make_monthly_report(work: Work) -> MonthReport:
    """The heavy part of /report monthly: the month's figures, and its charts in the asker's language."""
    when = window(work.params["month"], work.now, work.settings.bot.timezone)
    return await _made(work, when, [work.params["locale"]])


async def send_monthly_report(ctx: Context, report: MonthReport) -> None:
    await to_member(ctx, ctx.actor, report, keyed=False)


async def report_files(conn: AsyncConnection, services: Services, request: ReportRequest) -> list[Path]:
    """`kocbot report monthly 2026-12 --out DIR`: the text, the charts and the CSV tables, in the default language."""
    settings = services.settings
    when = window(request.argument, services.clock.now(), settings.bot.timezone)
    figures = await month_figures(conn, settings, when)
    return await write_files(services.renderer, settings.bot.locale, figures, request.out)
