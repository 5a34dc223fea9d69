"""Campaigns by command: /campaign create|list|show|close, and each campaign's keywords and talking points.

A campaign covers chosen rooms and is measured from its creation until the end of its launch
day plus `campaigns.days_after_launch` days (or until it is closed). Closing it cancels the clue
drops still to come (see handlers.campaigns.clues).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update

from bot.commands import Invocation, parse_date
from bot.context import Context
from bot.errors import UsageError, UserFacingError
from bot.hooks import HookPoint
from bot.rooms import is_room_word, resolve_rooms
from handlers.campaigns import clues, store
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.store import CampaignView
from handlers.campaigns.tables import CampaignStatus, campaign_rooms, campaigns

_LOGGER = logging.getLogger(__name__)
_FIRST_FLAG = re.compile(r"(?:^|\s)(?:--|[#＃])\S")
_KEYWORD_SPLIT = re.compile(r"[\s,，、;；]+")
_POINT_SPLIT = re.compile(r"[；;|｜\n]+")
_BULLET = re.compile(r"^\s*(?:[-*·•]|\d+[.、)）])\s*")
LAUNCH = {"--launch", "--上线"}
NAME_LENGTH = 200
MAX_KEYWORDS, KEYWORD_LENGTH = 20, 30
MAX_POINTS, POINT_LENGTH = 8, 200
RECENT_CLOSED = 5


@dataclass(frozen=True, slots=True)
class CampaignStarted:
    """A campaign just began (it starts when it is created): its number, name and rooms."""

    id: int
    name: str
    community_ids: tuple[int, ...]


# Other capabilities listen (`registry.listen`): journeys begin for the members of its rooms.
CAMPAIGN_STARTED: HookPoint[CampaignStarted] = HookPoint("campaigns.started")


def local_day_end(day: date, zone: ZoneInfo) -> datetime:
    """The local midnight after `day`, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def _rest_after_id(cmd: Invocation) -> str:
    """The command's text after its first word (the campaign's number), line breaks kept."""
    return cmd.text.lstrip()[len(cmd.args[0]) :].strip() if cmd.args else ""


# /campaign create


def _name_and_flags(cmd: Invocation) -> tuple[str, list[str]]:
    """The name as typed (the words before the first --flag or #room) and the words after it."""
    text = cmd.text.strip()
    found = _FIRST_FLAG.search(text)
    cut = found.start() if found else len(text)
    return text[:cut].strip(), text[cut:].split()


def _launch_and_rooms(words: list[str]) -> tuple[str, list[str]]:
    launch, rooms = "", []
    words = list(words)
    while words:
        word = words.pop(0)
        if word.lower() in LAUNCH:
            launch = words.pop(0) if words else ""
            if not launch:
                raise UsageError("campaigns/problem_launch", text="")
        elif is_room_word(word):
            rooms.append(word)
        else:
            raise UsageError("campaigns/problem_unexpected", word=word)
    if not launch:
        raise UsageError("campaigns/problem_launch", text="")
    return launch, rooms


def _launch_day(text: str, zone: ZoneInfo, now: datetime) -> date:
    day = parse_date(text)  # NoSuchDate for 2027-13-01
    if day is None:
        raise UsageError("campaigns/problem_launch", text=text[:30])
    today = now.astimezone(zone).date()
    if day < today:
        raise UsageError("campaigns/problem_launch_past", day=day.isoformat(), today=today.isoformat())
    return day


