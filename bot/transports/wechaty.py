"""The WeChat transport: a Wechaty puppet service connection kept up, its events in, the outbox out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from bot.config import WechatySection
from bot.errors import TransportError
from bot.events import Contact, MessageKind, OutgoingMessage
from bot.transports import wechaty_compat as compat
from bot.transports.base import EventSink, PacingLimits, Wake
from bot.transports.wechaty_events import EventMapper

_LOGGER = logging.getLogger(__name__)
QR_PAGE = "https://wechaty.js.org/qrcode/"
STOP_SECONDS = 5.0
REREADABLE = frozenset({"message", "room-join", "room-leave", "room-topic"})  # by id: safe to read again
MAX_CARRIED = 1000
Event = tuple[str, Any]  # a puppet service event: its name and payload


async def _settle(tasks: list[asyncio.Task[object]]) -> bool:
    """Cancel `tasks` and wait for them, but not forever.

    Timeouts in this module use `asyncio.timeout`, never `asyncio.wait_for`: on Python 3.11,
    wait_for swallows a cancellation that arrives as its awaitable finishes, and the cancelled
    task then runs on (seen here: an event consumer that never ended after a lost connection).
    """
    for task in tasks:
        task.cancel()
    done, pending = await asyncio.wait(tasks, timeout=STOP_SECONDS)
    for task in done:  # their failures were the loss itself, already told; retrieved, so asyncio is quiet
        _retrieve(task)
    for task in pending:  # a slow machine: whenever they end, their failure is retrieved too
        task.add_done_callback(_retrieve)
    return not pending


def _retrieve(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()


class Backoff:
    """Pauses between reconnection tries: doubling up to a ceiling, and back to the start after a log-in."""

    def __init__(self, initial: float, ceiling: float, rng: random.Random) -> None:
        self._initial = initial
        self._ceiling = max(ceiling, initial)
        self._rng = rng
        self._delay = initial

    def next(self) -> float:
        # Jitter: bots cut off by the same outage come back spread out rather than all at once.
        pause = self._delay * self._rng.uniform(0.5, 1.0)
        self._delay = min(self._ceiling, self._delay * 2)
        return pause

    def reset(self) -> None:
        self._delay = self._initial


class _Echoes:
    """Sends whose answer may be lost with the connection. The bot's own messages come back as
    message events (echoes), so an echo of the same text in the same conversation proves that
    such a send was delivered, and retrying it would send it twice."""

    def __init__(self) -> None:
        self._waiting: dict[int, tuple[str, str]] = {}  # outbox id -> (conversation, text)
        self._seen: dict[int, str] = {}  # outbox id -> message id of its echo

    def sending(self, outbox_id: int, conversation: str, text: str) -> None:
        self._waiting[outbox_id] = (conversation, text)

    def answered(self, outbox_id: int) -> None:
        self._waiting.pop(outbox_id, None)
        self._seen.pop(outbox_id, None)

    def echo(self, conversation: str, text: str, message_id: str) -> None:
        for outbox_id, waiting in self._waiting.items():
            if waiting == (conversation, text) and outbox_id not in self._seen:
                self._seen[outbox_id] = message_id
                return

    def delivered(self, outbox_id: int) -> str | None:
        return self._seen.get(outbox_id)


class _Session:
    """One connection: its client, its events handled one at a time in arrival order, its login."""

    def __init__(
        self,
        endpoint: str,
        config: WechatySection,
        sink: EventSink,
        on_connected: Wake,
        carried: list[Event],
        on_echo: Callable[[str, str, str], None],
    ) -> None:
        self._config = config
        self._sink = sink
        self._on_connected = on_connected
        self._on_echo = on_echo
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._carried = carried  # events an earlier connection received but could not read
        self._replay: deque[Event] = deque()
        self._unread: list[Event] = []  # events this connection received but could not read
        self.client = compat.PuppetClient(endpoint, config.token, self._enqueue, config.request_timeout_seconds)
        self.mapper = EventMapper(self.client)
        self.lost = asyncio.Event()
        self.lost_because = ""
        self.error: BaseException | None = None
        self.logged_in = False
        self.ever_logged_in = False

    def _enqueue(self, name: str, payload: object) -> None:
        self._queue.put_nowait((name, payload))

    def end(self, because: str) -> None:
        if not self.lost.is_set():
            self.lost_because = because
            self.lost.set()

    async def run(self) -> str:
        """Connect and handle events until the connection is lost or ended; returns why it stopped."""
        stream = asyncio.create_task(self.client.run())
        others = [
            asyncio.create_task(self._consume()),
            asyncio.create_task(self._heartbeat()),
            asyncio.create_task(self.lost.wait()),
        ]
        try:
            done, _ = await asyncio.wait([stream, *others], return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self.client.close()
            if not await _settle([stream, *others]):
                _LOGGER.warning("a task of the lost connection did not end; it is left behind")
        return self._why(done, stream)

    def _why(self, done: Iterable[asyncio.Task[object]], stream: asyncio.Task[object]) -> str:
        if self.lost.is_set():
            return self.lost_because
        failed = next((t for t in done if not t.cancelled() and t.exception() is not None), None)
        if failed is not None and (error := failed.exception()) is not None:
            self.error = error
            what = "the connection failed" if failed is stream else "a heartbeat got no answer"
            self.end(f"{what}: {compat.redact(compat.describe(error), self._config.token)}")
            return self.lost_because
        return "the puppet service closed the event stream"

    async def _heartbeat(self) -> None:
        """A quiet connection may be dead without anyone noticing (no TCP reset): ask now and then."""
        while True:
            await asyncio.sleep(self._config.heartbeat_seconds)
            async with asyncio.timeout(self._config.request_timeout_seconds):
                await self.client.ding()

    def leftovers(self) -> list[Event]:
        """What the next connection reads again: events received but not read (ids keep them valid)."""
        left = [*self._carried, *self._replay, *self._unread]
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
        return [event for event in left if event[0] in REREADABLE][-MAX_CARRIED:]

    async def _consume(self) -> None:
        while True:
            name, payload = self._replay.popleft() if self._replay else await self._queue.get()
            try:
                async with asyncio.timeout(self._config.request_timeout_seconds * 4):
                    await self._handle(name, payload)
            except Exception as exc:  # bad input never stops the transport
                self._skipped(name, payload, exc)

    def _skipped(self, name: str, payload: object, exc: Exception) -> None:
        if compat.is_connection_error(exc):
            self._unread.append((name, payload))
            _LOGGER.info("a %s event is read again after reconnecting: %s", name, compat.describe(exc))
        else:
            _LOGGER.error("could not read a %s event (%r); it is skipped", name, payload, exc_info=exc)

    async def _handle(self, name: str, payload: Any) -> None:
        handler = getattr(self, "_on_" + name.replace("-", "_"), None)
        if handler is None:
            _LOGGER.debug("puppet service event %s: %r", name, payload)
            return
        await handler(payload)

    async def _on_login(self, payload: Any) -> None:
        me = await self.mapper.login(payload.contact_id)
        _LOGGER.info("logged in to WeChat as %s (%s)", me.name, me.id)
        # What the last connection could not read comes first, then sending opens: an echo among
        # those events may show that a send cut off by the loss was delivered after all.
        self._replay.extend(self._carried)
        self._carried = []
        self._replay.append(("ready-to-send", None))

    async def _on_ready_to_send(self, payload: None) -> None:
        self.logged_in = self.ever_logged_in = True
        self._on_connected()

    async def _on_logout(self, payload: Any) -> None:
        self.logged_in = False
        _LOGGER.warning(
            "WeChat logged the bot out (%s); replies wait in the outbox until it logs in again",
            getattr(payload, "data", None) or "no reason given",
        )

    async def _on_scan(self, payload: Any) -> None:
        if payload.qrcode:
            _LOGGER.warning(
                "the account needs a log-in: scan the QR code at %s%s with WeChat (status %s)",
                QR_PAGE,
                urllib.parse.quote(payload.qrcode, safe=""),
                payload.status,
            )

    async def _on_error(self, payload: Any) -> None:
        _LOGGER.warning("the puppet service reports an error: %s", getattr(payload, "data", payload))

    async def _on_message(self, payload: Any) -> None:
        data = await self.client.message(payload.message_id)
        if not data.sender_id:
            _LOGGER.warning("message %s has no sender; it is skipped", payload.message_id)
            return
        if data.sender_id == self.mapper.me.id:
            self._on_echo(data.room_id or data.to_id, data.text, data.id)
        message = await self.mapper.message(data)
        if message.kind is MessageKind.OTHER:
            _LOGGER.info(
                "message %s from %s is not text or comes from an official account: recorded, not routed",
                message.message_id,
                message.sender.id,
            )
        self._sink(message)

    async def _on_room_join(self, payload: Any) -> None:
        for event in await self.mapper.joined(payload):
            if event.member.id == self.mapper.me.id:
                _LOGGER.warning(
                    "the bot was added to room %s (%r) by %s",
                    event.room_id,
                    event.room_name,
                    event.inviter.name if event.inviter else "someone",
                )
            self._sink(event)

    async def _on_room_leave(self, payload: Any) -> None:
        for event in await self.mapper.left(payload):
            self._sink(event)

    async def _on_room_topic(self, payload: Any) -> None:
        self.mapper.forget_room(payload.room_id)
        _LOGGER.info("room %s is now called %r", payload.room_id, payload.new_topic)


class WechatyTransport:
    """WeChat through a Wechaty puppet service; reconnects with backoff and jitter after a loss."""

    name = "wechaty"
    # WeChat's safe pace: 3 s a room and 20 a minute on average; a reply to someone who just wrote
    # may go at once (three in a room, five for the account), the average gaps still hold; 5 of
    # the 20 a minute are kept for replies, so a fan-out goes at 15 a minute.
    default_pacing = PacingLimits(
        room_interval_seconds=3, account_per_minute=20, room_burst=3, account_burst=5, reply_reserve=5
    )
    max_text_length = 2000  # WeChat cuts or refuses longer texts; the outbox splits them on line boundaries

    def __init__(self, config: WechatySection, rng: random.Random | None = None) -> None:
        if not config.token:
            raise ValueError("the wechaty transport needs wechaty.token")
        self._config = config
        self._rng = rng or random.Random()
        self._session: _Session | None = None
        self._runner: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._carried: list[Event] = []
        self._echoes = _Echoes()
        self._failed_tries = 0  # since the last log-in: the first failure is a warning, the rest info

    @property
    def connected(self) -> bool:
        session = self._session
        return session is not None and session.logged_in and not session.lost.is_set()

    @property
    def me(self) -> Contact | None:
        """The logged-in account, while connected."""
        return self._session.mapper.me if self.connected and self._session else None

    async def start(self, sink: EventSink, on_connected: Wake) -> None:
        """Start connecting in the background; `on_connected` runs at every log-in."""
        compat.adopt_sdk_loggers(self._config.token)
        if not self._config.endpoint:
            _LOGGER.warning(
                "wechaty.endpoint is empty: asking the Wechaty discovery service for the token's "
                "gateway (set WECHATY_PUPPET_SERVICE_ENDPOINT for a self-hosted one)"
            )
        self._stopping.clear()
        self._runner = asyncio.create_task(self._run(sink, on_connected), name="wechaty-connection")

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._stopping.set()
        if self._session is not None:
            self._session.end("the bot is stopping")
        done, _ = await asyncio.wait([runner], timeout=STOP_SECONDS)  # ending the session ends it
        if not done and not await _settle([runner]):
            _LOGGER.warning("the Wechaty connection did not close within %.0f s", 2 * STOP_SECONDS)

    async def send(self, message: OutgoingMessage) -> str | None:
        """Send the text as rendered: the core has written the @names; the ids make WeChat notify them."""
        session = self._session
        conversation = message.room_id or message.contact_id
        if session is None or not self.connected:
            raise TransportError("not connected to the puppet service")
        if not conversation:
            raise TransportError(f"outbox message {message.outbox_id} has neither a room nor a contact")
        echoed = self._echoes.delivered(message.outbox_id)
        if echoed is not None:
            self._echoes.answered(message.outbox_id)
            _LOGGER.info(
                "outbox message %s had reached WeChat when the connection broke (its echo came back): not sent again",
                message.outbox_id,
            )
            return echoed
        if message.image is not None:
            return await self._send_image(session, message, conversation)
        return await self._send_text(session, message, conversation)

    async def _send_image(self, session: _Session, message: OutgoingMessage, conversation: str) -> str | None:
        """The picture alone (WeChat files carry no caption). Its echo is not matched as a text's is:
        puppets differ in what an echoed file's text holds, so one whose answer is lost with the
        connection may go out twice."""
        assert message.image is not None
        try:
            async with asyncio.timeout(self._config.request_timeout_seconds):
                sent = await session.client.send_file(conversation, message.image.name, message.image.data)
        except Exception as exc:
            raise self._send_failed(session, message, exc) from exc
        return sent or None

    async def _send_text(self, session: _Session, message: OutgoingMessage, conversation: str) -> str | None:
        mentions = list(message.mentions) if message.room_id else []
        self._echoes.sending(message.outbox_id, conversation, message.text)
        try:
            async with asyncio.timeout(self._config.request_timeout_seconds):
                sent = await session.client.send_text(conversation, message.text, mentions)
        except Exception as exc:
            raise self._send_failed(session, message, exc) from exc
        self._echoes.answered(message.outbox_id)
        return sent or None

    def _send_failed(self, session: _Session, message: OutgoingMessage, exc: Exception) -> TransportError:
        detail = compat.redact(compat.describe(exc), self._config.token)
        if compat.is_connection_error(exc):  # end the session first: the sender then keeps its tries
            session.end(f"sending failed: {detail}")
            return TransportError(f"the connection to the puppet service was lost while sending ({detail})")
        self._echoes.answered(message.outbox_id)
        return TransportError(f"the puppet service did not send it: {detail}")

    async def _run(self, sink: EventSink, on_connected: Wake) -> None:
        backoff = Backoff(self._config.reconnect_initial_seconds, self._config.reconnect_max_seconds, self._rng)
        while not self._stopping.is_set():
            try:
                if await self._connect_once(sink, on_connected):
                    backoff.reset()
            except Exception:  # a fault of ours must not end the reconnecting for good
                _LOGGER.exception("the Wechaty connection failed unexpectedly")
            if self._stopping.is_set():
                return
            pause = backoff.next()
            _LOGGER.info("connecting to the puppet service again in %.2f s", pause)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._stopping.wait()

    async def _connect_once(self, sink: EventSink, on_connected: Wake) -> bool:
        """One connection, from connecting to its loss; True if it logged in."""
        try:
            endpoint = self._config.endpoint or await compat.discover_endpoint(
                self._config.token, self._config.request_timeout_seconds
            )
            self._session = session = _Session(
                endpoint, self._config, sink, on_connected, self._carried, self._echoes.echo
            )
        except Exception as exc:
            self._log_loss(None, f"no gateway to connect to: {self._redacted(exc)}")
            return False
        try:
            because = await session.run()
        finally:
            self._session = None
            self._carried = session.leftovers()
        self._log_loss(session, because)
        if self._carried:
            _LOGGER.info("%d events received but not read will be read after reconnecting", len(self._carried))
        return session.ever_logged_in

    def _log_loss(self, session: _Session | None, because: str) -> None:
        logged_in = session is not None and session.ever_logged_in
        self._failed_tries = 0 if logged_in else self._failed_tries + 1
        if session is not None and session.error is not None and compat.is_refused_token(session.error):
            _LOGGER.error("the puppet service refused the token: check WECHATY_PUPPET_SERVICE_TOKEN (%s)", because)
        elif logged_in and not self._stopping.is_set():
            _LOGGER.warning("lost the connection to the puppet service: %s", because)
        elif not self._stopping.is_set():
            log = _LOGGER.warning if self._failed_tries == 1 else _LOGGER.info
            log("no connection to the puppet service (try %d): %s", self._failed_tries, because)

    def _redacted(self, exc: BaseException) -> str:
        return compat.redact(compat.describe(exc), self._config.token)
