"""The feedback tables: items, the people behind them (reporters and +1s), and each item's history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, BigId, UTCDateTime, table_of


class Kind(StrEnum):
    BUG = "bug"
    SUGGESTION = "suggestion"
    CONFUSION = "confusion"


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    REPRODUCED = "reproduced"  # bugs
    UNDER_REVIEW = "under_review"  # suggestions and confusions
    ADOPTED = "adopted"
    SHIPPED = "shipped"
    DECLINED = "declined"
    DUPLICATE = "duplicate"


class Role(StrEnum):
    """How a member is attached to an item: reporters are credited, +1s are told."""

    REPORTER = "reporter"
    PLUS_ONE = "plus_one"


class FeedbackItem(Base):
    """One piece of feedback, FB-{id}; its people and history are rows of their own."""

    __tablename__ = "feedback_items"
    __table_args__ = (
        Index("ix_feedback_items_status_created", "status", "created_at"),
        Index("ix_feedback_items_created", "created_at"),  # the console's board, newest first
        # A member's items by time: their page, a KOC's weekly feedback, without a table read per item.
        Index("ix_feedback_items_reporter_created", "reporter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))  # the scenario's start, for lists
    scenario: Mapped[str] = mapped_column(Text)
    steps: Mapped[str] = mapped_column(Text, default="")
    expected: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(String(128), default="")
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    department: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(32), index=True)  # the release that shipped it
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedbackPerson(Base):
    """A member behind an item: its reporter(s) (merged reporters too) and those who added a +1."""

    __tablename__ = "feedback_people"
    __table_args__ = (
        UniqueConstraint("item_id", "member_id"),
        # The board's "+1s at least", and the KOC pool's reporters of moved items, from the index alone.
        Index("ix_feedback_people_role_item_member", "role", "item_id", "member_id"),
        # Segments' "feedback submitted", "+1": each member's items in a role, from the index alone.
        Index("ix_feedback_people_role_member", "role", "member_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedbackEvent(Base):
    """An item's history: submission, status changes, assignments, merges and +1s. Never edited."""

    __tablename__ = "feedback_history"
    # Items moved to a status since a day (the KOC pool's expertise, the monthly report), from the index alone.
    __table_args__ = (Index("ix_feedback_history_status_created", "to_status", "created_at", "item_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id"), index=True)
    what: Mapped[str] = mapped_column(String(16))  # submitted, status, assigned, merged, plus_one
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


items = table_of(FeedbackItem)
people = table_of(FeedbackPerson)
history = table_of(FeedbackEvent)
