"""The incoming pipeline: record each event once, route it, run its handler, commit in groups."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Final

from sqlalchemy import JSON, Integer, String, TextualSelect, bindparam, text
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.context import Context, Services
from bot.conversations import Active
from bot.db.schema import Role, UTCDateTime
from bot.dispatch import NeedsIsolation, dispatch_event, dispatch_route
from bot.events import Contact, Event, IncomingMessage, MemberJoined, MemberLeft, RoomStatus, storable
from bot.members import CommunityRef, MemberRef
from bot.outbox import withdraw_addressed
from bot.router import FailedRoute, Route, Router
from bot.uow import Database, UnitOfWork

_LOGGER = logging.getLogger(__name__)


class _Stop(Enum):
    STOP = "stop"


_STOP: Final = _Stop.STOP  # put in the queue by stop(): run() returns when it gets there
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 1.0, 30.0
_MESSAGE_COLUMNS = (
    "platform_msg_id",
    "community_id",
    "member_id",
    "kind",
    "text",
    "mentions",
    "quote_msg_id",
    "quote_member_id",
    "routed_to",
    "received_at",
)


@functools.cache
def record_statement(rows: int) -> TextualSelect:
    """One INSERT for a whole batch of messages, written out once per batch size.

    The hot path's statement: SQLAlchemy cannot cache its dialect-specific insert
    constructs, and SQLite and PostgreSQL share this ON CONFLICT ... RETURNING syntax.
    A message id already logged inserts nothing and returns nothing.
    """
    values = ", ".join("(" + ", ".join(f":{c}_{i}" for c in _MESSAGE_COLUMNS) + ")" for i in range(rows))
    binds = [bindparam(f"mentions_{i}", type_=JSON()) for i in range(rows)]
    binds += [bindparam(f"received_at_{i}", type_=UTCDateTime()) for i in range(rows)]
    return (
        text(
            f"INSERT INTO messages ({', '.join(_MESSAGE_COLUMNS)}) VALUES {values} "
            "ON CONFLICT (platform_msg_id) DO NOTHING RETURNING id, platform_msg_id"
        )
        .bindparams(*binds)
        .columns(id=Integer(), platform_msg_id=String())
    )


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A message with its sender, room and route resolved, waiting for its row id."""

    message: IncomingMessage
    sender: MemberRef
    community: CommunityRef | None
    route: Route | None
    params: dict[str, object]


