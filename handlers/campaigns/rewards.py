"""Ignition rewards: the `campaign_rewards` job gives each rule's top igniters their points and title,
through the recognition ledger, exactly once per campaign, period, rule and member.

Weekly rules cover each complete week (Monday to Sunday in the campaign's time zone; the first and
last may be partial) up to the campaign's end; a `campaign` rule is given once the campaign has
ended. Every run looks at all such periods not rewarded yet, so a run missed while the bot was down
is caught up by the next, and a run repeated gives nothing twice: the ledger's idempotency key
(`campaign:<id>:<period>:<rule>:<member>`) and the awards table's unique row both say so.

Measuring takes seconds over a big campaign, so the job's `prepare` (`winners_due`) finds the
winners on a read connection in a worker process first; the job then gives and announces in a
short transaction with the run's record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import Context
from bot.db.dialect import insert_for
from bot.db.schema import OutgoingKind
from bot.heavy.spec import Work
from bot.scheduling.jobs import JobRun
from handlers.campaigns import ignition, store
from handlers.campaigns.config import CampaignsSection, RewardRule
from handlers.campaigns.store import CampaignView
from handlers.campaigns.tables import awards
from handlers.recognition.ledger import award_points, grant_title
from handlers.recognition.tables import Source

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # "2026-W50", or "campaign"
    start: datetime  # aware
    end: datetime


@dataclass(frozen=True, slots=True)
class Winner:
    member_id: int
    name: str
    rank: int
    value: float
    rule: int
    points: int
    title: str


def weeks(campaign: CampaignView, until: datetime) -> list[Period]:
    """The campaign's complete weeks up to `until` (Monday 00:00 local boundaries)."""
    zone = campaign.zone
    first = campaign.starts_at.astimezone(zone).date()
    monday = datetime.combine(first - timedelta(days=first.weekday()), time(), zone)
    periods = []
    while monday < campaign.ends_at:
        following = monday + timedelta(days=7)
        end = min(following, campaign.ends_at)
        if end > until:
            break
        year, week, _ = monday.isocalendar()
        periods.append(Period(f"{year}-W{week:02d}", max(monday, campaign.starts_at), end))
        monday = following
    return periods


def periods_for(rule: RewardRule, campaign: CampaignView, now: datetime) -> list[Period]:
    if rule.period == "campaign":
        return [Period("campaign", campaign.starts_at, campaign.ends_at)] if campaign.ends_at <= now else []
    return weeks(campaign, now)


async def _done(conn: AsyncConnection, campaign_id: int) -> set[tuple[str, int]]:
    rows = await conn.execute(
        select(awards.c.period, awards.c.rule).distinct().where(awards.c.campaign_id == campaign_id)
    )
    return {(row.period, row.rule) for row in rows}


def winners(measured: ignition.Measured, rule: RewardRule, index: int) -> list[Winner]:
    chosen: list[Winner] = []
    for igniter in measured.ranked(rule.who, rule.rank_by):
        value = igniter.measure(rule.rank_by)
        if len(chosen) == rule.top or value < rule.minimum or value <= 0:
            break
        chosen.append(Winner(igniter.member_id, igniter.name, len(chosen) + 1, value, index, rule.points, rule.title))
    return chosen


@dataclass(frozen=True, slots=True)
class Due:
    """One period's winners under one rule, not rewarded yet when measured."""

    campaign: CampaignView
    period: Period
    rule: int  # its index in campaigns.rewards
    winners: list[Winner]


async def winners_due(work: Work) -> list[Due]:
    """The `campaign_rewards` job's heavy part: every started campaign's periods not rewarded yet, and
    their winners (measured up to the run's time)."""
    section = work.settings.section(CampaignsSection)
    found: list[Due] = []
    for campaign in await store.load_all(work.db):
        if campaign.starts_at < work.now:
            found += await _due_in(work.db, campaign, section, work.now)
    return found


