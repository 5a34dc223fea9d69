"""The one outgoing path: rendered messages written to the outbox in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import Delivery, OutboxStatus, OutgoingKind
from bot.events import Image


@dataclass(frozen=True, slots=True)
class Draft:
    """A message to send: exactly one of room_id / contact_id says where."""

    text: str
    template: str
    locale: str
    room_id: str | None = None
    contact_id: str | None = None
    mentions: tuple[str, ...] = ()
    not_before: datetime | None = None
    dedupe_key: str | None = None  # a unique key: a job that runs twice sends once
    in_reply_to: int | None = None
    delivery: Delivery = Delivery.REPLY  # ROUTINE ones wait out quiet hours and the contact budget
    image: Image | None = None  # the message is this picture; `text` is its caption for logs and the console
    kind: OutgoingKind = OutgoingKind.REPLY  # the sender's lane: replies first, then transactional, then unsolicited
    part: int = 1  # set by the split: 2, 3... are the rest of one message, sent right after its first part
    addressee: str | None = None  # a room post meant for this member alone: withdrawn if they leave first

    def __post_init__(self) -> None:
        if (self.room_id is None) == (self.contact_id is None):
            raise ValueError("a Draft goes to a room or to a contact, not both and not neither")
        if self.kind is OutgoingKind.REPLY and self.delivery is not Delivery.REPLY:
            # held back like the bot's own initiative: not the answer to what someone just said
            object.__setattr__(self, "kind", OutgoingKind.UNSOLICITED)


@dataclass(frozen=True)
class Addressing:
    """How one process writes outbox rows: which account sends each, and how long a message may be.

    A reply goes out from this process's account: the member wrote to it. Other messages go out
    from the account that serves the room (`room_accounts` from the config, else as recorded in
    `communities.account`) or, in private, the member's most recently joined room; else this one.
    """

    account: str | None = None  # None: rows any process may send
    room_accounts: Mapping[str, str] = field(default_factory=dict)  # configured rooms' accounts
    max_length: int | None = None  # the platform's limit: longer texts become several rows

    def fixed_account(self, draft: Draft) -> str | None:
        """The account known without asking the database: a configured room's, or a reply's."""
        if draft.room_id is not None and draft.room_id in self.room_accounts:
            return self.room_accounts[draft.room_id]
        return self.account if draft.delivery is Delivery.REPLY else None

    @cached_property
    def account_column(self) -> Any:
        """The SQL that chooses a row's account in the INSERT itself (no query of its own): the one
        known before, else the room's as recorded, else the member's latest room's, else this one."""
        communities, memberships, members = schema.communities, schema.memberships, schema.members
        served_by = (
            case(dict(self.room_accounts), value=communities.c.platform_id, else_=communities.c.account)
            if self.room_accounts
            else communities.c.account
        )
        room = select(communities.c.account).where(communities.c.platform_id == bindparam("addr_room"))
        member = select(members.c.id).where(members.c.platform_id == bindparam("addr_contact"))
        latest_room = (
            select(served_by)
            .select_from(memberships.join(communities, communities.c.id == memberships.c.community_id))
            .where(memberships.c.member_id == member.scalar_subquery(), served_by.is_not(None))
            .order_by(
                memberships.c.left_at.is_(None).desc(),
                memberships.c.joined_at.desc(),
                memberships.c.community_id.desc(),
            )
            .limit(1)
        )
        return func.coalesce(
            bindparam("addr_fixed"),
            room.scalar_subquery(),
            latest_room.scalar_subquery(),
            literal(self.account, schema.outbox.c.account.type),
        )

    @cached_property
    def insert(self) -> Any:
        """The INSERT of outbox rows, built once (COALESCE stops at the first known account, so a
        reply's costs no lookup)."""
        return insert(schema.outbox).values(account=self.account_column)


UNCONFIGURED = Addressing()  # this process's account "", any length


