"""The listening tables: complaint notes, the flagged messages, and the labels moderators' actions leave."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, BigId, UTCDateTime, table_of


class NoteStatus(StrEnum):
    OPEN = "open"
    IGNORED = "ignored"
    THREAD = "thread"  # opened as, or linked to, an issue thread


class Answered(StrEnum):
    """How a question was answered (see handlers/listening/answers.py)."""

    QUOTE = "quote"
    MENTION = "mention"
    REPLY = "reply"
    THANKS = "thanks"


class ComplaintNote(Base):
    """One private note to moderators: complaints about one thing in one room within the grouping window.
    Its id is the N of `/issue open from N` and `/ignore N`."""

    __tablename__ = "listening_notes"
    __table_args__ = (Index("ix_listening_notes_status", "status", "ack_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(8), default=NoteStatus.OPEN.value)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    acted_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: not to be thanked (any more)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Flagged(Base):
    """A group message the matchers flagged: a complaint (in a note) or a question (answered or not)."""

    __tablename__ = "listening_flags"
    __table_args__ = (
        Index("ix_listening_flags_open", "kind", "answered_at", "due_at"),
        Index("ix_listening_flags_community_at", "community_id", "flagged_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # complaint, question
    note_id: Mapped[int | None] = mapped_column(ForeignKey("listening_notes.id"))
    message_id: Mapped[int] = mapped_column(BigInteger)  # messages.id; no foreign key: the log is pruned
    platform_msg_id: Mapped[str] = mapped_column(String(128))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Questions: when it was answered, by whom and how; the next nudge and how many were sent.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    answered_how: Mapped[str | None] = mapped_column(String(8))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nudges: Mapped[int] = mapped_column(Integer, default=0)


class Label(Base):
    """What a moderator's action taught: a flagged message ignored (not a complaint) or made a thread."""

    __tablename__ = "listening_labels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("listening_flags.id"))
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(10))  # complaint, other
    source: Mapped[str] = mapped_column(String(8))  # ignore, thread
    decided_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


notes = table_of(ComplaintNote)
flags = table_of(Flagged)
labels = table_of(Label)
