"""The core tables: communities, members, the message log, the audit log and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def aware_utc(moment: datetime) -> datetime:
    """A moment read past `UTCDateTime` (min() or max() bypass the column type on some databases): a naive
    value is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's table, typed as the Table it is (SQLAlchemy types `__table__` as any FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Role(IntEnum):
    """Permission levels, ordered: a command names the lowest role that may use it."""

    MEMBER = 0
    KOC = 1
    MODERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> Role:
        return cls[label.upper()]


class Stage(StrEnum):
    """A member's KOC lifecycle stage."""

    MEMBER = "member"
    CANDIDATE = "candidate"
    ACTIVE = "active"
    RESTING = "resting"
    ALUMNI = "alumni"


class Delivery(StrEnum):
    """How a message may be held back on its way out."""

    REPLY = "reply"  # answers the member's own command: never held, never counted
    URGENT = "urgent"  # the bot's own initiative, but it must not wait (quiet hours and budget do not apply)
    ROUTINE = "routine"  # outreach, notices, announcements: held in quiet hours; private ones use the contact budget


class OutgoingKind(StrEnum):
    """What a message is to its reader (see DOMAIN: three kinds); the sender's lanes follow it, most urgent first."""

    REPLY = "reply"  # the answer to what a person just said or asked
    TRANSACTIONAL = "transactional"  # news about something the member started or the brand owes them
    UNSOLICITED = "unsolicited"  # what the brand chooses to send: announcements, welcomes, outreach, briefs

    @property
    def rank(self) -> int:
        """The lane's place: replies go first, then transactional messages, then unsolicited ones."""
        return _LANE_ORDER.index(self)


_LANE_ORDER = (OutgoingKind.REPLY, OutgoingKind.TRANSACTIONAL, OutgoingKind.UNSOLICITED)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class HeavyStatus(StrEnum):
    """Where a request for heavy work stands (see bot.heavy)."""

    PENDING = "pending"  # recorded with the message that asked; being computed (or to resume on start)
    DONE = "done"  # answered with the result
    REFUSED = "refused"  # answered with the reason it could not be done (a UserFacingError)
    FAILED = "failed"  # answered with an apology: the work raised
    TIMED_OUT = "timed_out"  # answered with an apology: the work took longer than allowed
    ABANDONED = "abandoned"  # answered with an apology: interrupted by restarts too often


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    account: Mapped[str | None] = mapped_column(String(64))  # the WeChat account (process) that serves it


class Member(Base):
    __tablename__ = "members"
    # The KOCs among tens of thousands of members (the console's roster, health, the stage's reminders).
    __table_args__ = (Index("ix_members_stage", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.label)
    stage: Mapped[str] = mapped_column(String(16), default=Stage.MEMBER.value)
    source: Mapped[str | None] = mapped_column(String(16))  # "private" or "public" domain
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the platform reported them joining a group the bot serves, the bot knowing them in none
    # before: the day they became a newcomer. None: they were there before the bot (or arrived unseen).
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Membership(Base):
    __tablename__ = "memberships"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)  # a member's rooms
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when they joined, else when first seen
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The platform told of the join (a member who joined then); False: joined_at is when first seen.
    join_seen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# The conditions of the partial indexes on messages (a query states them the same way to use the index).
MENTIONING = text("CAST(mentions AS TEXT) != '[]'")
QUOTING = text("quote_member_id IS NOT NULL")


class MessageLog(Base):
    """Every incoming message once: the raw material for metrics and the idempotency key."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_community_received", "community_id", "received_at"),
        # A member's messages by time, with what `bot.talk.community_message` reads (room and route): a KOC's
        # weeks and last word, a member's page, without a table read per message.
        Index("ix_messages_member_received", "member_id", "received_at", "community_id", "routed_to"),
        # Community messages by time, from the index alone (the console's overview, the monthly report, the
        # KOC pool): every column `bot.talk.community_message` and those counts read.
        Index("ix_messages_received_talk", "received_at", "community_id", "member_id", "routed_to", "quote_member_id"),
        # Only the messages that mention (quote) someone, by time: the KOC pool's discussion. A query uses them
        # when it states the same condition, its '[]' written out (SQLite matches no bound parameter).
        Index("ix_messages_mentioning_received", "received_at", sqlite_where=MENTIONING, postgresql_where=MENTIONING),
        Index("ix_messages_quoting_received", "received_at", sqlite_where=QUOTING, postgresql_where=QUOTING),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform_msg_id: Mapped[str] = mapped_column(String(128), unique=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    quote_msg_id: Mapped[str | None] = mapped_column(String(128), index=True)  # replies to a message
    quote_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    routed_to: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())  # ix_messages_received_talk starts with it


class AuditEntry(Base):
    """Moderator and admin actions, allowed or refused: append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ok, refused, invalid, error
    target_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """Every message the bot sends, written in the transaction of what it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_contact_not_before", "contact_platform_id", "not_before"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING.value)
    room_platform_id: Mapped[str | None] = mapped_column(String(128))
    contact_platform_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    template: Mapped[str] = mapped_column(String(128))
    locale: Mapped[str] = mapped_column(String(8))
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    platform_msg_id: Mapped[str | None] = mapped_column(String(128))
    delivery: Mapped[str] = mapped_column(String(8), default=Delivery.REPLY.value, server_default=Delivery.REPLY.value)
    kind: Mapped[str] = mapped_column(  # the sender's lane (OutgoingKind)
        String(16), default=OutgoingKind.REPLY.value, server_default=OutgoingKind.REPLY.value
    )
    part: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # 2, 3...: the rest of a split message
    account: Mapped[str | None] = mapped_column(String(64))  # the process that may send it; None: any
    image_name: Mapped[str | None] = mapped_column(String(200))  # set: the message is this picture
    image_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A room post meant for this one member (a welcome): dropped if they leave the room before it goes out.
    addressee: Mapped[str | None] = mapped_column(String(128))


class ConversationRow(Base):
    """A member's open multi-step conversation with the bot (one at a time)."""

    __tablename__ = "conversations"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SchedulerJob(Base):
    """APScheduler 3's SQLAlchemyJobStore table, exactly as it defines it, created by our migrations."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)


class ScheduledRun(Base):
    """Each scheduled run once: done (its effects committed with this row) or skipped (missed)."""

    __tablename__ = "scheduled_runs"

    job_id: Mapped[str] = mapped_column(String(191), primary_key=True)
    run_time: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(12))  # done, skipped
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HeavyRequest(Base):
    """A member's request for heavy work (a report, a chart), recorded with the message that asked for it,
    so that a restart resumes it (or apologises) instead of losing it."""

    __tablename__ = "heavy_requests"
    __table_args__ = (Index("ix_heavy_requests_status_account", "status", "account"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work: Mapped[str] = mapped_column(String(64))  # the HeavySpec's name
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    account: Mapped[str] = mapped_column(String(64))  # the process that works on it and answers
    actor_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # the asking message's row (no key: pruned later)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=HeavyStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


communities = table_of(Community)
members = table_of(Member)
memberships = table_of(Membership)
messages = table_of(MessageLog)
audit_log = table_of(AuditEntry)
outbox = table_of(OutboxMessage)
conversations = table_of(ConversationRow)
scheduler_jobs = table_of(SchedulerJob)
scheduled_runs = table_of(ScheduledRun)
heavy_requests = table_of(HeavyRequest)
