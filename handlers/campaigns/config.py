"""The [campaigns] section: heads-up lead time, the ignition window and score, and ignition rewards."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config import Section

Measure = Literal["score", "participants", "replies", "mentions", "keywords", "joins", "lift"]


class RewardRule(Section):
    """One ignition reward: the top `top` by `rank_by` in each period get `points` and `title`."""

    period: Literal["week", "campaign"] = Field(
        "week", description="Each week (Monday to Sunday in the campaign's time zone) or once for the campaign."
    )
    rank_by: Measure = Field(
        "participants",
        description="The figure that ranks: score, participants, replies, mentions, keywords, joins or lift.",
    )
    who: Literal["koc", "members", "everyone"] = Field(
        "koc", description="Who can earn it: KOCs, ordinary members, or both."
    )
    top: int = Field(3, ge=1, le=50, description="How many are rewarded per period.")
    points: int = Field(20, ge=0, description="Points each earns (recognition ledger).")
    title: str = Field("引爆者", max_length=64, description="Title each earns; empty: none.")
    minimum: float = Field(1, ge=0, description="Nobody is rewarded for less than this (no reward for silence).")


class CampaignsSection(Section):
    heads_up_minutes: int = Field(
        120,
        ge=0,
        le=7 * 24 * 60,
        description="How long before each clue drop the active KOCs get their private heads-up.",
    )
    window_minutes: int = Field(
        30, ge=5, le=24 * 60, description="The discussion a message starts is counted in this many minutes after it."
    )
    baseline_days: int = Field(
        28, ge=1, le=365, description="Days before the campaign that give each room's usual rate at each hour."
    )
    days_after_launch: int = Field(
        7,
        ge=0,
        le=90,
        description="The campaign is measured until this many days after the launch day (or until /campaign close).",
    )
    weight_replies: float = Field(3.0, ge=0, description="Score per reply or quote of the message.")
    weight_mentions: float = Field(2.0, ge=0, description="Score per @mention of its author in the window.")
    weight_participants: float = Field(2.0, ge=0, description="Score per distinct other member posting in the window.")
    weight_keywords: float = Field(1.0, ge=0, description="Score per message in the window using a campaign keyword.")
    weight_joins: float = Field(5.0, ge=0, description="Score per member who joined the room in the window.")
    weight_lift: float = Field(
        0.5, ge=0, description="Score per message in the window above the room's usual rate at that hour."
    )
    top_shown: int = Field(10, ge=1, le=50, description="How many KOCs and members /campaign ignition lists.")
    rewards: list[RewardRule] = Field(
        default_factory=lambda: [RewardRule()],
        description="Ignition rewards, given by the weekly campaign_rewards job.",
    )
