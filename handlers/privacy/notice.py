"""What the bot keeps and why: /privacy, and a short line in the first private message to each member."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from bot.commands import Invocation
from bot.context import Context
from bot.db.dialect import insert_for
from bot.outbox import Draft
from handlers.privacy.config import PrivacySection, privacy_section
from handlers.privacy.tables import notices


def policy_section(ctx: Context) -> PrivacySection:
    return privacy_section(ctx.settings)


def policy(ctx: Context) -> dict[str, Any]:
    """The figures /privacy states, from the configuration."""
    section = policy_section(ctx)
    return {
        "messages": ctx.settings.database.message_retention_days,
        "feedback": section.feedback_text_days,
        "threads": section.thread_notes_days,
        "outreach": section.outreach_days,
        "legal_years": section.legal_years,
        "hours": _hours(section.erase_after_hours),
    }


def _hours(value: float) -> int | float:
    return int(value) if value == int(value) else value


async def show_privacy(ctx: Context, cmd: Invocation) -> None:
    """/privacy (/隐私): what is kept, why, for how long, who sees it, and the member's commands; privately."""
    await notices_given(ctx, ctx.actor.id)
    if ctx.community is not None:
        await ctx.reply("privacy/sent_privately")
    await ctx.reply_privately("privacy/policy", **policy(ctx))


async def notices_given(ctx: Context, member_id: int) -> bool:
    """Record that `member_id` has been told; False if they had been already."""
    stmt = insert_for(ctx.db, notices).values(member_id=member_id, noticed_at=ctx.now)
    done = await ctx.db.execute(stmt.on_conflict_do_nothing(index_elements=["member_id"]))
    return bool(done.rowcount)


async def first_private_notice(ctx: Context, draft: Draft) -> Draft:
    """The first private message the bot ever writes to a member ends with a line on what it keeps."""
    if (
        not policy_section(ctx).notice_in_first_message
        or draft.image is not None
        or draft.template.startswith("privacy/")
    ):
        return draft
    assert draft.contact_id is not None
    member = ctx.services.directory.cached_member(draft.contact_id) or await ctx.services.directory.find_member(
        ctx.db, draft.contact_id
    )
    if member is None or await _told(ctx, member.id) or not await notices_given(ctx, member.id):
        return draft
    return replace(draft, text=f"{draft.text}\n{ctx.render('privacy/first_notice', draft.locale)}")


async def _told(ctx: Context, member_id: int) -> bool:
    found = await ctx.db.execute(select(notices.c.member_id).where(notices.c.member_id == member_id))
    return found.first() is not None