def split_text(text: str, limit: int | None) -> list[str]:
    """`text` in parts of at most `limit` characters, cut between lines; a longer line is cut hard."""
    if limit is None or len(text) <= limit:
        return [text]
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        while len(line) > limit:
            if current is not None:
                parts.append(current)
                current = None
            parts.append(line[:limit])
            line = line[limit:]
        if current is not None and len(current) + 1 + len(line) <= limit:
            current = f"{current}\n{line}"
        else:
            if current is not None:
                parts.append(current)
            current = line or None  # a blank line where a part ends is the break between parts
    if current:
        parts.append(current)
    return parts


def parts_of(draft: Draft, limit: int | None) -> list[Draft]:
    """The draft as the platform takes it: one or more drafts in order. Only the first part
    notifies its @mentions; later parts' dedupe keys get `#2`, `#3`... so a rerun repeats none."""
    texts = [draft.text] if draft.image is not None else split_text(draft.text, limit)
    if len(texts) == 1:
        return [draft]
    return [
        replace(
            draft,
            text=text,
            mentions=draft.mentions if n == 1 else (),
            dedupe_key=None if draft.dedupe_key is None else draft.dedupe_key if n == 1 else f"{draft.dedupe_key}#{n}",
            part=n,
        )
        for n, text in enumerate(texts, start=1)
    ]


def _params(draft: Draft, now: datetime) -> dict[str, object]:
    return {
        "created_at": now,
        "not_before": draft.not_before or now,
        "status": OutboxStatus.PENDING.value,
        "room_platform_id": draft.room_id,
        "contact_platform_id": draft.contact_id,
        "text": draft.text,
        "mentions": list(draft.mentions),
        "template": draft.template,
        "locale": draft.locale,
        "dedupe_key": draft.dedupe_key,
        "in_reply_to": draft.in_reply_to,
        "attempts": 0,
        "delivery": draft.delivery.value,
        "kind": draft.kind.value,
        "part": draft.part,
        "image_name": draft.image.name if draft.image else None,
        "image_data": draft.image.data if draft.image else None,
        "addressee": draft.addressee,
    }


def _addressed(draft: Draft, addressing: Addressing, now: datetime) -> dict[str, object]:
    return {
        **_params(draft, now),
        "addr_fixed": addressing.fixed_account(draft),
        "addr_room": draft.room_id,
        "addr_contact": draft.contact_id,
    }


async def enqueue_many(conn: AsyncConnection, drafts: list[Draft], now: datetime, addressing: Addressing) -> None:
    """Write drafts, split to the platform's limit, in two statements: the plain ones in the order
    given, then those with a dedupe key (a key used before adds nothing)."""
    rows = [part for draft in drafts for part in parts_of(draft, addressing.max_length)]
    plain = [_addressed(d, addressing, now) for d in rows if d.dedupe_key is None]
    if plain:
        await conn.execute(addressing.insert, plain)
    deduplicated = [_addressed(d, addressing, now) for d in rows if d.dedupe_key is not None]
    if deduplicated:  # a fan-out to many rooms: one statement
        await conn.execute(_deduplicating_insert(conn, addressing), deduplicated)


