"""WeChat as the core sees it: puppet payloads and WeChat's text conventions turned into core events."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.events import Contact, IncomingMessage, MemberJoined, MemberLeft, MessageKind, Quote, RoomStatus
from bot.mentions import AFTER_MENTION, EVERYONE_ID

if TYPE_CHECKING:
    from bot.transports.wechaty_compat import MessageData, PuppetClient

_LOGGER = logging.getLogger(__name__)
CACHE_SECONDS = 300.0  # names and room admins change rarely; a stale label is harmless for this long
MEMBER_LOOKUPS_AT_ONCE = 16
_K = TypeVar("_K")
_V = TypeVar("_V")

# WeChat renders a quoted reply as 「Name：quoted text」, a dashed line, then the reply.
_QUOTE = re.compile(r"「(?P<name>[^\n]+?)[：:](?P<quoted>.*)」\n-(?: -){2,}[ \t]*\n(?P<reply>.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class QuotedReply:
    name: str  # the quoted sender as shown in the room: their group nickname, else their name
    quoted: str
    reply: str


def parse_quote(text: str) -> QuotedReply | None:
    """`「Alice：hi」\\n- - - - -\\nthanks` -> QuotedReply("Alice", "hi", "thanks"); None for other text."""
    found = _QUOTE.fullmatch(text)
    if found is None:
        return None
    return QuotedReply(found["name"].strip(), found["quoted"], found["reply"])


def strip_bot_mention(text: str, names: Iterable[str]) -> tuple[str, bool]:
    """Drop a leading @mention of the bot, so that "@KOC Bot /help" is the command /help."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        found = re.match(rf"\s*[@＠]{re.escape(name)}(?:[{AFTER_MENTION}]+|$)", text)
        if found:
            return text[found.end() :], True
    return text, False


def names_bot(text: str, names: Iterable[str]) -> bool:
    """An @mention of the bot anywhere, for puppets that send no mention list."""
    return any(re.search(rf"[@＠]{re.escape(n)}(?:[{AFTER_MENTION}]|$)", text) for n in names if n)


