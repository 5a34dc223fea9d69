"""Questions: flagged when asked, settled from the message log, nudged once and escalated once if unanswered."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update

from bot.context import Context
from bot.db import schema
from bot.delivery import QuietHours
from bot.members import MemberRef
from handlers.feedback import segmenter
from handlers.listening.answers import Answer, Question, Rule, first_answer, later_from_row
from handlers.listening.complaints import NOTE_KIND, insert_flag, recipients, section_of
from handlers.listening.matching import Kind, ListeningMatch, classify
from handlers.listening.rooms import community_by_id
from handlers.listening.tables import flags
from handlers.recognition.tables import thanks

_LOGGER = logging.getLogger(__name__)
LATER_LIMIT = 500  # messages read after a question to settle it


async def flag_question(ctx: Context, match: ListeningMatch) -> None:
    assert ctx.community is not None
    due = unquiet(ctx, ctx.now + timedelta(minutes=section_of(ctx).question_minutes), ctx.community.timezone)
    await insert_flag(ctx, Kind.QUESTION, match, None, due_at=due)


def unquiet(ctx: Context, when: datetime, timezone: str) -> datetime:
    """`when`, or the end of the quiet hours it falls in (a nudge at night would find nobody)."""
    quiet = QuietHours.parse(ctx.settings.delivery.quiet_hours)
    released = quiet.release(when, ZoneInfo(timezone)) if quiet else None
    return released or when


def rule_of(ctx: Context, known: dict[str, int]) -> Rule:
    section = section_of(ctx)
    words = segmenter.loaded_words()
    return Rule(
        window=timedelta(minutes=section.reply_window_minutes),
        min_chars=section.answer_min_chars,
        flagged=lambda text: classify(text, words) is not None,
        member_of=known.get,
    )


async def settle(ctx: Context, flag: Any) -> Answer | None:
    """Look in the log for the question's first answer; record it. None: still unanswered."""
    m = schema.messages
    rows = (
        await ctx.db.execute(
            select(
                m.c.id, m.c.member_id, m.c.text, m.c.mentions, m.c.quote_msg_id, m.c.quote_member_id, m.c.received_at
            )
            .where(m.c.community_id == flag.community_id, m.c.id > flag.message_id, m.c.received_at <= ctx.now)
            .order_by(m.c.id)
            .limit(LATER_LIMIT)
        )
    ).all()
    later = [later_from_row(r) for r in rows]
    known = await _members_of(ctx, {p for r in later for p in r.mentions})
    answer = first_answer(await _question(ctx, flag), later, rule_of(ctx, known))
    if answer is not None:
        await ctx.db.execute(
            update(flags)
            .where(flags.c.id == flag.id)
            .values(answered_at=answer.at, answered_by=answer.by, answered_how=answer.how.value, due_at=None)
        )
    return answer


async def _question(ctx: Context, flag: Any) -> Question:
    asker = await ctx.services.directory.find_member_by_id(ctx.db, flag.member_id)
    newer = (
        await ctx.db.execute(
            select(func.min(flags.c.message_id)).where(
                flags.c.community_id == flag.community_id,
                flags.c.kind == Kind.QUESTION.value,
                flags.c.id > flag.id,
                flags.c.member_id != flag.member_id,
            )
        )
    ).scalar()
    platform_id = asker.platform_id if asker else ""
    return Question(flag.member_id, platform_id, flag.platform_msg_id, flag.flagged_at, newer)


async def _members_of(ctx: Context, platform_ids: set[str]) -> dict[str, int]:
    if not platform_ids:
        return {}
    mm = schema.members
    rows = await ctx.db.execute(select(mm.c.platform_id, mm.c.id).where(mm.c.platform_id.in_(sorted(platform_ids))))
    return {r.platform_id: r.id for r in rows}


async def nudge_due(ctx: Context, flag: Any) -> None:
    """The question's time came: settled if answered, else the first nudge, else the one escalation."""
    if await settle(ctx, flag) is not None:
        return
    community = await community_by_id(ctx, flag.community_id)
    asker = await ctx.services.directory.find_member_by_id(ctx.db, flag.member_id)
    params = {"number": flag.id, "who": asker.name if asker else "", "room": community.name, "text": flag.text}
    minutes = int((ctx.now - flag.flagged_at).total_seconds() // 60)
    if flag.nudges == 0:
        helpers = await helpers_for(ctx, flag)
        template = "listening/nudge_koc" if helpers else "listening/nudge"
        for member in helpers or await recipients(ctx, community.platform_id):
            await _dm(ctx, member, template, flag, minutes=minutes, **params)
        later = ctx.now + timedelta(minutes=section_of(ctx).escalate_minutes)
        await _set_due(ctx, flag.id, 1, unquiet(ctx, later, community.timezone))
        return
    for member in await recipients(ctx, community.platform_id):
        await _dm(ctx, member, "listening/escalate", flag, minutes=minutes, **params)
    await _set_due(ctx, flag.id, 2, None)


async def _dm(ctx: Context, member: MemberRef, template: str, flag: Any, **params: Any) -> None:
    key = f"listening-q:{flag.id}:{flag.nudges}:{member.platform_id}"
    await ctx.dm(member, template, message_kind=NOTE_KIND, dedupe_key=key, **params)


async def _set_due(ctx: Context, flag_id: int, nudges: int, due: datetime | None) -> None:
    await ctx.db.execute(update(flags).where(flags.c.id == flag_id).values(nudges=nudges, due_at=due))


async def helpers_for(ctx: Context, flag: Any) -> list[MemberRef]:
    """The room's active KOCs with a matching record: thanked in that room, or who answered questions
    there before (on the same topic first); the most practised first."""
    mm, ms = schema.members, schema.memberships
    thanked = (
        select(thanks.c.receiver_id.label("member_id"), func.count().label("n"))
        .where(thanks.c.community_id == flag.community_id, thanks.c.counted.is_(True))
        .group_by(thanks.c.receiver_id)
    )
    answered = (
        select(flags.c.answered_by.label("member_id"), func.count().label("n"))
        .where(flags.c.community_id == flag.community_id, flags.c.answered_by.is_not(None))
        .group_by(flags.c.answered_by)
    )
    score: dict[int, int] = {}
    for query in (thanked, answered):
        for row in await ctx.db.execute(query):
            score[row.member_id] = score.get(row.member_id, 0) + row.n
    score.update({k: v + 100 for k, v in (await _topic_answers(ctx, flag)).items()})
    active = (
        await ctx.db.execute(
            select(mm.c.id)
            .join(ms, and_(ms.c.member_id == mm.c.id, ms.c.community_id == flag.community_id))
            .where(mm.c.stage == schema.Stage.ACTIVE.value, ms.c.left_at.is_(None), mm.c.id != flag.member_id)
        )
    ).scalars()
    chosen = sorted((m for m in active if score.get(m)), key=lambda m: (-score[m], m))[: section_of(ctx).nudge_kocs]
    found = [await ctx.services.directory.find_member_by_id(ctx.db, m) for m in chosen]
    return [m for m in found if m is not None]


async def _topic_answers(ctx: Context, flag: Any) -> dict[int, int]:
    if not flag.topics:
        return {}
    rows = await ctx.db.execute(
        select(flags.c.answered_by, flags.c.topics).where(
            flags.c.community_id == flag.community_id, flags.c.answered_by.is_not(None), flags.c.id != flag.id
        )
    )
    counts: dict[int, int] = {}
    for row in rows:
        if set(row.topics or ()) & set(flag.topics):
            counts[row.answered_by] = counts.get(row.answered_by, 0) + 1
    return counts