def _deduplicating_insert(conn: AsyncConnection, addressing: Addressing) -> Any:
    return (
        insert_for(conn, schema.outbox)
        .values(account=addressing.account_column)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


async def withdraw_pending(conn: AsyncConnection, dedupe_prefix: str) -> int:
    """Take back messages not yet sent whose dedupe key starts with `dedupe_prefix`
    (e.g. a notice scheduled for later that no longer applies); returns how many."""
    table = schema.outbox
    result = await conn.execute(
        delete(table).where(table.c.dedupe_key.startswith(dedupe_prefix), table.c.status == OutboxStatus.PENDING.value)
    )
    return result.rowcount or 0


async def withdraw_addressed(conn: AsyncConnection, room_id: str, member_id: str) -> int:
    """Take back the posts waiting in `room_id` that were meant for `member_id` alone (a welcome held
    by quiet hours), now that they have left it; returns how many."""
    table = schema.outbox
    result = await conn.execute(
        delete(table).where(
            table.c.room_platform_id == room_id,
            table.c.addressee == member_id,
            table.c.status == OutboxStatus.PENDING.value,
        )
    )
    return result.rowcount or 0


# What moderators see of the outbox (/outbox) and how they send a parked message again.

SHORT_ERROR = 120  # characters of the last error shown to moderators


def shorten(text: str | None, limit: int = SHORT_ERROR) -> str:
    """`text` (say, the last error) on one line, cut to `limit` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a message goes, as moderators know it: a room's name or a member's name."""

    in_room: bool
    name: str


async def destinations(conn: AsyncConnection, rows: list[Any]) -> dict[int, Destination]:
    """Each outbox row's destination by id, named from the communities and members tables."""
    rooms = {r.room_platform_id for r in rows if r.room_platform_id}
    contacts = {r.contact_platform_id for r in rows if r.contact_platform_id}
    names: dict[str, str] = {}
    if rooms:
        table = schema.communities
        names |= dict(
            (await conn.execute(select(table.c.platform_id, table.c.name).where(table.c.platform_id.in_(rooms)))).all()
        )
    people: dict[str, str] = {}
    if contacts:
        table = schema.members
        people = dict(
            (
                await conn.execute(
                    select(table.c.platform_id, table.c.display_name).where(table.c.platform_id.in_(contacts))
                )
            ).all()
        )
    return {
        r.id: Destination(True, names.get(r.room_platform_id) or r.room_platform_id)
        if r.room_platform_id
        else Destination(False, people.get(r.contact_platform_id) or r.contact_platform_id)
        for r in rows
    }


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    due: int  # pending and due now
    scheduled: int  # pending, not before a later time
    sending: int
    failed: int
    failed_rows: list[Any]
    sent_rows: list[Any]


async def summary(
    conn: AsyncConnection,
    now: datetime,
    *,
    failed_limit: int = 10,
    sent_limit: int = 5,
    unlisted: frozenset[str] = frozenset(),
) -> OutboxSummary:
    """Counts by state, the failed messages (newest first) and the last few sent, leaving out of
    that list the messages of the `unlisted` templates (the answers to /outbox itself)."""
    table = schema.outbox
    pending = table.c.status == OutboxStatus.PENDING.value
    counts = (
        await conn.execute(
            select(
                func.count().filter(pending & (table.c.not_before <= now)),
                func.count().filter(pending & (table.c.not_before > now)),
                func.count().filter(table.c.status == OutboxStatus.SENDING.value),
                func.count().filter(table.c.status == OutboxStatus.FAILED.value),
            )
        )
    ).one()
    columns = (
        table.c.id,
        table.c.room_platform_id,
        table.c.contact_platform_id,
        table.c.text,
        table.c.attempts,
        table.c.last_error,
        table.c.sent_at,
        table.c.account,
    )
    failed = (
        await conn.execute(
            select(*columns)
            .where(table.c.status == OutboxStatus.FAILED.value)
            .order_by(table.c.id.desc())
            .limit(failed_limit)
        )
    ).all()
    sent = (
        await conn.execute(
            select(*columns)
            .where(table.c.status == OutboxStatus.SENT.value, table.c.template.not_in(sorted(unlisted)))
            .order_by(table.c.sent_at.desc(), table.c.id.desc())
            .limit(sent_limit)
        )
    ).all()
    return OutboxSummary(*counts._tuple(), failed_rows=list(failed), sent_rows=list(sent))


async def retry_failed(conn: AsyncConnection, now: datetime, message_id: int | None = None) -> list[int]:
    """Put parked messages (one, or all) back in the queue with their tries reset; the ids retried."""
    table = schema.outbox
    stmt = update(table).where(table.c.status == OutboxStatus.FAILED.value)
    if message_id is not None:
        stmt = stmt.where(table.c.id == message_id)
    stmt = stmt.values(status=OutboxStatus.PENDING.value, attempts=0, not_before=now, claimed_at=None)
    return sorted((await conn.execute(stmt.returning(table.c.id))).scalars())


async def status_of(conn: AsyncConnection, message_id: int) -> str | None:
    table = schema.outbox
    return (await conn.execute(select(table.c.status).where(table.c.id == message_id))).scalar_one_or_none()
