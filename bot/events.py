"""Normalized events: what every transport turns platform events into, and what goes out."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

# What no column of either database can hold: U+0000 (PostgreSQL's text refuses it) and the
# halves of surrogate pairs (no UTF-8 encodes them; a broken emoji from a puppet or a terminal).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The columns' sizes (bot/db/schema.py): platform ids String(128), names String(200).
ID_FIELDS, ID_MAX = frozenset({"id", "message_id", "room_id"}), 128
NAME_FIELDS, NAME_MAX = frozenset({"name", "room_name"}), 200
_E = TypeVar("_E")


class RoomStatus(StrEnum):
    """The sender's standing in the room as the platform sees it (not our roles)."""

    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"


class MessageKind(StrEnum):
    TEXT = "text"
    OTHER = "other"  # images, files, links...: logged, never routed


@dataclass(frozen=True, slots=True)
class Contact:
    """A platform contact: the id is the key, the name only a label (names change)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Quote:
    """The message a reply quotes, as far as the platform tells."""

    text: str
    sender: Contact | None = None
    message_id: str | None = None
    from_bot: bool = False  # a reply to one of the bot's own messages


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    message_id: str
    sender: Contact
    text: str
    room_id: str | None = None  # None: a direct message to the bot
    room_name: str = ""
    mentions: tuple[Contact, ...] = ()
    mentions_bot: bool = False
    quote: Quote | None = None
    kind: MessageKind = MessageKind.TEXT
    from_self: bool = False  # the bot's own message echoed back by the platform
    sent_at: datetime | None = None
    sender_room_status: RoomStatus = RoomStatus.MEMBER

    @property
    def is_direct(self) -> bool:
        return self.room_id is None


@dataclass(frozen=True, slots=True)
class MemberJoined:
    room_id: str
    member: Contact
    room_name: str = ""
    inviter: Contact | None = None
    is_self: bool = False  # the bot's own account was added (the transport knows it by id, not by name)


@dataclass(frozen=True, slots=True)
class MemberLeft:
    room_id: str
    member: Contact
    room_name: str = ""
    remover: Contact | None = None
    is_self: bool = False  # the bot's own account was removed


Event = IncomingMessage | MemberJoined | MemberLeft


@dataclass(frozen=True, slots=True)
class Image:
    """A picture the bot sends (a chart): its file name and its bytes, kept in the outbox row."""

    name: str  # e.g. "campaign-3.png"
    data: bytes


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A rendered message, read from the outbox and handed to the transport."""

    outbox_id: int
    text: str  # with an image: its caption, for logs and the console (the platform gets the file alone)
    room_id: str | None = None  # None: a direct message to `contact_id`
    contact_id: str | None = None
    mentions: tuple[str, ...] = field(default=())
    image: Image | None = None

    @property
    def conversation(self) -> str:
        return self.room_id or f"dm:{self.contact_id}"


def storable(event: _E) -> _E:
    """`event` with every text in it (text, names, ids, quote) fit for both databases: NULs are
    dropped, surrogate pairs joined and lone halves made U+FFFD; a name longer than its column is cut,
    an id longer than its column shortened the same way wherever it appears (so mentions still match).
    The same object when nothing changes."""
    return cast(_E, _storable(event))


def _storable(value: Any, name: str = "") -> Any:
    if isinstance(value, str):
        value = _fit(value) if _UNSTORABLE.search(value) else value
        return _sized(value, name) if len(value) > ID_MAX else value
    if isinstance(value, tuple):
        cleaned = tuple(_storable(item) for item in value)
        return cleaned if cleaned != value else value
    kind: type = type(value)
    names = _field_names(kind)
    if not names:
        return value
    changes = {name: new for name in names if (new := _storable(old := getattr(value, name), name)) is not old}
    return replace(value, **changes) if changes else value


def _sized(text: str, name: str) -> str:
    if name in NAME_FIELDS and len(text) > NAME_MAX:
        return text[: NAME_MAX - 1] + "…"
    if name in ID_FIELDS:  # a stable stand-in: the same long id always gives the same short one
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return f"{text[: ID_MAX - 25]}~{digest}"
    return text


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind)) if is_dataclass(kind) else ()


def _fit(text: str) -> str:
    paired = text.replace("\x00", "").encode("utf-16", "surrogatepass")
    return paired.decode("utf-16", "replace")