async def create_campaign(ctx: Context, cmd: Invocation) -> None:
    """/campaign create NAME --launch 2026-12-15 [#room ...]"""
    name, words = _name_and_flags(cmd)
    if not name or len(name) > NAME_LENGTH:
        raise UsageError("campaigns/problem_name", length=len(name), limit=NAME_LENGTH)
    launch, names = _launch_and_rooms(words)
    rooms = await resolve_rooms(ctx, names)
    zone = ZoneInfo(rooms[0].timezone)
    launch_on = _launch_day(launch, zone, ctx.now)
    ends_at = local_day_end(launch_on, zone) + timedelta(days=ctx.settings.section(CampaignsSection).days_after_launch)
    campaign_id = (
        await ctx.db.execute(
            insert(campaigns)
            .values(
                name=name,
                launch_on=launch_on,
                timezone=zone.key,
                starts_at=ctx.now,
                ends_at=ends_at,
                keywords=[],
                talking_points=[],
                status=CampaignStatus.OPEN.value,
                created_by=ctx.actor.id,
                created_at=ctx.now,
            )
            .returning(campaigns.c.id)
        )
    ).scalar_one()
    await ctx.db.execute(
        insert(campaign_rooms), [{"campaign_id": campaign_id, "community_id": room.id} for room in rooms]
    )
    ctx.note_audit(campaign=campaign_id, rooms=[room.platform_id for room in rooms], launch=launch_on.isoformat())
    await ctx.emit(CAMPAIGN_STARTED, CampaignStarted(campaign_id, name, tuple(room.id for room in rooms)))
    _LOGGER.info("campaign #%d %r created over %d rooms, launch %s", campaign_id, name, len(rooms), launch_on)
    await ctx.reply(
        "campaigns/created",
        id=campaign_id,
        name=name,
        rooms=[r.name or r.platform_id for r in rooms],
        launch=launch_on.isoformat(),
        timezone=zone.key,
        **_period(ctx, await store.load(ctx.db, campaign_id)),
    )


def _period(ctx: Context, campaign: CampaignView | None) -> dict[str, Any]:
    assert campaign is not None
    zone = campaign.zone
    last_day = (campaign.ends_at.astimezone(zone) - timedelta(microseconds=1)).date()
    return {
        "starts": campaign.starts_at.astimezone(zone),
        "ends": campaign.ends_at.astimezone(zone),
        "last_day": last_day.isoformat(),
        "days_after": ctx.settings.section(CampaignsSection).days_after_launch,
    }


# /campaign list, show


async def list_campaigns(ctx: Context, cmd: Invocation) -> None:
    """/campaign list: the open campaigns, then the most recently closed."""
    everything = await store.load_all(ctx.db)
    open_ones = [c for c in everything if c.is_open]
    closed = sorted((c for c in everything if not c.is_open), key=lambda c: c.ends_at, reverse=True)
    counts = await clues.clue_counts(ctx.db)
    items = [_summary(c, counts.get(c.id, {})) for c in [*open_ones, *closed[:RECENT_CLOSED]]]
    await ctx.reply_privately("campaigns/list", items=items, more_closed=max(0, len(closed) - RECENT_CLOSED))


def _summary(campaign: CampaignView, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "open": campaign.is_open,
        "launch": campaign.launch_on.isoformat(),
        "rooms": [room.label for room in campaign.rooms],
        "clues": counts,
        "ends": campaign.ends_at.astimezone(campaign.zone),
    }


async def show_campaign(ctx: Context, cmd: Invocation) -> None:
    """/campaign show ID: rooms, launch, period, keywords, talking points and every clue."""
    campaign = await store.campaign_named(ctx, cmd)
    items = [
        {
            "id": c.id,
            "at": c.run_at.astimezone(campaign.zone),
            "status": c.status,
            "told": c.heads_up_sent,
            "heads_up": c.heads_up_at.astimezone(campaign.zone),
            "text": c.text,
            "template": c.template,
        }
        for c in await clues.load_clues(ctx.db, campaign.id)
    ]
    await ctx.reply_privately(
        "campaigns/show",
        c=_summary(campaign, {}),
        keywords=list(campaign.keywords),
        points=list(campaign.talking_points),
        clues=items,
        timezone=campaign.timezone,
        **_period(ctx, campaign),
    )


# /campaign close


