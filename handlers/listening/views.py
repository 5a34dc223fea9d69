"""What moderators see: /listening (open complaints and questions per room), the digest, the labels export."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.registry import ExportRequest
from handlers.listening.matching import Kind
from handlers.listening.questions import settle
from handlers.listening.tables import NoteStatus, flags, labels, notes

OPEN_QUESTION_DAYS = 7  # older unanswered questions leave the view (the digest still counts them)
DIGEST_DAYS = 7


async def show(ctx: Context, cmd: Invocation) -> None:
    """/listening: each room's open complaint notes and unanswered questions, with their age."""
    await _settle_open(ctx)
    rooms: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in await _open_notes(ctx):
        rooms.setdefault(row.room, {"complaints": [], "questions": []})["complaints"].append(_line(ctx, row))
    for row in await _open_questions(ctx):
        rooms.setdefault(row.room, {"complaints": [], "questions": []})["questions"].append(_line(ctx, row))
    await ctx.reply("listening/list", rooms=rooms)


def _line(ctx: Context, row: Any) -> dict[str, Any]:
    return {"number": row.number, "who": row.who, "text": row.text, "minutes": _minutes(ctx.now, row.at)}


def _minutes(now: datetime, then: datetime) -> int:
    return int((now - then).total_seconds() // 60)


async def _settle_open(ctx: Context) -> None:
    since = ctx.now - timedelta(days=OPEN_QUESTION_DAYS)
    query = select(flags).where(
        flags.c.kind == Kind.QUESTION.value, flags.c.answered_at.is_(None), flags.c.flagged_at >= since
    )
    for flag in (await ctx.db.execute(query)).all():
        await settle(ctx, flag)


async def _open_notes(ctx: Context) -> list[Any]:
    c, m, each = schema.communities, schema.members, flags.alias("each_flag")
    first = select(func.min(each.c.id)).where(each.c.note_id == notes.c.id).correlate(notes).scalar_subquery()
    query = (
        select(notes.c.id.label("number"), c.c.name.label("room"), m.c.display_name.label("who"))
        .add_columns(flags.c.text, notes.c.opened_at.label("at"))
        .select_from(notes)
        .join(flags, flags.c.id == first)
        .join(c, c.c.id == notes.c.community_id)
        .join(m, m.c.id == flags.c.member_id)
        .where(notes.c.status == NoteStatus.OPEN.value)
        .order_by(c.c.name, notes.c.id)
    )
    return list((await ctx.db.execute(query)).all())


async def _open_questions(ctx: Context) -> list[Any]:
    c, m = schema.communities, schema.members
    since = ctx.now - timedelta(days=OPEN_QUESTION_DAYS)
    query = (
        select(flags.c.id.label("number"), c.c.name.label("room"), m.c.display_name.label("who"))
        .add_columns(flags.c.text, flags.c.flagged_at.label("at"))
        .join(c, c.c.id == flags.c.community_id)
        .join(m, m.c.id == flags.c.member_id)
        .where(flags.c.kind == Kind.QUESTION.value, flags.c.answered_at.is_(None), flags.c.flagged_at >= since)
        .order_by(c.c.name, flags.c.id)
    )
    return list((await ctx.db.execute(query)).all())


async def digest_section(ctx: Context) -> tuple[str, dict[str, Any]] | None:
    """The week per room: complaints noticed and what became of them, questions asked and answered."""
    await _settle_open(ctx)
    since = ctx.now - timedelta(days=DIGEST_DAYS)
    c = schema.communities
    query = (
        select(c.c.name, flags.c.kind, flags.c.answered_at, notes.c.status)
        .join(c, c.c.id == flags.c.community_id)
        .outerjoin(notes, notes.c.id == flags.c.note_id)
        .where(flags.c.flagged_at >= since)
        .order_by(c.c.name)
    )
    rooms: dict[str, dict[str, int]] = {}
    for row in await ctx.db.execute(query):
        counts = rooms.setdefault(row.name, dict.fromkeys(("complaints", "threads", "ignored", "asked", "answered"), 0))
        if row.kind == Kind.COMPLAINT.value:
            counts["complaints"] += 1
            counts["threads"] += row.status == NoteStatus.THREAD.value
            counts["ignored"] += row.status == NoteStatus.IGNORED.value
        else:
            counts["asked"] += 1
            counts["answered"] += row.answered_at is not None
    return ("listening/digest", {"rooms": rooms}) if rooms else None


async def export_labels(conn: AsyncConnection, request: ExportRequest) -> str:
    """`kocbot export listening`: every label moderators' actions left, one JSON object a line."""
    rows = await conn.execute(
        select(labels.c.text, labels.c.label, labels.c.source, labels.c.decided_at).order_by(labels.c.id)
    )
    lines = [
        json.dumps(
            {"text": r.text, "label": r.label, "source": r.source, "decided_at": r.decided_at.isoformat()},
            ensure_ascii=False,
        )
        for r in rows
    ]
    return "".join(line + "\n" for line in lines)
