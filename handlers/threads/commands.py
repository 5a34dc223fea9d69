"""Opening and following threads: /issue open, link, +1, route, note, status and support."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Row

from bot.commands import Invocation
from bot.context import Context
from bot.db.schema import OutgoingKind
from bot.errors import UsageError, UserFacingError
from bot.members import CommunityRef, MemberRef
from handlers.threads import links
from handlers.threads.config import ThreadsSection
from handlers.threads.rules import feedback_item_id, split_number
from handlers.threads.store import add_person, add_room, create_thread, get_thread, record, update_thread
from handlers.threads.tables import EventKind, Part, Status

_LOGGER = logging.getLogger(__name__)
STATUS_WORDS = {
    "investigating": Status.INVESTIGATING,
    "调查中": Status.INVESTIGATING,
    "confirmed": Status.CONFIRMED,
    "已确认": Status.CONFIRMED,
    "fixing": Status.FIXING,
    "修复中": Status.FIXING,
}


async def reporters_of(ctx: Context, cmd: Invocation) -> list[MemberRef]:
    """The members a command names as reporters: @mentioned, else the author of the quoted message."""
    quote = ctx.message.quote
    contacts = cmd.mentions or ((cmd.quote_sender,) if cmd.quote_sender and not (quote and quote.from_bot) else ())
    return [await ctx.member(contact) for contact in contacts if contact.id != ctx.actor.platform_id]


def _quoted(ctx: Context) -> str:
    quote = ctx.message.quote
    return quote.text if quote else ""


async def open_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue open title [@reporter ...], optionally quoting the message that raised it."""
    title = cmd.text.strip()
    if not title:
        raise UsageError("threads/problem_needs_title")
    room = ctx.community
    assert room is not None  # a room command (Where.ROOM): the router never calls it in a private chat
    reporters = await reporters_of(ctx, cmd)
    thread_id = await create_thread(ctx, title)
    await add_room(ctx, thread_id, room)
    for member in reporters:
        await add_person(ctx, thread_id, member, Part.REPORTER, room)
    await record(ctx, thread_id, EventKind.OPEN, _quoted(ctx), reporters=[m.id for m in reporters])
    ctx.note_audit(target=reporters[0] if reporters else None, thread=thread_id)
    _LOGGER.info("thread #%d opened in %s", thread_id, room.platform_id)
    await ctx.post(
        room,
        "threads/opened",
        mentions=tuple(m.platform_id for m in reporters),
        id=thread_id,
        title=title,
        reporters=[m.name for m in reporters],
    )


async def link_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue link 12 [FB-42] [@reporter ...]: the same problem, raised again here or tracked as feedback."""
    thread_id, rest = split_number(cmd.text)
    thread = await get_thread(ctx.db, thread_id)
    items = [feedback_item_id(word) for word in rest.split()]
    linked = [await links.link_feedback(ctx, thread_id, item) for item in items if item is not None]
    if ctx.community is None:
        if not linked:
            raise UsageError("threads/problem_link_where")
        await ctx.reply("threads/feedback_linked", id=thread_id, items=linked)
        return
    await _link_here(ctx, cmd, ctx.community, thread, linked)


async def _link_here(ctx: Context, cmd: Invocation, room: CommunityRef, thread: Row[Any], linked: list[int]) -> None:
    new_room = await add_room(ctx, thread.id, room)
    reporters = await reporters_of(ctx, cmd)
    added = [m for m in reporters if await add_person(ctx, thread.id, m, Part.REPORTER, room)]
    if not (new_room or added or linked):
        raise UserFacingError("threads/nothing_linked", id=thread.id)
    await record(
        ctx,
        thread.id,
        EventKind.LINK,
        _quoted(ctx),
        reporters=[m.id for m in added],
        community=room.id,
        new_room=new_room,
    )
    ctx.note_audit(target=added[0] if added else None, thread=thread.id, feedback=linked)
    if new_room or added:
        await ctx.post(
            room,
            "threads/linked",
            mentions=tuple(m.platform_id for m in added),
            id=thread.id,
            title=thread.title,
            reporters=[m.name for m in added],
        )
    if linked:
        await ctx.reply_privately("threads/feedback_linked", id=thread.id, items=linked)


async def follow_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue +1 12: a member who has the same problem is told privately when it is resolved."""
    thread_id, _ = split_number(cmd.text)
    thread = await get_thread(ctx.db, thread_id)
    added = await add_person(ctx, thread_id, ctx.actor, Part.FOLLOWER, ctx.community)
    if added:
        await record(ctx, thread_id, EventKind.FOLLOW)
    await ctx.reply("threads/followed", id=thread_id, title=thread.title, already=not added)


async def route_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue route 12 产品部 (the departments are in the config)."""
    section = ctx.settings.section(ThreadsSection)
    thread_id, department = split_number(cmd.text)
    if department not in section.departments:
        raise UsageError("threads/problem_department", department=department, departments=section.departments)
    await get_thread(ctx.db, thread_id)
    await update_thread(ctx, thread_id, department=department)
    await record(ctx, thread_id, EventKind.ROUTE, department)
    ctx.note_audit(thread=thread_id, department=department)
    await ctx.reply_privately("threads/routed", id=thread_id, department=department)


async def note_thread(ctx: Context, cmd: Invocation) -> None:
    """/issue note 12 text: internal, only ever shown privately to moderators."""
    thread_id, text = split_number(cmd.text)
    if not text:
        raise UsageError("threads/problem_needs_text")
    await get_thread(ctx.db, thread_id)
    await record(ctx, thread_id, EventKind.NOTE, text)
    await update_thread(ctx, thread_id)
    ctx.note_audit(thread=thread_id)
    await ctx.reply_privately("threads/noted", id=thread_id)


async def set_status(ctx: Context, cmd: Invocation) -> None:
    """/issue status 12 investigating|confirmed|fixing"""
    thread_id, word = split_number(cmd.text)
    thread = await get_thread(ctx.db, thread_id)
    if thread.status == Status.RESOLVED:  # before the words: nothing they say could apply
        raise UserFacingError("threads/already_resolved", id=thread_id)
    status = STATUS_WORDS.get(word.lower())
    if status is None:
        raise UsageError("threads/problem_status")
    await update_thread(ctx, thread_id, status=status.value)
    await record(ctx, thread_id, EventKind.STATUS, status.value, previous=thread.status)
    ctx.note_audit(thread=thread_id, status=status.value)
    await ctx.reply_privately("threads/status_set", id=thread_id, status=status.value)


async def support_member(ctx: Context, cmd: Invocation) -> None:
    """/issue support 12 @koc: a private message of support from the moderators, recorded."""
    thread_id, _ = split_number(cmd.text)
    members = await reporters_of(ctx, cmd)
    if not members:
        raise UsageError("threads/problem_needs_member")
    thread = await get_thread(ctx.db, thread_id)
    for member in members:
        await ctx.dm(
            member, "threads/support", message_kind=OutgoingKind.TRANSACTIONAL, name=member.name, title=thread.title
        )
        await record(ctx, thread_id, EventKind.SUPPORT, target=member.id)
    ctx.note_audit(target=members[0], thread=thread_id)
    await ctx.reply_privately("threads/support_sent", id=thread_id, members=[m.name for m in members])
