"""The one door to python-wechaty 0.10.7: its workarounds, each with its reason, and plain data out."""

# kocbot drives python-wechaty's gRPC client (`wechaty_puppet_service.PuppetService`) and not its
# `Wechaty` facade. The facade brings what a long-running service must not have: a plugin manager
# that probes 127.0.0.1:5000 with a blocking telnet at every login and starts an APScheduler with a
# SQLite job store in ./.wechaty (read from CACHE_DIR at import); Contact and Room objects cached
# forever in class-level pools shared by every client (names and member lists go stale); an
# in-memory duplicate filter that forgets on restart; one task per event, so events can overtake
# each other; and `start()`, which sleeps 60 s after a loss and then fails ("Scheduler is already
# running"). Without the facade none of those needs a shim, nor does `PuppetOptions.__hash__`
# (only the facade's dataclass default trips over it on Python 3.11).

from __future__ import annotations

import asyncio
import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

# The SDK is frozen at 0.10.7: its DeprecationWarnings (telnetlib, pyee's moved AsyncIOEventEmitter)
# say nothing kocbot can act on, and would repeat in every test run and log.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import wechaty_puppet_service.puppet as _service_module
    from wechaty_grpc.wechaty.puppet import ContactType, MessageType
    from wechaty_puppet.file_box import FileBox
    from wechaty_puppet.schemas.puppet import PuppetOptions
    from wechaty_puppet_service import PuppetService

# FileBox reads its own deprecated `mimeType` when it serializes, through `logger.warn`, itself
# deprecated: a DeprecationWarning for every file sent, about the SDK's code and not ours.
warnings.filterwarnings("ignore", "The 'warn' method is deprecated", DeprecationWarning, r"wechaty_puppet\.file_box")

_LOGGER = logging.getLogger(__name__)
DISCOVERY_URL = "https://api.chatie.io/v0/hosties/{token}"  # Wechaty's public endpoint lookup
EVENTS = (
    "login",
    "logout",
    "message",
    "room-join",
    "room-leave",
    "room-topic",
    "scan",
    "error",
    "ready",
    "heartbeat",
    "dong",
)
_SDK_LOGGERS = (
    "PuppetService",
    "WechatyPuppetServiceConfig",
    "WechatyPuppet.Schema.Base",
    "WechatyPuppet.Schemas.Event",
    "FileBox",
)
_MILLISECONDS_FROM = 2_145_888_000  # puppets send seconds or milliseconds; bigger than 2038 in seconds


# PuppetService._init_puppet first checks the endpoint with a blocking telnet (up to 3 s with the
# event loop frozen). PuppetClient.run checks it instead, without blocking and with a timeout
# (grpclib's own connect has none: an unreachable host would hang until the OS gives up).
# The module imports ping_endpoint without re-exporting it; it is replaced where PuppetService looks it up.
_service_module.ping_endpoint = lambda end_point: True  # type: ignore[attr-defined]


class _SdkFilter(logging.Filter):
    """Keeps the token out of the SDK's log lines, and drops its "there are endpoint<...> and
    token<...>" warning, logged at every connection because kocbot always gives both."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("there are endpoint<"):
            return False
        if self._secret and self._secret in message:
            record.msg, record.args = message.replace(self._secret, "<token>"), ()
        return True


def adopt_sdk_loggers(token: str) -> None:
    """The SDK's `get_logger` gives each logger its own stderr handler at INFO and stops propagation,
    so its lines bypass kocbot's log set-up: send them through ours, warnings and up, token hidden."""
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.filters.clear()
        logger.propagate = True
        logger.setLevel(logging.WARNING)
        logger.addFilter(_SdkFilter(token))


