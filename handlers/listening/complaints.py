"""Complaints: one private note to the room's moderator per thing within the hour, and the one-step actions."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from bot.commands import Invocation
from bot.context import Context
from bot.db.schema import OutgoingKind
from bot.errors import UsageError, UserFacingError
from bot.members import MemberRef
from handlers.listening.config import ListeningSection
from handlers.listening.matching import Kind, ListeningMatch
from handlers.listening.rooms import community_by_id
from handlers.listening.tables import NoteStatus, flags, labels, notes
from handlers.threads.sources import Source

_LOGGER = logging.getLogger(__name__)
NOTE_KIND = OutgoingKind.TRANSACTIONAL  # news the moderators owe a member an answer on: no budget


def section_of(ctx: Context) -> ListeningSection:
    section: ListeningSection = ctx.settings.listening  # type: ignore[attr-defined]  # capability sections
    return section


async def recipients(ctx: Context, room_id: str) -> list[MemberRef]:
    """The room's owning moderator if the config names one the bot knows, else every moderator and admin."""
    owner = section_of(ctx).owners.get(room_id)
    found = await ctx.services.directory.find_member(ctx.db, owner) if owner else None
    return [found] if found is not None else await ctx.services.directory.staff(ctx.db)


async def flag_complaint(ctx: Context, match: ListeningMatch) -> None:
    """Log the complaint; a new thing gets a note, a complaint about the same thing joins the open one."""
    assert ctx.community is not None
    note = await _open_note(ctx, match.topics)
    if note is None:
        note_id = await _new_note(ctx, match.topics)
        await insert_flag(ctx, Kind.COMPLAINT, match, note_id)
        await _send_note(ctx, note_id)
        return
    topics = list(dict.fromkeys([*note.topics, *match.topics]))
    await ctx.db.execute(update(notes).where(notes.c.id == note.id).values(last_at=ctx.now, topics=topics))
    await insert_flag(ctx, Kind.COMPLAINT, match, note.id)
    _LOGGER.info("complaint in %s joins note %d", ctx.community.platform_id, note.id)


async def _open_note(ctx: Context, topics: tuple[str, ...]) -> Any | None:
    """The room's open note within the grouping window about the same thing (a shared topic, or no topic
    named on either side)."""
    assert ctx.community is not None
    since = ctx.now - timedelta(minutes=section_of(ctx).group_minutes)
    rows = (
        await ctx.db.execute(
            select(notes)
            .where(
                notes.c.community_id == ctx.community.id,
                notes.c.status == NoteStatus.OPEN.value,
                notes.c.last_at >= since,
            )
            .order_by(notes.c.last_at.desc())
        )
    ).all()
    return next((row for row in rows if _same_thing(row.topics, topics)), None)


def _same_thing(seen: list[str], topics: tuple[str, ...]) -> bool:
    return not seen or not topics or bool(set(seen) & set(topics))


async def _new_note(ctx: Context, topics: tuple[str, ...]) -> int:
    assert ctx.community is not None
    section = section_of(ctx)
    due = ctx.now + timedelta(minutes=section.thank_within_minutes) if section.acknowledge else None
    values = {"community_id": ctx.community.id, "topics": list(topics), "opened_at": ctx.now, "last_at": ctx.now}
    stmt = insert(notes).values(status=NoteStatus.OPEN.value, ack_due_at=due, **values).returning(notes.c.id)
    return int((await ctx.db.execute(stmt)).scalar_one())


async def insert_flag(ctx: Context, kind: Kind, match: ListeningMatch, note_id: int | None, **more: Any) -> int:
    assert ctx.community is not None and ctx.message_row_id is not None
    result = await ctx.db.execute(
        insert(flags)
        .values(
            kind=kind.value,
            note_id=note_id,
            message_id=ctx.message_row_id,
            platform_msg_id=ctx.message.message_id,
            community_id=ctx.community.id,
            member_id=ctx.actor.id,
            text=ctx.message.text,
            topics=list(match.topics),
            flagged_at=ctx.now,
            nudges=0,
            **more,
        )
        .returning(flags.c.id)
    )
    return int(result.scalar_one())


async def _send_note(ctx: Context, note_id: int) -> None:
    assert ctx.community is not None
    for member in await recipients(ctx, ctx.community.platform_id):
        await ctx.dm(
            member,
            "listening/note",
            message_kind=OutgoingKind.TRANSACTIONAL,  # NOTE_KIND, spelled out for the lanes table test
            dedupe_key=f"listening-note:{note_id}:{member.platform_id}",
            number=note_id,
            who=ctx.actor.name,
            room=ctx.community.name,
            text=ctx.message.text,
        )
    _LOGGER.info("complaint note %d for %s", note_id, ctx.community.platform_id)


async def get_note(ctx: Context, number: int) -> Any:
    row = (await ctx.db.execute(select(notes).where(notes.c.id == number))).one_or_none()
    if row is None:
        raise UserFacingError("listening/no_such_note", number=number)
    return row


async def first_flag(ctx: Context, note_id: int) -> Any:
    query = select(flags).where(flags.c.note_id == note_id).order_by(flags.c.id).limit(1)
    return (await ctx.db.execute(query)).one()


async def ignore(ctx: Context, cmd: Invocation) -> None:
    """/ignore N: not a complaint about us (or nothing to do); remembered as a label, never said in a group."""
    word = cmd.text.strip().lstrip("#")
    if not word.isdigit():
        raise UsageError("listening/problem_needs_number")
    note = await get_note(ctx, int(word))
    if note.status != NoteStatus.OPEN.value:
        raise UserFacingError("listening/already_acted", number=note.id, status=note.status)
    await _close(ctx, note.id, NoteStatus.IGNORED, None)
    await _label(ctx, note.id, "other", "ignore")
    ctx.note_audit(note=note.id)
    await ctx.reply("listening/ignored", number=note.id)


async def _close(ctx: Context, note_id: int, status: NoteStatus, thread_id: int | None) -> None:
    await ctx.db.execute(
        update(notes)
        .where(notes.c.id == note_id)
        .values(status=status.value, thread_id=thread_id, acted_by=ctx.actor.id, acted_at=ctx.now, ack_due_at=None)
    )


async def _label(ctx: Context, note_id: int, label: str, source: str) -> None:
    rows = (await ctx.db.execute(select(flags.c.id, flags.c.text).where(flags.c.note_id == note_id))).all()
    if rows:
        await ctx.db.execute(
            insert(labels),
            [
                {
                    "flag_id": r.id,
                    "text": r.text,
                    "label": label,
                    "source": source,
                    "decided_by": ctx.actor.id,
                    "decided_at": ctx.now,
                }
                for r in rows
            ],
        )


async def on_source_wanted(ctx: Context, source: Source) -> None:
    """`/issue open from N`: note N's first message, its room and its author, as if quoted."""
    row = (await ctx.db.execute(select(notes).where(notes.c.id == source.number))).one_or_none()
    if row is None:
        return
    if row.status != NoteStatus.OPEN.value:
        raise UserFacingError("listening/already_acted", number=row.id, status=row.status)
    flag = await first_flag(ctx, row.id)
    directory = ctx.services.directory
    source.reporter = await directory.find_member_by_id(ctx.db, flag.member_id)
    source.community = await community_by_id(ctx, flag.community_id)
    source.text = flag.text


async def on_source_used(ctx: Context, source: Source) -> None:
    """The note became a thread: closed, and its messages labelled as complaints."""
    await _close(ctx, source.number, NoteStatus.THREAD, source.thread_id)
    await _label(ctx, source.number, "complaint", "thread")
