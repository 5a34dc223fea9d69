"""The recognition tables: thank-yous, their revocations, the points ledger, title events, honour rolls."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, BigId, UTCDateTime, table_of


class WhyNot(StrEnum):
    """Why a thank-you was recorded but does not count."""

    SELF = "self"
    BOT = "bot"
    NEWCOMER = "newcomer"
    COOLDOWN = "cooldown"
    DAILY_CAP = "daily_cap"


class Source(StrEnum):
    """Where points or a title came from."""

    THANKS_THRESHOLD = "thanks_threshold"
    EVENT = "event"
    FEEDBACK = "feedback"
    MANUAL = "manual"
    CAMPAIGN = "campaign"  # ignition rewards of a launch campaign


class ActionKind(StrEnum):
    """A moderator's reversible change, and the undo that reverses one."""

    THANKS_REVOKE = "thanks_revoke"
    POINTS_GRANT = "points_grant"
    POINTS_DEDUCT = "points_deduct"
    TITLE_GRANT = "title_grant"
    TITLE_REVOKE = "title_revoke"
    EVENT_CREDIT = "event_credit"
    UNDO = "undo"


class ThanksRow(Base):
    """Every thank-you, counted or not; `month` is the month it was given in, in its room's time zone."""

    __tablename__ = "thanks"
    __table_args__ = (
        # Covering indexes for the leaderboards (group/brand x month/all time) and /me.
        Index("ix_thanks_community_month", "community_id", "month", "counted", "receiver_id"),
        # ... and the monthly report's thanks per room, helpers and title rule (room and time too).
        Index("ix_thanks_month_cover", "month", "counted", "receiver_id", "community_id", "created_at"),
        Index("ix_thanks_receiver_cover", "receiver_id", "month", "counted", "created_at"),  # /me; KOC health by week
        Index("ix_thanks_giver_created", "giver_id", "created_at"),
        # The web console's overview (thanks per room since a day) and the KOC pool (thanks received in
        # its window), from the index alone.
        Index("ix_thanks_created_cover", "created_at", "community_id", "counted", "receiver_id"),
        # Segments' "thanks received/given in the last N days": each member's counted ones since a day,
        # from the index alone, in member order (no sort), or for a few members by seeking.
        Index("ix_thanks_receiver_counted_created", "receiver_id", "counted", "created_at"),
        Index("ix_thanks_giver_counted_created", "giver_id", "counted", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    receiver_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: the bot
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    month: Mapped[str] = mapped_column(String(7))  # "2026-12"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(8))  # "message" (natural) or "command"
    counted: Mapped[bool] = mapped_column(Boolean)
    why_not: Mapped[str | None] = mapped_column(String(16))
    platform_msg_id: Mapped[str | None] = mapped_column(String(128))  # no foreign key: the log is pruned


class RecognitionAction(Base):
    """A moderator's change to thanks, points or titles; its effects point back to it, so /undo can reverse them."""

    __tablename__ = "recognition_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("recognition_actions.id"), unique=True)


class ThanksRevocation(Base):
    """A revoked thank-you; a row that `reverses` a revocation reinstates it. Rows are never edited."""

    __tablename__ = "thanks_revocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thanks_id: Mapped[int] = mapped_column(ForeignKey("thanks.id"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("recognition_actions.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("thanks_revocations.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointsEntry(Base):
    """The append-only points ledger: balances are sums, a reversal is a new row with the opposite amount."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        Index("ix_points_ledger_member_month", "member_id", "month", "amount"),
        Index("ix_points_ledger_community_month", "community_id", "month", "member_id", "amount"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(24))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    month: Mapped[str] = mapped_column(String(7))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: a rule
    action_id: Mapped[int | None] = mapped_column(ForeignKey("recognition_actions.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_ledger.id"), unique=True)
    key: Mapped[str | None] = mapped_column(String(255), unique=True)  # idempotency: awarded once per key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TitleEvent(Base):
    """Titles granted and taken back; a member holds a title when its latest event is a grant."""

    __tablename__ = "title_events"
    __table_args__ = (Index("ix_title_events_member_title", "member_id", "title"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    title: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(24))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("recognition_actions.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("title_events.id"), unique=True)
    key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HonourRoll(Base):
    """A month's honour roll, posted once per community."""

    __tablename__ = "honour_rolls"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: the scheduler
    honoured: Mapped[int] = mapped_column(Integer)  # members named (0: nobody reached the threshold)


thanks = table_of(ThanksRow)
actions = table_of(RecognitionAction)
revocations = table_of(ThanksRevocation)
ledger = table_of(PointsEntry)
title_events = table_of(TitleEvent)
honour_rolls = table_of(HonourRoll)