def redact(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text


async def discover_endpoint(token: str, timeout: float) -> str:
    """Ask Wechaty's discovery service where a hosted token's gateway is.

    PuppetService does this itself, but with a blocking `requests.get` without a timeout on the
    event loop, and it reads the 2020 answer `{"ip", "port"}` while the service now answers
    `{"host", "port"}` (what the Node SDK reads): here it runs in a thread with a timeout and reads
    both, and PuppetService always gets an endpoint.
    """
    url = DISCOVERY_URL.format(token=urllib.parse.quote(token, safe=""))
    try:
        async with asyncio.timeout(timeout + 1):
            found = json.loads(await asyncio.to_thread(_fetch, url, timeout))
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise
        found = {}
    answer = found if isinstance(found, dict) else {}
    host, port = answer.get("host") or answer.get("ip"), answer.get("port")
    if host in (None, "", "0.0.0.0") or not port:
        raise LookupError("the discovery service knows no gateway for this token (is the token right?)")
    return f"{host}:{port}"


def _fetch(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def is_connection_error(exc: BaseException) -> bool:
    """True when the connection itself failed (rebuild it), not the request (retry the message)."""
    if isinstance(exc, GRPCError):
        return exc.status in (Status.UNAVAILABLE, Status.CANCELLED, Status.DEADLINE_EXCEEDED)
    return isinstance(exc, OSError | StreamTerminatedError | TimeoutError | EOFError)


def is_refused_token(exc: BaseException) -> bool:
    return isinstance(exc, GRPCError) and exc.status is Status.UNAUTHENTICATED


def describe(exc: BaseException) -> str:
    """One line: the Node server puts its whole stack trace into a gRPC error's message."""
    if isinstance(exc, GRPCError):
        first = (exc.message or "").strip().splitlines()
        return f"{exc.status.name}: {first[0] if first else 'no details'}"
    return f"{type(exc).__name__}: {exc}"


def to_datetime(timestamp: float) -> datetime | None:
    if not timestamp:
        return None
    seconds = timestamp / 1000 if timestamp > _MILLISECONDS_FROM else timestamp
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class MessageData:
    id: str
    sender_id: str
    room_id: str  # "" in a direct message
    to_id: str  # the other side of a direct message
    text: str
    is_text: bool
    mention_ids: tuple[str, ...]
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class ContactData:
    id: str
    name: str
    official: bool  # an official (public) account: newsletters, not people


@dataclass(frozen=True, slots=True)
class RoomData:
    id: str
    topic: str
    owner_id: str
    admin_ids: tuple[str, ...]
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemberData:
    id: str
    name: str
    alias: str  # the member's name in this room, if they set one


class PuppetClient:
    """One connection to a puppet service. After a loss, build a new one: nothing is reused."""

    def __init__(
        self, endpoint: str, token: str, on_event: Callable[[str, object], None], connect_timeout: float = 15.0
    ) -> None:
        self._endpoint = endpoint
        self._connect_timeout = connect_timeout
        # Both values are always given, so PuppetService never reads TOKEN/ENDPOINT from the
        # environment and never runs its own discovery (it does when the endpoint is empty).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._puppet = PuppetService(PuppetOptions(end_point=endpoint, token=token))
        for name in EVENTS:  # plain functions: pyee calls them inline, in the stream's order
            self._puppet.on(name, _forward(name, on_event))

    async def run(self) -> None:
        """Connect, (re)start the service's puppet, then stream events; returns or raises on a loss."""
        # start() sends the gateway a stop, then a start: that restarts its puppet, but it is also
        # what frees the gateway's one event stream when the last connection died without closing
        # it (a second stream is refused with ALREADY_EXISTS). So it stays.
        await _reachable(self._endpoint, self._connect_timeout)
        await self._puppet.start()

    async def close(self) -> None:
        # No stop RPC: it would stop the gateway's puppet (some log the account out), and it hangs
        # when the connection is already gone. Closing the channel ends the event stream.
        channel, self._puppet.channel = self._puppet.channel, None
        if channel is not None:
            channel.close()

    async def ding(self) -> None:
        await self._puppet.ding("kocbot")

    async def send_text(self, conversation_id: str, text: str, mention_ids: list[str]) -> str:
        return await self._puppet.message_send_text(conversation_id, text, mention_ids or None)

    async def send_file(self, conversation_id: str, name: str, data: bytes) -> str:
        """A file (a chart) from bytes, carried inline as base64: the puppet service needs no URL
        it could fetch, nor a file on its disk."""
        box = FileBox.from_base64(base64.b64encode(data), name=name)
        return await self._puppet.message_send_file(conversation_id, box)

    async def message(self, message_id: str) -> MessageData:
        p = await self._puppet.message_payload(message_id)
        return MessageData(
            id=p.id or message_id,
            sender_id=p.from_id,
            room_id=p.room_id,
            to_id=p.to_id,
            text=p.text or "",
            is_text=p.type == MessageType.MESSAGE_TYPE_TEXT,
            mention_ids=tuple(p.mention_ids or ()),
            sent_at=to_datetime(p.timestamp),
        )

    async def contact(self, contact_id: str) -> ContactData:
        p = await self._puppet.contact_payload(contact_id)
        return ContactData(id=contact_id, name=p.name, official=p.type == ContactType.CONTACT_TYPE_OFFICIAL)

    async def room(self, room_id: str) -> RoomData:
        p = await self._puppet.room_payload(room_id)
        return RoomData(
            id=room_id,
            topic=p.topic,
            owner_id=p.owner_id,
            admin_ids=tuple(p.admin_ids or ()),
            member_ids=tuple(p.member_ids or ()),
        )

    async def member(self, room_id: str, contact_id: str) -> MemberData:
        p = await self._puppet.room_member_payload(room_id, contact_id)
        return MemberData(id=contact_id, name=p.name, alias=p.room_alias)


async def _reachable(endpoint: str, timeout: float) -> None:
    """Raises unless a TCP connection to `endpoint` (host:port) opens within `timeout` seconds."""
    host, _, port = endpoint.rpartition(":")
    async with asyncio.timeout(timeout):
        _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
    writer.close()


def _forward(name: str, on_event: Callable[[str, object], None]) -> Callable[[object], None]:
    def forward(payload: object) -> None:
        on_event(name, payload)

    return forward