class Pipeline:
    """Takes events from a transport and turns each into committed state and outbox rows.

    Events that arrive together are committed together (group commit, up to
    `pipeline.batch_max`). Handlers first run without savepoints; if one fails, the
    batch runs again with a savepoint per handler. Nothing is sent before the
    transaction that produced it has committed. While the database is unreachable,
    `run` keeps the batch and tries again with backoff.
    """

    def __init__(
        self, database: Database, services: Services, *, on_committed: Callable[[], None] = lambda: None
    ) -> None:
        self._database = database
        self._services = services
        self._on_committed = on_committed
        self._queue: asyncio.Queue[Event | _Stop] = asyncio.Queue()
        self._batch_max = services.settings.pipeline.batch_max
        self._stop_seen = False
        self.idle = asyncio.Event()  # set while nothing waits to be processed
        self.idle.set()
        self.arrival = asyncio.Event()  # set by each submission; cleared when drained
        self.latencies: list[float] | None = None  # seconds from dequeue to commit, when measuring
        self.observers: list[Callable[[Event, float], None]] = []  # each committed event and its latency (metrics)

    def submit(self, event: Event) -> None:
        """Called by the transport for every platform event; never blocks. Every transport's events
        come in here, so this is where text no database can hold (a NUL) is cleaned away."""
        self.idle.clear()
        self.arrival.set()
        self._queue.put_nowait(storable(event))

    def stop(self) -> None:
        """Let `run` finish what was submitted before, then return."""
        self._queue.put_nowait(_STOP)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def run(self) -> None:
        while not self._stop_seen:
            first = await self._queue.get()
            if first is _STOP:
                return
            await self._process_until_stored(self._take_batch(first))
            if self._queue.empty():
                self.idle.set()

    async def drain(self) -> None:
        """Process everything submitted so far (tests, the console, shutdown)."""
        self.arrival.clear()
        while not self._queue.empty():
            first = self._queue.get_nowait()
            if first is not _STOP:
                await self._process_batch(self._take_batch(first))
        self.idle.set()

    def _take_batch(self, first: Event) -> list[tuple[Event, float]]:
        started = time.perf_counter()
        batch = [(first, started)]
        while len(batch) < self._batch_max and not self._queue.empty():
            event = self._queue.get_nowait()
            if event is _STOP:
                self._stop_seen = True
                break
            batch.append((event, started))
        return batch

    async def _process_until_stored(self, batch: Sequence[tuple[Event, float]]) -> None:
        """A database that is down loses nothing: the batch waits in memory and is tried again."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                await self._process_batch(batch)
                return
            except (OperationalError, InterfaceError):
                _LOGGER.exception("the database is unreachable; %d events wait, next try in %.0f s", len(batch), delay)
                await self._services.clock.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _process_batch(self, batch: Sequence[tuple[Event, float]], *, isolated: bool = False) -> None:
        """Raises only when the database itself fails (see `_process_until_stored`)."""
        try:
            await self._run_batch(batch, isolated=isolated)
        except NeedsIsolation:
            await self._process_batch(batch, isolated=True)
            return
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            if len(batch) > 1:
                _LOGGER.warning("a batch of %d events failed; processing them one by one", len(batch), exc_info=True)
                for item in batch:
                    await self._process_batch([item], isolated=True)
                return
            _LOGGER.exception("could not process %r", batch[0][0])
            await self._last_resort(batch[0][0])
        self._record_latency(batch)
        self._on_committed()

    async def _last_resort(self, event: Event) -> None:
        """An event failed outside every handler's guard (a reply that cannot render, an audit
        write): a message is still logged and answered with the apology, in a transaction of its own."""
        if not isinstance(event, IncomingMessage):
            _LOGGER.error("the %s event is dropped", type(event).__name__)
            return
        try:
            async with UnitOfWork(self._database, self._services.clock) as uow:
                prepared = await self._prepare_message(uow, event, failed=True)
                if prepared is not None:
                    await self._dispatch(uow, prepared, await self._record(uow, [prepared]), isolated=True)
                await uow.commit()
        except (OperationalError, InterfaceError):
            raise  # the database is down: the batch waits and is tried again
        except Exception:
            _LOGGER.exception("could not even log message %s; it is dropped", event.message_id)

    async def _run_batch(self, batch: Sequence[tuple[Event, float]], *, isolated: bool) -> None:
        async with UnitOfWork(self._database, self._services.clock) as uow:
            prepared = [await self._prepare(uow, event) for event, _ in batch]
            row_ids = await self._record(uow, [p for p in prepared if isinstance(p, _Prepared)])
            for item in prepared:
                await self._dispatch(uow, item, row_ids, isolated)
            await uow.commit()

    def _record_latency(self, batch: Sequence[tuple[Event, float]]) -> None:
        done = time.perf_counter()
        if self.latencies is not None:
            self.latencies.extend(done - started for _, started in batch)
        for observe in self.observers:
            for event, started in batch:
                observe(event, done - started)

    async def _prepare(self, uow: UnitOfWork, event: Event) -> _Prepared | Event | None:
        if isinstance(event, IncomingMessage):
            return await self._prepare_message(uow, event)
        return event

    async def _dispatch(
        self, uow: UnitOfWork, item: _Prepared | Event | None, row_ids: dict[str, int], isolated: bool
    ) -> None:
        if isinstance(item, _Prepared):
            row_id = row_ids.pop(item.message.message_id, None)  # pop: a repeat in the batch runs once
            if row_id is None:
                _LOGGER.info("message %s was already processed; ignoring the repeat", item.message.message_id)
            elif item.route is not None:
                ctx = Context(self._services, uow, item.message, item.sender, item.community, row_id, isolated=isolated)
                await dispatch_route(ctx, item.route)
        elif isinstance(item, MemberJoined | MemberLeft):
            await self._process_membership(uow, item, isolated)

    async def _prepare_message(
        self, uow: UnitOfWork, message: IncomingMessage, *, failed: bool = False
    ) -> _Prepared | None:
        """The message's sender, room and route; `failed`: only what logging it and apologising need."""
        settings, now = self._services.settings, self._services.clock.now()
        if message.room_id is not None and not settings.serves_room(message.room_id):
            return None
        sender, community = await self._participants(uow, message, now)
        if failed:
            route: Route | None = FailedRoute() if Router.routable(message) else None
            return _Prepared(message, sender, community, route, _row(message, sender, community, None, route, now))
        directory = self._services.directory
        others = {c.id: await directory.ensure_member(uow, c, now) for c in self._other_contacts(message)}
        quoted = message.quote.sender if message.quote else None
        route = self._route(message, await self._open_conversation(uow, message, sender))
        params = _row(message, sender, community, others[quoted.id] if quoted else None, route, now)
        return _Prepared(message, sender, community, route, params)

    async def _participants(
        self, uow: UnitOfWork, message: IncomingMessage, now: datetime
    ) -> tuple[MemberRef, CommunityRef | None]:
        directory = self._services.directory
        sender = self._with_room_status(await directory.ensure_member(uow, message.sender, now), message)
        if message.room_id is None:
            return sender, None
        community = await directory.ensure_community(uow, message.room_id, message.room_name, now)
        await directory.ensure_membership(uow, community, sender, now)
        return sender, community

    def _route(self, message: IncomingMessage, active: Active | None) -> Route | None:
        """A matcher (or anything else in routing) that raises costs the message its route, not its row."""
        try:
            return self._services.router.route(message, active)
        except Exception:
            _LOGGER.exception("routing message %s failed; its sender gets the apology", message.message_id)
            return FailedRoute()

    async def _open_conversation(self, uow: UnitOfWork, message: IncomingMessage, sender: MemberRef) -> Active | None:
        store = self._services.conversations
        if not message.is_direct or not store.may_have(sender.id):
            return None  # the common case costs no query
        return await store.get(uow.conn, sender.id)

    def _with_room_status(self, sender: MemberRef, message: IncomingMessage) -> MemberRef:
        """Room owners and admins may act as moderators in their room, if the config says so."""
        rules = self._services.settings.permissions
        status = message.sender_room_status
        if (status is RoomStatus.OWNER and rules.room_owners_are_moderators) or (
            status in (RoomStatus.OWNER, RoomStatus.ADMIN) and rules.room_admins_are_moderators
        ):
            return replace(sender, role=max(sender.role, Role.MODERATOR))
        return sender

    @staticmethod
    def _other_contacts(message: IncomingMessage) -> list[Contact]:
        contacts = list(message.mentions)
        if message.quote is not None and message.quote.sender is not None:
            contacts.append(message.quote.sender)
        return contacts

    @staticmethod
    async def _record(uow: UnitOfWork, prepared: list[_Prepared]) -> dict[str, int]:
        """Log the batch's messages once each; returns the row ids of those not seen before."""
        if not prepared:
            return {}
        params = {f"{key}_{i}": value for i, item in enumerate(prepared) for key, value in item.params.items()}
        rows = await uow.conn.execute(record_statement(len(prepared)), params)
        return {row.platform_msg_id: row.id for row in rows}

    async def _process_membership(self, uow: UnitOfWork, event: MemberJoined | MemberLeft, isolated: bool) -> None:
        settings, now = self._services.settings, self._services.clock.now()
        if not settings.serves_room(event.room_id):
            return
        directory = self._services.directory
        member = await directory.ensure_member(uow, event.member, now)
        community = await directory.ensure_community(uow, event.room_id, event.room_name, now)
        if isinstance(event, MemberJoined):
            await directory.record_join(uow, community, member, now)
        else:
            await directory.record_leave(uow, community, member, now)
        await dispatch_event(Context(self._services, uow, event, member, community, isolated=isolated), event)
        if isinstance(event, MemberLeft):  # after the handlers: they may look at what was waiting
            await self._withdraw_addressed(uow, community, member)

    @staticmethod
    async def _withdraw_addressed(uow: UnitOfWork, community: CommunityRef, member: MemberRef) -> None:
        """The held posts meant for a member alone (a welcome) go with the leave, in its transaction."""
        withdrawn = await withdraw_addressed(uow.conn, community.platform_id, member.platform_id)
        if withdrawn:
            _LOGGER.info(
                "%s left %s: %d post(s) meant for them dropped", member.platform_id, community.platform_id, withdrawn
            )


def _row(
    message: IncomingMessage,
    sender: MemberRef,
    community: CommunityRef | None,
    quote_member: MemberRef | None,
    route: Route | None,
    now: datetime,
) -> dict[str, object]:
    """The message's `messages` row, as `record_statement` binds it."""
    return {
        "platform_msg_id": message.message_id,
        "community_id": community.id if community else None,
        "member_id": sender.id,
        "kind": message.kind.value,
        "text": message.text,
        "mentions": [c.id for c in message.mentions],
        "quote_msg_id": message.quote.message_id if message.quote else None,
        "quote_member_id": quote_member.id if quote_member else None,
        "routed_to": route.name if route else None,
        "received_at": now,
    }