async def _due_in(conn: AsyncConnection, campaign: CampaignView, section: CampaignsSection, now: datetime) -> list[Due]:
    done = await _done(conn, campaign.id)
    pending = [
        (index, rule, period)
        for index, rule in enumerate(section.rewards)
        for period in periods_for(rule, campaign, now)
        if (period.label, index) not in done
    ]
    if not pending:
        return []
    log = await ignition.read_log(conn, campaign, section, campaign.measured_until(now))
    weights = ignition.Weights.of(section)
    return [
        Due(
            campaign,
            period,
            index,
            winners(ignition.measure(log, weights, since=period.start, before=period.end), rule, index),
        )
        for index, rule, period in pending
    ]


async def reward(ctx: Context, due: list[Due]) -> list[tuple[CampaignView, Period, list[Winner]]]:
    """Give what was measured (each reward once: the awards' unique row) and announce it; returns what was given."""
    section = ctx.settings.section(CampaignsSection)
    rules = section.rewards
    given: dict[tuple[int, str], tuple[CampaignView, Period, list[Winner]]] = {}
    for item in due:
        for winner in item.winners:
            if await _give(ctx, item.campaign, item.period, rules[item.rule], winner):
                given.setdefault((item.campaign.id, item.period.label), (item.campaign, item.period, []))[2].append(
                    winner
                )
    for campaign, period, chosen in given.values():
        await _announce(ctx, campaign, period, chosen)
    return list(given.values())


async def _give(ctx: Context, campaign: CampaignView, period: Period, rule: RewardRule, winner: Winner) -> bool:
    claimed = (
        await ctx.db.execute(
            insert_for(ctx.db, awards)
            .values(
                campaign_id=campaign.id,
                period=period.label,
                rule=winner.rule,
                member_id=winner.member_id,
                rank=winner.rank,
                measure=rule.rank_by,
                value=winner.value,
                points=rule.points,
                title=rule.title or None,
                awarded_at=ctx.now,
            )
            .on_conflict_do_nothing(index_elements=["campaign_id", "period", "rule", "member_id"])
            .returning(awards.c.id)
        )
    ).scalar_one_or_none()
    if claimed is None:
        return False
    key = f"campaign:{campaign.id}:{period.label}:{winner.rule}:{winner.member_id}"
    reason = f"{campaign.name} · {period.label} · #{winner.rank}"
    if rule.points:
        await award_points(ctx, winner.member_id, rule.points, Source.CAMPAIGN, reason, key=key)
    if rule.title:
        await grant_title(ctx, winner.member_id, rule.title, Source.CAMPAIGN, key=key)
    return True


async def _announce(ctx: Context, campaign: CampaignView, period: Period, chosen: list[Winner]) -> None:
    """The winners are thanked in the campaign's rooms, and each privately with their figure."""
    zone = campaign.zone
    params: dict[str, Any] = {
        "campaign": campaign.name,
        "period": period.label,
        "winners": chosen,
        "start": period.start.astimezone(zone),
        "end": (period.end - timedelta(seconds=1)).astimezone(zone),
    }
    for room in campaign.rooms:
        await ctx.post(
            await store.community_of(ctx, room),
            "campaigns/rewards_posted",
            **params,
            dedupe_key=f"campaign:{campaign.id}:rewards:{period.label}:{room.platform_id}",
        )
    for winner in chosen:
        member = await ctx.services.directory.find_member_by_id(ctx.db, winner.member_id)
        if member is not None:
            await ctx.dm(
                member,
                "campaigns/reward_private",
                message_kind=OutgoingKind.TRANSACTIONAL,
                winner=winner,
                **params,
                dedupe_key=f"campaign:{campaign.id}:reward:{period.label}:{winner.rule}:{member.platform_id}",
            )


async def campaign_rewards(run: JobRun) -> None:
    """The scheduler's `campaign_rewards` job: every campaign's periods not rewarded yet (a run missed
    while the bot was down is made up by this one: it is not told as missed), as `winners_due` measured."""
    for campaign, period, chosen in await reward(run.context(), run.prepared or []):
        _LOGGER.info("campaign #%d %s: rewarded %s", campaign.id, period.label, [w.name for w in chosen])
