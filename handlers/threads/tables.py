"""The issue-thread tables: threads, the rooms and people they involve, their history and feedback links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, BigId, UTCDateTime, table_of


class Status(StrEnum):
    """Where a thread stands; `resolved` includes a notice scheduled for later (`resolved_at` in the future)."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    CONFIRMED = "confirmed"
    FIXING = "fixing"
    RESOLVED = "resolved"


class Part(StrEnum):
    """How a person is involved: reporters are named in notices, followers (+1) are told privately."""

    REPORTER = "reporter"
    FOLLOWER = "follower"


class Answer(StrEnum):
    """A reporter's answer to "is the problem gone for you?"."""

    ASKED = "asked"
    YES = "yes"
    NO = "no"
    NO_ANSWER = "no_answer"


class EventKind(StrEnum):
    OPEN = "open"
    LINK = "link"
    FOLLOW = "follow"
    ROUTE = "route"
    NOTE = "note"
    STATUS = "status"
    SUPPORT = "support"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CONFIRM = "confirm"
    FLAG = "flag"
    FEEDBACK = "feedback"


class IssueThread(Base):
    """A problem raised in the groups; its id is the public thread number (#12)."""

    __tablename__ = "issue_threads"
    __table_args__ = (Index("ix_issue_threads_status_confirm", "status", "confirm_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=Status.OPEN.value)
    department: Mapped[str | None] = mapped_column(String(64))
    opened_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolutions: Mapped[int] = mapped_column(Integer, default=0)  # a counter: the Nth notice dedupes alone
    resolution_text: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the notice goes out
    confirm_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when reporters are asked
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)


class IssueRoom(Base):
    """A room where the thread was raised, and when it was first raised there."""

    __tablename__ = "issue_rooms"

    thread_id: Mapped[int] = mapped_column(ForeignKey("issue_threads.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IssuePerson(Base):
    """A reporter or follower of a thread; reporters carry their fix confirmation."""

    __tablename__ = "issue_people"

    thread_id: Mapped[int] = mapped_column(ForeignKey("issue_threads.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    part: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))  # where they raised it
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when asked whether it is fixed
    answer: Mapped[str | None] = mapped_column(String(16))
    answer_text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IssueEvent(Base):
    """A thread's history: every change, internal note and support message (never shown in a group)."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("issue_threads.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IssueFeedbackLink(Base):
    """A feedback item (FB-42) the thread is linked to."""

    __tablename__ = "issue_feedback_links"

    thread_id: Mapped[int] = mapped_column(ForeignKey("issue_threads.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


threads = table_of(IssueThread)
rooms = table_of(IssueRoom)
people = table_of(IssuePerson)
events = table_of(IssueEvent)
feedback_links = table_of(IssueFeedbackLink)
