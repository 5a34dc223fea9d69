"""The console playground's transport and its input language (a simulated group chat)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.events import Contact, IncomingMessage, MemberJoined, MemberLeft, OutgoingMessage, Quote
from bot.mentions import is_everyone, typed_mentions
from bot.transports.base import EventSink, PacingLimits, Wake

NAME = r"[^\s:：\[\]@>#~+\-][^\s:：\[\]@>]*"
_SAY = re.compile(
    rf"^(?:\[(?P<where>[^\]]+)\]\s*)?(?:(?P<sender>{NAME})(?:\s*>\s*(?P<quoted>{NAME}))?\s*[:：]\s?(?P<text>.*))?$"
)
_MEMBERSHIP = re.compile(rf"^(?P<sign>[+\-])\s*(?P<name>{NAME})$")
_DELTA = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class ConsoleInputError(ValueError):
    """A line the playground cannot read; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class ClockChange:
    when: datetime | None = None
    delta: timedelta | None = None


@dataclass
class PlaygroundState:
    """What the playground remembers between lines: the current room and who said what last."""

    room: str
    bot_name: str
    last_said: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (room, who) -> (id, text)


def parse_clock(text: str, timezone: str) -> ClockChange:
    """`~ 2026-12-01 09:00` (in the configured zone) or `~ +3d`, `~ +2h30m`."""
    body = text.strip()
    if body.startswith("+"):
        parts = _DELTA.findall(body[1:])
        if not parts or _DELTA.sub("", body[1:]).strip():
            raise ConsoleInputError("a time step looks like `~ +3d`, `~ +2h` or `~ +30m`")
        try:
            delta = sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())
        except OverflowError:
            raise ConsoleInputError("that time step is too large: move at most a few years at a time") from None
        return ClockChange(delta=delta)
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return ClockChange(when=datetime.strptime(body, pattern).replace(tzinfo=ZoneInfo(timezone)))
        except ValueError:
            continue
    raise ConsoleInputError("a time looks like `~ 2026-12-01 09:00` or `~ +3d`")


def parse_line(line: str, state: PlaygroundState) -> IncomingMessage | MemberJoined | MemberLeft | None:
    """One playground line to an event; None for blank lines, comments and bare room switches."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    membership = _MEMBERSHIP.match(line)
    if membership:
        member = Contact(membership["name"], membership["name"])
        room, me = state.room, membership["name"] == state.bot_name
        if membership["sign"] == "+":
            return MemberJoined(room, member, room, is_self=me)
        return MemberLeft(room, member, room, is_self=me)
    said = _SAY.match(line)
    if said is None or (said["sender"] is None and said["where"] is None):
        raise ConsoleInputError(
            "write `alice: hello`, `[dm] alice: /help`, `[room2] alice: hi`, `+dave`, `-dave` or `~ +1d`"
        )
    where = said["where"]
    if where is not None and where != "dm":
        state.room = where.strip()
    if said["sender"] is None:
        return None
    to = None if where == "dm" else state.room
    return _message(said["sender"], said["text"].replace("\\n", "\n"), to, said["quoted"], state)


def _message(sender: str, text: str, room: str | None, quoted: str | None, state: PlaygroundState) -> IncomingMessage:
    names = [n for n in typed_mentions(text) if not is_everyone(n)]
    quote = None
    if quoted is not None:
        quoted_id, quoted_text = state.last_said.get((room or f"dm:{sender}", quoted), (None, ""))
        quote = Quote(
            text=quoted_text, sender=Contact(quoted, quoted), message_id=quoted_id, from_bot=quoted == state.bot_name
        )
    message_id = f"console-{uuid.uuid4().hex}"
    state.last_said[(room or f"dm:{sender}", sender)] = (message_id, text)
    return IncomingMessage(
        message_id=message_id,
        sender=Contact(sender, sender),
        text=text,
        room_id=room,
        room_name=room or "",
        mentions=tuple(Contact(n, n) for n in names if n != state.bot_name),
        mentions_bot=state.bot_name in names,
        quote=quote,
    )


def format_line(where: str, who: str, text: str) -> str:
    """`[room] who: text`, continuation lines indented under the text (blank ones left blank)."""
    prefix = f"[{where}] {who}: "
    return prefix + "\n".join(line if i == 0 or not line else " " * 4 + line for i, line in enumerate(text.split("\n")))


class ConsoleTransport:
    """Prints what the bot says; events come from the playground driver."""

    name = "console"
    default_pacing = PacingLimits()  # a simulation: no platform to protect
    max_text_length = None
    connected = True

    def __init__(self, bot_name: str, write: Callable[[str], None], image_dir: Path | None = None) -> None:
        self.bot_name = bot_name
        self._write = write
        self._image_dir = image_dir or Path("data") / "images"  # where pictures the bot sends are saved
        self._sink: EventSink | None = None
        self._count = 0

    async def start(self, sink: EventSink, on_connected: Wake) -> None:
        self._sink = sink
        on_connected()

    async def stop(self) -> None:
        self._sink = None

    def submit(self, event: IncomingMessage | MemberJoined | MemberLeft) -> None:
        if self._sink is None:
            raise RuntimeError("the console transport is not started")
        self._sink(event)

    async def send(self, message: OutgoingMessage) -> str:
        where = message.room_id or f"dm {message.contact_id}"
        text = message.text
        if message.image is not None:  # a terminal shows no pictures: save it and say where
            text = f"{text}\n[image] {self._save(message)}"
        self._write(format_line(where, self.bot_name, text))
        self._count += 1
        return f"console-out-{self._count}"

    def _save(self, message: OutgoingMessage) -> str:
        assert message.image is not None
        self._image_dir.mkdir(parents=True, exist_ok=True)
        path = self._image_dir / f"{message.outbox_id}-{Path(message.image.name).name}"
        path.write_bytes(message.image.data)
        absolute = path.resolve()
        if absolute.is_relative_to(Path.cwd()):  # below where the playground runs: shorter to read
            return str(absolute.relative_to(Path.cwd()))
        return str(absolute)
