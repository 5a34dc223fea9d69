"""Resolution notices in every room where a thread was raised, previews, scheduling, and reopening."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.commands import Invocation
from bot.context import Context
from bot.db.schema import OutgoingKind
from bot.errors import UsageError, UserFacingError
from bot.members import CommunityRef, MemberRef
from bot.outbox import withdraw_pending
from handlers.threads.config import ThreadsSection
from handlers.threads.rules import asks_preview, parse_resolve, relative_day, split_number
from handlers.threads.store import get_thread, record, thread_people, thread_rooms, update_thread
from handlers.threads.tables import EventKind, Part, Status, people

_LOGGER = logging.getLogger(__name__)
NOTICE = "threads/resolution"


@dataclass(frozen=True, slots=True)
class Notice:
    """One room's resolution notice, exactly as it will be posted."""

    community: CommunityRef
    mentions: tuple[str, ...]
    params: dict[str, Any]


def dedupe_prefix(thread_id: int, round_: int) -> str:
    """Outbox keys of one resolution: each room and follower once per resolution round."""
    return f"threads:{thread_id}:resolution:{round_}:"


async def build_notices(ctx: Context, thread: Any, text: str, send_at: datetime, round_: int) -> list[Notice]:
    reporters = [p for p in await thread_people(ctx.db, thread.id) if p.part == Part.REPORTER]
    notices = []
    for community, raised_at in await thread_rooms(ctx, thread.id):
        here = [p for p in reporters if p.community_id == community.id]
        when = relative_day(raised_at, send_at, ZoneInfo(community.timezone), community.locale)
        params = {
            "id": thread.id,
            "title": thread.title,
            "text": text,
            "when": when.words,
            "on_date": when.calendar,
            "again": round_ > 1,
            "reporters": [p.name for p in here],
        }
        notices.append(Notice(community, tuple(p.platform_id for p in here), params))
    return notices


async def resolve_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue resolve 12 text [--preview] [--at YYYY-MM-DD HH:MM]"""
    thread_id, rest = split_number(cmd.text)
    thread = await get_thread(ctx.db, thread_id)
    if thread.status == Status.RESOLVED and not asks_preview(rest):  # the state first, then the details
        raise UserFacingError("threads/already_resolved", id=thread_id)
    options = parse_resolve(rest, ctx.room_zone)
    if options.at is not None and options.at <= ctx.now:
        raise UsageError("threads/problem_at_past")
    round_ = thread.resolutions + 1
    notices = await build_notices(ctx, thread, options.text, options.at or ctx.now, round_)
    if options.preview:
        await _preview(ctx, thread_id, notices, options.at)
    else:
        await _publish(ctx, thread, notices, options.text, options.at, round_)


async def _preview(ctx: Context, thread_id: int, notices: list[Notice], at: datetime | None) -> None:
    texts = [{"room": n.community.name, "text": ctx.render(NOTICE, n.community.locale, **n.params)} for n in notices]
    await ctx.reply_privately("threads/preview", id=thread_id, notices=texts, at=at)


async def _publish(
    ctx: Context, thread: Any, notices: list[Notice], text: str, at: datetime | None, round_: int
) -> None:
    prefix = dedupe_prefix(thread.id, round_)
    for notice in notices:
        await ctx.post(
            notice.community,
            NOTICE,
            message_kind=OutgoingKind.TRANSACTIONAL,
            mentions=notice.mentions,
            not_before=at,
            dedupe_key=f"{prefix}room:{notice.community.id}",
            **notice.params,
        )
    await _tell_followers(ctx, thread, text, at, prefix)
    await _mark_resolved(ctx, thread.id, text, at, round_)
    ctx.note_audit(thread=thread.id, round=round_, rooms=[n.community.id for n in notices])
    _LOGGER.info("thread #%d resolved (round %d) in %d rooms", thread.id, round_, len(notices))
    await ctx.reply_privately(
        "threads/resolved", id=thread.id, rooms=[n.community.name for n in notices], at=at, again=round_ > 1
    )


async def _mark_resolved(ctx: Context, thread_id: int, text: str, at: datetime | None, round_: int) -> None:
    """Resolved from now on (even if the notice waits), with a new round of fix confirmations."""
    section = ctx.settings.section(ThreadsSection)
    send_at = at or ctx.now
    confirm_at = send_at + timedelta(hours=section.confirm_after_hours) if section.confirm_after_hours else None
    await update_thread(
        ctx,
        thread_id,
        status=Status.RESOLVED.value,
        resolutions=round_,
        resolution_text=text,
        resolved_at=send_at,
        confirm_due_at=confirm_at,
        flagged=False,
    )
    await ctx.db.execute(
        update(people)
        .where(people.c.thread_id == thread_id)
        .values(answer=None, answer_text=None, asked_at=None, answered_at=None)
    )
    await record(ctx, thread_id, EventKind.RESOLVE, text, round=round_, at=at.isoformat() if at else None)


async def _tell_followers(ctx: Context, thread: Any, text: str, at: datetime | None, prefix: str) -> None:
    for person in await thread_people(ctx.db, thread.id):
        if person.part == Part.FOLLOWER:
            member = await ctx.services.directory.member_by_id(ctx.db, person.member_id)
            await ctx.dm(
                member,
                "threads/resolved_follower",
                message_kind=OutgoingKind.TRANSACTIONAL,
                dedupe_key=f"{prefix}dm:{person.member_id}",
                not_before=at,
                id=thread.id,
                title=thread.title,
                text=text,
            )


async def reopen_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue reopen 12 reason: a scheduled notice not yet out is withdrawn; the groups hear the next one."""
    thread_id, reason = split_number(cmd.text)
    thread = await get_thread(ctx.db, thread_id)
    if thread.status != Status.RESOLVED:
        raise UserFacingError("threads/not_resolved", id=thread_id)
    if not reason:
        raise UsageError("threads/problem_needs_reason")
    await reopen(ctx, thread, reason)
    ctx.note_audit(thread=thread_id, reason=reason)
    withdrawn = thread.resolved_at is not None and thread.resolved_at > ctx.now
    await ctx.reply_privately("threads/reopened", id=thread_id, withdrawn=withdrawn)


async def reopen(ctx: Context, thread: Any, reason: str, actor: MemberRef | None = None) -> None:
    """Back to open; a notice scheduled for later and not yet sent is withdrawn with its round."""
    round_ = thread.resolutions
    if thread.resolved_at is not None and thread.resolved_at > ctx.now:
        await withdraw_pending(ctx.db, dedupe_prefix(thread.id, round_))
        round_ -= 1
    await update_thread(
        ctx, thread.id, status=Status.OPEN.value, resolutions=round_, resolved_at=None, confirm_due_at=None
    )
    await record(ctx, thread.id, EventKind.REOPEN, reason, actor=actor)
