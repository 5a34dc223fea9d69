"""The outreach tables: announcements, moderator-authored templates, welcomes sent, monthly briefs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, UTCDateTime, table_of


class AnnouncementStatus(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"  # a one-off that went out (or was skipped after downtime)
    CANCELLED = "cancelled"


class Announcement(Base):
    """A moderator's scheduled post: once at a time, or on a 5-field cron, in one or more rooms."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))  # where it was asked for
    run_at: Mapped[str | None] = mapped_column(String(16))  # a one-off: local "YYYY-MM-DD HH:MM" in each room
    cron: Mapped[str | None] = mapped_column(String(100))  # a recurring one: 5 fields, each room's time
    rooms: Mapped[list[str]] = mapped_column(JSON, default=list)  # platform ids
    template: Mapped[str | None] = mapped_column(String(64))  # a moderator-authored template's name
    text: Mapped[str] = mapped_column(Text, default="")  # the text, when there is no template
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # goes out even in quiet hours
    status: Mapped[str] = mapped_column(String(12), default=AnnouncementStatus.SCHEDULED.value, index=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class CustomTemplate(Base):
    """A moderator-authored Jinja2 template, rendered in the sandbox with documented variables only."""

    __tablename__ = "custom_templates"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    variables: Mapped[list[str]] = mapped_column(JSON, default=list)  # the documented names it uses
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int] = mapped_column(ForeignKey("members.id"))


class Welcome(Base):
    """A member welcomed in a room: at most once, ever."""

    __tablename__ = "welcomes"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    welcomed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Brief(Base):
    """A month's communication theme: points for KOCs to make in their own words, never a script."""

    __tablename__ = "briefs"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    points: Mapped[str] = mapped_column(Text)
    set_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


announcements = table_of(Announcement)
custom_templates = table_of(CustomTemplate)
welcomes = table_of(Welcome)
briefs = table_of(Brief)


class Consent(Base):
    """A member's choice about unsolicited messages: opted out (in their own words) or back in."""

    __tablename__ = "outreach_consent"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    words: Mapped[str] = mapped_column(String(64), default="")  # what they wrote ("退订", "/subscribe")


class ConsentEvent(Base):
    """Every opt-out and opt-in, with its time: the record a brand may be asked to show."""

    __tablename__ = "outreach_consent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    words: Mapped[str] = mapped_column(String(64), default="")


consent = table_of(Consent)
consent_events = table_of(ConsentEvent)


class Segment(Base):
    """A saved, named filter over members, evaluated when a send runs (see handlers/outreach/segments)."""

    __tablename__ = "segments"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    expression: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int] = mapped_column(ForeignKey("members.id"))


class SendStatus(StrEnum):
    AWAITING = "awaiting"  # over outreach.confirm_over: waits for /outreach confirm
    SCHEDULED = "scheduled"  # confirmed (or small): runs at its time
    DONE = "done"
    CANCELLED = "cancelled"


class OutreachSend(Base):
    """A moderator's send of a template to a segment: now, at a time, or on a cron."""

    __tablename__ = "outreach_sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(64))
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cron: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), index=True)
    targeted: Mapped[int] = mapped_column(Integer, default=0)  # the segment's size when it was asked for
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    runs: Mapped[int] = mapped_column(Integer, default=0)  # runs started (numbered from 1)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waiting_run: Mapped[int | None] = mapped_column(Integer)  # a run due that waits for /outreach confirm
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class OutreachRecipient(Base):
    """One member's part in one run of a send, written with their outbox row: at most once, ever."""

    __tablename__ = "outreach_recipients"

    send_id: Mapped[int] = mapped_column(ForeignKey("outreach_sends.id"), primary_key=True)
    run: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, or the Nth run of a recurring send
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))  # queued, opted_out, left, failed
    outbox_key: Mapped[str | None] = mapped_column(String(255))  # the outbox row's dedupe key
    at: Mapped[datetime] = mapped_column(UTCDateTime())


segments = table_of(Segment)
outreach_sends = table_of(OutreachSend)
outreach_recipients = table_of(OutreachRecipient)
