"""The KOC lifecycle tables: who is a KOC and since when, every change, promises, exits, terms, agreements."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, UTCDateTime, table_of


class Domain(StrEnum):
    PRIVATE = "private"  # 私域: grown in our groups; honour and recognition
    PUBLIC = "public"  # 公域: works under an agreement


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    WAIVED = "waived"  # with a reason (audited)


class KocRecord(Base):
    """A member's KOC relationship; the stage itself is `members.stage` (candidate, active, resting, alumni)."""

    __tablename__ = "koc_records"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    domain: Mapped[str | None] = mapped_column(String(8))
    since: Mapped[datetime] = mapped_column(UTCDateTime())  # in the current stage since
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # the moderator who owns the relationship
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class KocEvent(Base):
    """Every change of a KOC relationship, append-only: promotions, rests, exits, returns, invitations."""

    __tablename__ = "koc_events"
    __table_args__ = (Index("ix_koc_events_member_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: the bot itself
    kind: Mapped[str] = mapped_column(String(24))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Promise(Base):
    """Something the brand owes a member, with a due date: kept, or waived with a reason."""

    __tablename__ = "koc_promises"
    __table_args__ = (Index("ix_koc_promises_member_status", "member_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(24))  # manual, reward, title, event, feedback
    source_key: Mapped[str | None] = mapped_column(String(128), unique=True)  # created once per source
    status: Mapped[str] = mapped_column(String(8), default=PromiseStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    settle_note: Mapped[str | None] = mapped_column(Text)


class KocExit(Base):
    """An exit with honour in progress or done: completes only when every open item is settled or waived."""

    __tablename__ = "koc_exits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contribution: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what they did, for the hall of fame


class TitleTerm(Base):
    """An honorary title held for a term: a renewal review goes to the owning moderator before it ends."""

    __tablename__ = "koc_title_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(String(64))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(8), default="active")  # active, renewed, ended


class Agreement(Base):
    """A 公域 KOC's agreement: deliverables, cadence, content ownership, payments, start and end."""

    __tablename__ = "koc_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    deliverables: Mapped[str] = mapped_column(Text)
    cadence: Mapped[str] = mapped_column(String(200))
    content_ownership: Mapped[str] = mapped_column(String(200))
    payments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"due": "2026-12-20", "what": ...}]
    deliverable_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(8), default="active")


koc_records = table_of(KocRecord)
koc_events = table_of(KocEvent)
promises = table_of(Promise)
koc_exits = table_of(KocExit)
title_terms = table_of(TitleTerm)
agreements = table_of(Agreement)
