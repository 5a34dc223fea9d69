"""The moderators' weekly digest: one private message with what every capability has pending."""

from __future__ import annotations

import logging
from typing import Any

from bot.commands import Invocation
from bot.context import Context
from bot.members import MemberRef
from bot.scheduling.jobs import JobRun

_LOGGER = logging.getLogger(__name__)


async def _sections(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    """Each capability's part (overdue feedback, open threads, ...), those with nothing to say left out."""
    found = []
    for _name, section in ctx.services.digest_sections:
        part = await section(ctx)
        if part is not None:
            found.append(part)
    return found


def _render(ctx: Context, member: MemberRef, sections: list[tuple[str, dict[str, Any]]]) -> list[str]:
    locale = ctx.services.renderer.locale_or_default(member.locale)
    return [ctx.render(template, locale, **params) for template, params in sections]


async def weekly_digest(run: JobRun) -> None:
    """The scheduler's `moderators_digest` job: each moderator and admin, privately, once a week,
    when something is waiting."""
    if run.run_time is None:
        return
    ctx = run.context()
    local = ctx.local(run.run_time)
    year, week, _ = local.isocalendar()
    label = f"{year}-W{week:02d}"
    sections = await _sections(ctx)
    if not sections:  # nothing waiting: no message (/digest still says so when asked)
        _LOGGER.info("moderators' digest %s: nothing to report", label)
        return
    staff = await ctx.services.directory.staff(ctx.db)
    for member in staff:
        await ctx.dm(
            member,
            "outreach/moderators_digest",
            week=label,
            sections=_render(ctx, member, sections),
            dedupe_key=f"outreach:digest:{label}:{member.platform_id}",
        )
    _LOGGER.info("moderators' digest %s: %d sections, %d moderators", label, len(sections), len(staff))


async def show_digest(ctx: Context, cmd: Invocation) -> None:
    """/digest: this week's digest now, privately."""
    local = ctx.local(ctx.now)
    year, week, _ = local.isocalendar()
    await ctx.reply_privately(
        "outreach/moderators_digest", week=f"{year}-W{week:02d}", sections=_render(ctx, ctx.actor, await _sections(ctx))
    )