async def close_campaign(ctx: Context, cmd: Invocation) -> None:
    """/campaign close ID: measured until now at the latest; clue drops still to come are cancelled."""
    campaign = await store.campaign_named(ctx, cmd)
    if not campaign.is_open:
        raise UserFacingError("campaigns/not_open", id=campaign.id, name=campaign.name)
    cancelled, withdrawn = 0, 0
    for clue in await clues.load_clues(ctx.db, campaign.id):
        outcome = await clues.cancel_clue(ctx, campaign.id, clue)
        if outcome is not None:
            cancelled, withdrawn = cancelled + 1, withdrawn + outcome.withdrawn
    ends_at = min(campaign.ends_at, ctx.now)
    await ctx.db.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign.id)
        .values(status=CampaignStatus.CLOSED.value, closed_at=ctx.now, closed_by=ctx.actor.id, ends_at=ends_at)
    )
    ctx.note_audit(campaign=campaign.id, cancelled=cancelled, withdrawn=withdrawn)
    _LOGGER.info("campaign #%d closed: %d clue drops cancelled, %d posts withdrawn", campaign.id, cancelled, withdrawn)
    await ctx.reply(
        "campaigns/closed",
        id=campaign.id,
        name=campaign.name,
        ends=ends_at.astimezone(campaign.zone),
        cancelled=cancelled,
        withdrawn=withdrawn,
    )


# /campaign keywords, points


def keywords_of(text: str) -> list[str]:
    """The words of `text` (spaces, commas and 、 separate them), each once (case aside), in order."""
    seen: dict[str, str] = {}
    for word in _KEYWORD_SPLIT.split(text):
        if word and word.casefold() not in seen:
            seen[word.casefold()] = word
    return list(seen.values())


async def set_keywords(ctx: Context, cmd: Invocation) -> None:
    """/campaign keywords ID word ...: replace the keywords; without words, show them."""
    campaign = await store.campaign_named(ctx, cmd)
    words = keywords_of(_rest_after_id(cmd))
    if not words:
        await ctx.reply(
            "campaigns/keywords", id=campaign.id, name=campaign.name, keywords=list(campaign.keywords), changed=False
        )
        return
    long = [w for w in words if len(w) > KEYWORD_LENGTH]
    if len(words) > MAX_KEYWORDS or long:
        raise UsageError(
            "campaigns/problem_keywords", count=len(words), limit=MAX_KEYWORDS, long=long[:3], length=KEYWORD_LENGTH
        )
    await ctx.db.execute(update(campaigns).where(campaigns.c.id == campaign.id).values(keywords=words))
    ctx.note_audit(campaign=campaign.id, keywords=words)
    await ctx.reply("campaigns/keywords", id=campaign.id, name=campaign.name, keywords=words, changed=True)


def points_of(text: str) -> list[str]:
    """Talking points separated by ；, ;, | or line breaks; bullets and numbering dropped."""
    return [point for part in _POINT_SPLIT.split(text) if (point := _BULLET.sub("", part).strip())]


async def set_points(ctx: Context, cmd: Invocation) -> None:
    """/campaign points ID 要点一；要点二: the talking points of the KOCs' heads-ups; without text, show them."""
    campaign = await store.campaign_named(ctx, cmd)
    points = points_of(_rest_after_id(cmd))
    if not points:
        await ctx.reply(
            "campaigns/points", id=campaign.id, name=campaign.name, points=list(campaign.talking_points), changed=False
        )
        return
    if len(points) > MAX_POINTS or any(len(p) > POINT_LENGTH for p in points):
        raise UsageError("campaigns/problem_points", count=len(points), limit=MAX_POINTS, length=POINT_LENGTH)
    await ctx.db.execute(update(campaigns).where(campaigns.c.id == campaign.id).values(talking_points=points))
    ctx.note_audit(campaign=campaign.id, points=len(points))
    await ctx.reply("campaigns/points", id=campaign.id, name=campaign.name, points=points, changed=True)
