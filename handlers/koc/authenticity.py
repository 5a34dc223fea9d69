"""Authenticity: a KOC's group message nearly identical to this month's brief is told to their owning moderator.

The brand shares points, never a script. When an active KOC posts the brief's text (character-bigram
Dice similarity, which works for Chinese, at or above `koc.brief_similarity`, against the whole
brief or any one of its longer points), the moderator who owns the relationship (else every staff
member) is told privately, once per message. The member is never told, and nothing is said in the group.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import select

from bot.context import Context
from bot.db import schema
from bot.db.schema import Stage
from bot.events import IncomingMessage
from bot.members import MemberRef
from handlers.feedback.rules import bigrams, similarity
from handlers.koc.config import KocSection
from handlers.koc.tables import koc_records
from handlers.outreach.tables import briefs

_LOGGER = logging.getLogger(__name__)
MIN_BIGRAMS = 8  # shorter messages ("收到", "好的谢谢") cannot copy a brief
MIN_POINT_BIGRAMS = 12  # a point this long copied on its own counts; a short topic name does not
CACHE_SECONDS = 300  # a brief changed mid-month is seen within five minutes
DEDUPE = "koc:brief_copy:{message}:{reader}"


@dataclass(frozen=True, slots=True)
class BriefCopyCandidate:
    """A group message long enough to be compared with the brief (the handler decides)."""

    text: str


def match_brief_copy(message: IncomingMessage, section: KocSection) -> BriefCopyCandidate | None:
    """Pure and cheap: any group text of some length that is not a command."""
    text = message.text.strip()
    if message.is_direct or text.startswith(("/", "／")) or len(bigrams(text)) < MIN_BIGRAMS:
        return None
    return BriefCopyCandidate(text)


class BriefCache:
    """This month's brief points per app (keyed by its member directory), reloaded every few minutes."""

    _by_app: ClassVar[weakref.WeakKeyDictionary[object, dict[str, tuple[datetime, tuple[str, ...]]]]] = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    async def points(cls, ctx: Context, month: str) -> tuple[str, ...]:
        months = cls._by_app.setdefault(ctx.services.directory, {})
        cached = months.get(month)
        if cached is not None and cached[0] > ctx.now:
            return cached[1]
        text = (await ctx.db.execute(select(briefs.c.points).where(briefs.c.month == month))).scalar_one_or_none()
        points = tuple(line for line in (text or "").splitlines() if line.strip())
        months[month] = (ctx.now + timedelta(seconds=CACHE_SECONDS), points)
        return points


def closeness(text: str, points: tuple[str, ...]) -> float:
    """How close a message is to the brief: to all of it, or to any one point long enough to be a script."""
    scores = [similarity(text, "\n".join(points))]
    scores += [similarity(text, point) for point in points if len(bigrams(point)) >= MIN_POINT_BIGRAMS]
    return max(scores)


async def on_group_message(ctx: Context, match: BriefCopyCandidate) -> None:
    """Compare an active KOC's message with this month's brief; tell the owning moderator privately."""
    section = ctx.settings.section(KocSection)
    month = ctx.month_of()
    points = await BriefCache.points(ctx, month)
    if not points:
        return
    row = (
        await ctx.db.execute(
            select(schema.members.c.stage, koc_records.c.owner_id)
            .outerjoin(koc_records, koc_records.c.member_id == schema.members.c.id)
            .where(schema.members.c.id == ctx.actor.id)
        )
    ).one_or_none()
    if row is None or row.stage != Stage.ACTIVE.value:
        return
    score = closeness(match.text, points)
    if score < section.brief_similarity:
        return
    for reader in await _readers(ctx, row.owner_id):
        await ctx.dm(
            reader,
            "koc/brief_copy",
            member=ctx.actor.name,
            community=ctx.community.name if ctx.community else "",
            text=match.text,
            month=month,
            percent=round(score * 100),
            dedupe_key=DEDUPE.format(message=ctx.message.message_id, reader=reader.platform_id),
        )
    _LOGGER.info("KOC %s posted text %.0f%% like the %s brief", ctx.actor.platform_id, score * 100, month)


async def _readers(ctx: Context, owner_id: int | None) -> list[MemberRef]:
    directory = ctx.services.directory
    owner = await directory.find_member_by_id(ctx.db, owner_id) if owner_id else None
    return [owner] if owner is not None else await directory.staff(ctx.db)
