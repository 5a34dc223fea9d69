"""The campaign tables: campaigns over chosen rooms, their clue drops, and the ignition awards given."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, UTCDateTime, table_of


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ClueStatus(StrEnum):
    SCHEDULED = "scheduled"
    POSTED = "posted"
    CANCELLED = "cancelled"
    MISSED = "missed"  # the bot was down past the grace time: not posted late (moderators told)


class Campaign(Base):
    """A launch warm-up over chosen communities. Its measured period runs from `starts_at` to
    `ends_at` (the launch day plus the configured days after, or earlier when closed)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    launch_on: Mapped[date] = mapped_column(Date)  # the launch day, in the campaign's time zone
    timezone: Mapped[str] = mapped_column(String(64))  # its first room's: days and hours are counted in it
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    talking_points: Mapped[list[str]] = mapped_column(
        JSON, default=list
    )  # for the KOCs' heads-up: points, never a script
    status: Mapped[str] = mapped_column(String(8), default=CampaignStatus.OPEN.value, index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CampaignRoom(Base):
    __tablename__ = "campaign_rooms"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)


class Clue(Base):
    """A fragment posted in the campaign's rooms at `run_at`; active KOCs there hear of it at `heads_up_at`."""

    __tablename__ = "campaign_clues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heads_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str | None] = mapped_column(String(64))  # a moderator-authored template instead of text
    status: Mapped[str] = mapped_column(String(12), default=ClueStatus.SCHEDULED.value)
    heads_up_sent: Mapped[int] = mapped_column(Integer, default=0)  # KOCs told
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IgnitionAward(Base):
    """An ignition reward given: one per campaign, period, rule and member (the ledger's key says the same)."""

    __tablename__ = "campaign_awards"
    __table_args__ = (UniqueConstraint("campaign_id", "period", "rule", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # "2026-W49", or "campaign"
    rule: Mapped[int] = mapped_column(Integer)  # the rule's position in [[campaigns.rewards]]
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    rank: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(16))  # what it was ranked by
    value: Mapped[float] = mapped_column(Float)
    points: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(String(64))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())


campaigns = table_of(Campaign)
campaign_rooms = table_of(CampaignRoom)
clues = table_of(Clue)
awards = table_of(IgnitionAward)
