"""Honorary titles held for a term: granted, reviewed before the end, renewed or let end with thanks."""

from __future__ import annotations

import calendar
import logging
import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from bot.commands import DIGIT, Invocation, parse_number
from bot.context import Context
from bot.db import schema
from bot.db.schema import OutgoingKind
from bot.errors import UsageError, UserFacingError
from bot.lookup import row_by_id
from bot.talk import community_message
from handlers.feedback.tables import history as feedback_history
from handlers.feedback.tables import items as feedback_items
from handlers.koc.agreements import mentioned_member, owner_id_of
from handlers.koc.config import KocSection
from handlers.koc.eligibility import must_be_eligible
from handlers.koc.tables import koc_events, title_terms
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import grant_title, revoke_title
from handlers.recognition.stats import thanks_units
from handlers.recognition.tables import Source, thanks
from handlers.threads.tables import people as thread_people

_LOGGER = logging.getLogger(__name__)
ACTIVE, ENDING, RENEWED, ENDED = "active", "ending", "renewed", "ended"
MAX_MONTHS = 36
_TERM = re.compile(rf"({DIGIT}+)\s*(?:个月|月|m|months?)", re.IGNORECASE)
KEY = "koc:term:{id}:{what}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(ctx: Context, word: str | None) -> int:
    if word is None:
        months = ctx.settings.section(KocSection).title_term_months
    else:
        found = _TERM.fullmatch(word)
        months = (parse_number(found[1], most=MAX_MONTHS) if found else None) or 0
    if not 0 < months <= MAX_MONTHS:
        raise UsageError("koc/title_problem_term", text=word or "", most=MAX_MONTHS)
    return months


def _title_and_term(ctx: Context, cmd: Invocation) -> tuple[str, int]:
    words = cmd.text.split()
    titles = ctx.settings.section(RecognitionSection).titles
    if not words or words[0] not in titles or len(words) > 2:
        raise UsageError("koc/title_problem_title", title=words[0] if words else "", titles=titles)
    return words[0], _months(ctx, words[1] if len(words) == 2 else None)


async def grant_with_term(ctx: Context, cmd: Invocation) -> None:
    """/koc title @x 荣誉产品顾问 [6个月|6m]: the title through the recognition ledger, held for a term."""
    member = await mentioned_member(ctx, cmd, "koc/title_problem_needs_member")
    await must_be_eligible(ctx, member)
    title, months = _title_and_term(ctx, cmd)
    running = (
        await ctx.db.execute(
            select(title_terms).where(
                title_terms.c.member_id == member.id,
                title_terms.c.title == title,
                title_terms.c.status.in_([ACTIVE, ENDING]),
            )
        )
    ).first()
    if running is not None:
        raise UserFacingError(
            "koc/term_exists", id=running.id, member=member.name, title=title, ends=running.ends.isoformat()
        )
    starts = ctx.today
    owner_id = await owner_id_of(ctx.db, member.id) or ctx.actor.id
    term_id = await _insert_term(ctx, member.id, title, starts, add_months(starts, months), owner_id)
    granted = await _grant(ctx, member.id, title, term_id)
    await _event(ctx, member.id, "title_term", term_id=term_id, title=title, months=months)
    ctx.note_audit(target=member, term_id=term_id, title=title, months=months)
    owner = await ctx.services.directory.find_member_by_id(ctx.db, owner_id)
    await ctx.reply(
        "koc/title_granted",
        id=term_id,
        member=member.name,
        title=title,
        months=months,
        starts=starts.isoformat(),
        ends=add_months(starts, months).isoformat(),
        held=not granted,
        owner=owner.name if owner else "",
        days=ctx.settings.section(KocSection).review_days,
    )


async def _grant(ctx: Context, member_id: int, title: str, term_id: int) -> bool:
    """The title through the recognition ledger (whose hook records the promise of it to a KOC as kept)."""
    key = KEY.format(id=term_id, what="grant")
    return await grant_title(ctx, member_id, title, Source.MANUAL, key=key, by=ctx.actor)


async def _insert_term(ctx: Context, member_id: int, title: str, starts: date, ends: date, owner_id: int) -> int:
    term_id: int = (
        await ctx.db.execute(
            insert(title_terms)
            .values(
                member_id=member_id,
                title=title,
                starts=starts,
                ends=ends,
                owner_id=owner_id,
                status=ACTIVE,
            )
            .returning(title_terms.c.id)
        )
    ).scalar_one()
    return term_id


async def _event(ctx: Context, member_id: int, kind: str, **details: Any) -> None:
    actor = ctx.actor.id or None  # 0: the bot itself (a scheduled job)
    await ctx.db.execute(
        insert(koc_events).values(member_id=member_id, at=ctx.now, actor_id=actor, kind=kind, details=details)
    )


async def _open_term(ctx: Context, cmd: Invocation) -> Any:
    """The term a /koc renew or /koc letend names, still running."""
    row = await row_by_id(ctx, cmd, title_terms, problem="koc/term_problem_id", unknown="koc/term_unknown")
    if row.status not in (ACTIVE, ENDING):
        raise UserFacingError("koc/term_closed", id=row.id, status=row.status)
    return row


async def _member_name(ctx: Context, member_id: int) -> str:
    found = await ctx.services.directory.find_member_by_id(ctx.db, member_id)
    return found.name if found else ""


