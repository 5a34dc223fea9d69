"""Ignition rewards: the `campaign_rewards` job gives each rule's top igniters their points and title,
through the recognition ledger, exactly once per campaign, period, rule and member.

Weekly rules cover each complete week (Monday to Sunday in the campaign's time zone; the first and
last may be partial) up to the campaign's end; a `campaign` rule is given once the campaign has
ended. Every run looks at all such periods not rewarded yet, so a run missed while the bot was down
is caught up by the next, and a run repeated gives nothing twice: the ledger's idempotency key
(`campaign:<id>:<period>:<rule>:<member>`) and the awards table's unique row both say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from bot.context import Context
from bot.db.dialect import insert_for
from bot.db.schema import OutgoingKind
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


async def _done(ctx: Context, campaign_id: int) -> set[tuple[str, int]]:
    rows = await ctx.db.execute(
        select(awards.c.period, awards.c.rule).distinct().where(awards.c.campaign_id == campaign_id)
    )
    return {(row.period, row.rule) for row in rows}


def winners(measured: ignition.Measured, rule: RewardRule, index: int) -> list[Winner]:
    chosen = []
    for igniter in measured.ranked(rule.who, rule.rank_by):
        value = igniter.measure(rule.rank_by)
        if len(chosen) == rule.top or value < rule.minimum or value <= 0:
            break
        chosen.append(Winner(igniter.member_id, igniter.name, len(chosen) + 1, value, index, rule.points, rule.title))
    return chosen


async def reward_campaign(ctx: Context, campaign: CampaignView) -> list[tuple[Period, list[Winner]]]:
    """Give every period's rewards not given yet; returns what was given now."""
    section: CampaignsSection = ctx.settings.campaigns
    done = await _done(ctx, campaign.id)
    pending = [
        (index, rule, period)
        for index, rule in enumerate(section.rewards)
        for period in periods_for(rule, campaign, ctx.now)
        if (period.label, index) not in done
    ]
    if not pending:
        return []
    log = await ignition.read_log(ctx.db, campaign, section, campaign.measured_until(ctx.now))
    weights = ignition.Weights.of(section)
    given: dict[str, tuple[Period, list[Winner]]] = {}
    for index, rule, period in pending:
        measured = ignition.measure(log, weights, since=period.start, before=period.end)
        for winner in winners(measured, rule, index):
            if await _give(ctx, campaign, period, rule, winner):
                given.setdefault(period.label, (period, []))[1].append(winner)
    for period, chosen in given.values():
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
    params = {
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
    while the bot was down is made up by this one: it is not told as missed)."""
    ctx = run.context()
    for campaign in await store.load_all(ctx.db):
        if campaign.starts_at >= ctx.now:
            continue
        given = await reward_campaign(ctx, campaign)
        for period, chosen in given:
            _LOGGER.info("campaign #%d %s: rewarded %s", campaign.id, period.label, [w.name for w in chosen])