class _Expiring(Generic[_K, _V]):
    """A small cache whose entries are forgotten after `seconds`."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._items: dict[_K, tuple[float, _V]] = {}

    def get(self, key: _K) -> _V | None:
        entry = self._items.get(key)
        return entry[1] if entry and entry[0] > time.monotonic() else None

    def put(self, key: _K, value: _V) -> _V:
        self._items[key] = (time.monotonic() + self._seconds, value)
        return value

    def forget(self, key: _K) -> None:
        self._items.pop(key, None)


@dataclass(frozen=True, slots=True)
class RoomInfo:
    topic: str
    owner_id: str
    admin_ids: frozenset[str]
    member_ids: tuple[str, ...]
    bot_alias: str = ""  # the bot's group nickname: what members type after "@"

    def status_of(self, contact_id: str) -> RoomStatus:
        if contact_id == self.owner_id:
            return RoomStatus.OWNER
        return RoomStatus.ADMIN if contact_id in self.admin_ids else RoomStatus.MEMBER


class EventMapper:
    """Builds core events from one connection's payloads, caching names and room standing."""

    def __init__(self, client: PuppetClient) -> None:
        self._client = client
        self.me = Contact("", "")
        self._contacts: _Expiring[str, tuple[Contact, bool]] = _Expiring(CACHE_SECONDS)
        self._rooms: _Expiring[str, RoomInfo] = _Expiring(CACHE_SECONDS)
        self._names: _Expiring[str, dict[str, str | None]] = _Expiring(CACHE_SECONDS)  # room -> name -> id
        self._speakers: dict[str, dict[str, str]] = {}  # room -> name -> id of members seen talking
        self._rooms_told: set[str] = set()

    async def login(self, contact_id: str) -> Contact:
        self.me = (await self.contact(contact_id))[0]
        return self.me

    async def contact(self, contact_id: str) -> tuple[Contact, bool]:
        """The contact and whether it is an official account; unreadable, a contact without a name."""
        cached = self._contacts.get(contact_id)
        if cached is not None:
            return cached
        try:
            data = await self._client.contact(contact_id)
        except Exception as exc:  # the id is what counts; an empty name leaves the stored one alone
            _LOGGER.warning("contact %s cannot be read (%r); going on without its name", contact_id, exc)
            return Contact(contact_id, ""), False
        return self._contacts.put(contact_id, (Contact(contact_id, data.name or contact_id), data.official))

    async def room(self, room_id: str) -> RoomInfo:
        cached = self._rooms.get(room_id)
        if cached is None:
            data = await self._client.room(room_id)
            alias = await self._bot_alias(room_id)
            cached = self._rooms.put(
                room_id, RoomInfo(data.topic, data.owner_id, frozenset(data.admin_ids), data.member_ids, alias)
            )
            self._tell_room(room_id, cached)
        return cached

    def _tell_room(self, room_id: str, room: RoomInfo) -> None:
        # Operators list rooms under [[communities]] by id; WeChat shows only names: the log links them.
        if room_id not in self._rooms_told:
            self._rooms_told.add(room_id)
            _LOGGER.info("room %s is called %r (%d members)", room_id, room.topic, len(room.member_ids))

    async def _bot_alias(self, room_id: str) -> str:
        try:
            return (await self._client.member(room_id, self.me.id)).alias
        except Exception as exc:  # some puppets know no member payload for the bot itself
            _LOGGER.debug("no group nickname for the bot in %s: %r", room_id, exc)
            return ""

    def forget_room(self, room_id: str) -> None:
        """Members, owner, admins or topic changed: read them again next time."""
        self._rooms.forget(room_id)
        self._names.forget(room_id)

    async def _room_or_unknown(self, room_id: str) -> RoomInfo:
        """A message is not lost because its room cannot be read: it goes on without topic or standing."""
        try:
            return await self.room(room_id)
        except Exception as exc:
            _LOGGER.warning("room %s cannot be read (%r); going on without its topic and admins", room_id, exc)
            return RoomInfo("", "", frozenset(), ())

    async def message(self, data: MessageData) -> IncomingMessage:
        sender, official = await self.contact(data.sender_id)
        room = await self._room_or_unknown(data.room_id) if data.room_id else None
        is_text = data.is_text and not official
        text, quote, addressed = await self._read(data, room) if is_text else (data.text, None, False)
        if room is not None:
            self._speakers.setdefault(data.room_id, {})[sender.name] = sender.id
        # @所有人 notifies the whole group: it names no member (nor a contact that could be read).
        mentioned = [i for i in dict.fromkeys(data.mention_ids) if i and i not in (self.me.id, EVERYONE_ID)]
        return IncomingMessage(
            message_id=data.id,
            sender=sender,
            text=text,
            room_id=data.room_id or None,
            room_name=room.topic if room else "",
            mentions=tuple([(await self.contact(i))[0] for i in mentioned]),
            mentions_bot=addressed or self.me.id in data.mention_ids,
            quote=quote,
            kind=MessageKind.TEXT if is_text else MessageKind.OTHER,
            from_self=sender.id == self.me.id,
            sent_at=data.sent_at,
            sender_room_status=room.status_of(sender.id) if room else RoomStatus.MEMBER,
        )

    async def _read(self, data: MessageData, room: RoomInfo | None) -> tuple[str, Quote | None, bool]:
        """The text to route, the quote it carries, and whether it @mentions the bot by name."""
        bot_names = tuple(n for n in (self.me.name, room.bot_alias if room else "") if n)
        quoted = parse_quote(data.text)
        text, addressed = strip_bot_mention(quoted.reply if quoted else data.text, bot_names)
        quote = await self._quote(data, quoted, bot_names) if quoted else None
        return text, quote, addressed or names_bot(text, bot_names)

    async def _quote(self, data: MessageData, quoted: QuotedReply, bot_names: tuple[str, ...]) -> Quote:
        if quoted.name in bot_names:
            sender_id: str | None = self.me.id
        elif data.room_id:
            sender_id = await self._member_named(data.room_id, quoted.name)
        else:  # in a private chat the other side can only be the sender
            sender_id = data.sender_id
        sender = (await self.contact(sender_id))[0] if sender_id else None
        return Quote(text=quoted.quoted, sender=sender, from_bot=sender_id == self.me.id)

    async def _member_named(self, room_id: str, name: str) -> str | None:
        """The room member shown as `name`: someone seen talking, else a look through the members."""
        seen = self._speakers.get(room_id, {}).get(name)
        if seen is not None:
            return seen
        names = self._names.get(room_id)
        if names is None:
            names = self._names.put(room_id, await self._member_names(room_id))
        return names.get(name)

    async def _member_names(self, room_id: str) -> dict[str, str | None]:
        """Every member's names in the room; a name two members share maps to None (no guessing)."""
        room = await self.room(room_id)
        limit = asyncio.Semaphore(MEMBER_LOOKUPS_AT_ONCE)

        async def lookup(member_id: str) -> Any:
            async with limit:
                return await self._client.member(room_id, member_id)

        members = await asyncio.gather(*(lookup(m) for m in room.member_ids), return_exceptions=True)
        names: dict[str, str | None] = {}
        for member in (m for m in members if not isinstance(m, BaseException)):
            for shown in {member.alias, member.name} - {""}:
                names[shown] = member.id if names.get(shown, member.id) == member.id else None
        return names

    async def joined(self, payload: Any) -> list[MemberJoined]:
        topic = await self._fresh_topic(payload.room_id)
        inviter = (await self.contact(payload.inviter_id))[0] if payload.inviter_id else None
        return [
            MemberJoined(payload.room_id, (await self.contact(i))[0], topic, inviter, is_self=i == self.me.id)
            for i in payload.invited_ids
        ]

    async def left(self, payload: Any) -> list[MemberLeft]:
        topic = await self._fresh_topic(payload.room_id)
        remover = (await self.contact(payload.remover_id))[0] if payload.remover_id else None
        return [
            MemberLeft(payload.room_id, (await self.contact(i))[0], topic, remover, is_self=i == self.me.id)
            for i in payload.removed_ids
        ]

    async def _fresh_topic(self, room_id: str) -> str:
        """Membership changed: forget what was known of the room; its topic, if it can still be read."""
        self.forget_room(room_id)
        try:
            return (await self.room(room_id)).topic
        except Exception as exc:  # the bot itself may have been removed from it
            _LOGGER.info("room %s cannot be read after a membership change: %r", room_id, exc)
            return ""
