"""The privacy capability's tables: members' requests (exports, erasures), notices given, retention sweeps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, UTCDateTime, table_of


class Kind(StrEnum):
    EXPORT = "export"
    ERASE = "erase"


class Status(StrEnum):
    PENDING = "pending"  # an erasure waiting out its cooling-off period
    CANCELLED = "cancelled"
    DONE = "done"


class PrivacyRequest(Base):
    """A member's request: a copy of their data, or the erasure of it (due after the cooling-off period)."""

    __tablename__ = "privacy_requests"
    __table_args__ = (Index("ix_privacy_requests_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    requested_by: Mapped[int] = mapped_column(ForeignKey("members.id"))  # the member, or an admin for them
    reason: Mapped[str] = mapped_column(Text, default="")  # an admin's reason for erasing on request
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pseudonym: Mapped[str | None] = mapped_column(String(32))  # what the member is called once erased
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what was erased, what kept and why


class PrivacyNotice(Base):
    """Members the bot has told, in its first private message, what it keeps about them."""

    __tablename__ = "privacy_notices"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RetentionSweep(Base):
    """One run of the daily retention job and what it removed, by kind (for the weekly digest)."""

    __tablename__ = "privacy_sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


requests = table_of(PrivacyRequest)
notices = table_of(PrivacyNotice)
sweeps = table_of(RetentionSweep)