async def renew(ctx: Context, cmd: Invocation) -> None:
    """/koc renew ID [6m]: a new term from the end of this one; the title stays."""
    row = await _open_term(ctx, cmd)
    months = _months(ctx, cmd.args[1] if len(cmd.args) > 1 else None)
    ends = add_months(row.ends, months)
    new_id = await _insert_term(ctx, row.member_id, row.title, row.ends, ends, row.owner_id or ctx.actor.id)
    await ctx.db.execute(update(title_terms).where(title_terms.c.id == row.id).values(status=RENEWED))
    await _grant(ctx, row.member_id, row.title, new_id)  # only if it was taken back meanwhile
    await _event(ctx, row.member_id, "title_renewed", term_id=new_id, renews=row.id, months=months)
    ctx.note_audit(term_id=new_id, renews=row.id, months=months)
    await ctx.reply(
        "koc/term_renewed",
        id=row.id,
        new_id=new_id,
        member=await _member_name(ctx, row.member_id),
        title=row.title,
        starts=row.ends.isoformat(),
        ends=ends.isoformat(),
        months=months,
    )


async def let_end(ctx: Context, cmd: Invocation) -> None:
    """/koc letend ID: the title ends with the term, with a thank-you (today, if the term is over)."""
    row = await _open_term(ctx, cmd)
    await ctx.db.execute(update(title_terms).where(title_terms.c.id == row.id).values(status=ENDING))
    ctx.note_audit(term_id=row.id)
    over = row.ends <= ctx.today
    if over:
        await end_term(ctx, row)
    await ctx.reply(
        "koc/term_letend",
        id=row.id,
        member=await _member_name(ctx, row.member_id),
        title=row.title,
        ends=row.ends.isoformat(),
        now=over,
    )


async def end_term(ctx: Context, row: Any) -> None:
    """The title goes back through the recognition ledger; the member is thanked privately, once."""
    await ctx.db.execute(update(title_terms).where(title_terms.c.id == row.id).values(status=ENDED))
    await revoke_title(ctx, row.member_id, row.title, by=ctx.actor if ctx.actor.id else None)
    await _event(ctx, row.member_id, "title_ended", term_id=row.id, title=row.title)
    member = await ctx.services.directory.find_member_by_id(ctx.db, row.member_id)
    if member is not None:
        await ctx.dm(
            member,
            "koc/term_thanks",
            message_kind=OutgoingKind.TRANSACTIONAL,
            name=member.name,
            title=row.title,
            starts=row.starts.isoformat(),
            ends=row.ends.isoformat(),
            record=await term_record(ctx, row),
            dedupe_key=KEY.format(id=row.id, what="thanks"),
        )


def _day_start(ctx: Context, day: date) -> datetime:
    return ctx.day_start(day).astimezone(UTC)


async def term_record(ctx: Context, row: Any) -> dict[str, int]:
    """What the member did in the term so far: thanks received, feedback adopted, threads, messages."""
    since, member_id, conn = _day_start(ctx, row.starts), row.member_id, ctx.db
    units = thanks_units("receiver_id", thanks.c.receiver_id == member_id, thanks.c.created_at >= since)
    adopted = (
        select(func.count(func.distinct(feedback_history.c.item_id)))
        .select_from(feedback_history.join(feedback_items, feedback_items.c.id == feedback_history.c.item_id))
        .where(
            feedback_items.c.reporter_id == member_id,
            feedback_history.c.to_status == "adopted",
            feedback_history.c.created_at >= since,
        )
    )
    threads = select(func.count()).where(thread_people.c.member_id == member_id, thread_people.c.added_at >= since)
    messages = select(func.count()).where(
        schema.messages.c.member_id == member_id,
        schema.messages.c.received_at >= since,
        community_message(schema.messages),
    )
    return {
        "thanks": int((await conn.execute(select(func.coalesce(func.sum(units.c.n), 0)))).scalar_one()),
        "adopted": (await conn.execute(adopted)).scalar_one(),
        "threads": (await conn.execute(threads)).scalar_one(),
        "messages": (await conn.execute(messages)).scalar_one(),
    }


async def review_and_end_terms(ctx: Context, today: date) -> int:
    """The daily job's part for terms: reviews due, terms let end, terms over with no decision."""
    rows = (
        await ctx.db.execute(
            select(title_terms).where(title_terms.c.status.in_([ACTIVE, ENDING])).order_by(title_terms.c.id)
        )
    ).all()
    done = 0
    for row in rows:
        if row.status == ENDING and row.ends <= today:
            await end_term(ctx, row)
        elif row.status == ACTIVE and row.ends <= today:
            await _tell_owner(ctx, row, "koc/term_undecided", "undecided")
        elif (
            row.status == ACTIVE
            and row.reviewed_at is None
            and (row.ends - today).days <= ctx.settings.section(KocSection).review_days
        ):
            await _tell_owner(
                ctx, row, "koc/term_review", "review", record=await term_record(ctx, row), days=(row.ends - today).days
            )
            await ctx.db.execute(update(title_terms).where(title_terms.c.id == row.id).values(reviewed_at=ctx.now))
        else:
            continue
        done += 1
    return done


async def _tell_owner(ctx: Context, row: Any, template: str, what: str, **params: Any) -> None:
    owner = await ctx.services.directory.find_member_by_id(ctx.db, row.owner_id) if row.owner_id else None
    if owner is None:
        _LOGGER.warning("title term %s has no owning moderator to tell (%s)", row.id, what)
        return
    await ctx.dm(
        owner,
        template,
        message_kind=OutgoingKind.TRANSACTIONAL,
        id=row.id,
        member=await _member_name(ctx, row.member_id),
        title=row.title,
        starts=row.starts.isoformat(),
        ends=row.ends.isoformat(),
        dedupe_key=KEY.format(id=row.id, what=what),
        **params,
    )
