"""The incoming pipeline: record each event once, route it, run its handler, commit in groups."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.context import Context, Services
from bot.db import schema
from bot.db.dialect import insert_for
from bot.dispatch import dispatch_event, dispatch_route
from bot.events import Contact, Event, IncomingMessage, MemberJoined, MemberLeft
from bot.members import CommunityRef, MemberRef
from bot.router import Route
from bot.uow import UnitOfWork

_LOGGER = logging.getLogger(__name__)


class Pipeline:
    """Takes events from a transport and turns each into committed state and outbox rows.

    Events that arrive together are committed together (group commit, up to
    `pipeline.batch_max`), each handler in its own savepoint; nothing is sent
    before the transaction that produced it has committed.
    """

    def __init__(self, engine: AsyncEngine, services: Services, *,
                 on_committed: Callable[[], None] = lambda: None) -> None:
        self._engine = engine
        self._services = services
        self.on_committed = on_committed
        self._queue: asyncio.Queue[tuple[Event, float]] = asyncio.Queue()
        self._batch_max = services.settings.pipeline.batch_max
        self.latencies: list[float] | None = None  # seconds from dequeue to commit, when measuring

    def submit(self, event: Event) -> None:
        """Called by the transport for every platform event; never blocks."""
        self._queue.put_nowait((event, 0.0))

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def run(self) -> None:
        while True:
            first = await self._queue.get()
            await self._process_batch(self._take_batch(first))

    async def drain(self) -> None:
        """Process everything submitted so far (tests, the console, shutdown)."""
        while not self._queue.empty():
            await self._process_batch(self._take_batch(self._queue.get_nowait()))

    def _take_batch(self, first: tuple[Event, float]) -> list[tuple[Event, float]]:
        started = time.perf_counter()
        batch = [(first[0], started)]
        while len(batch) < self._batch_max and not self._queue.empty():
            batch.append((self._queue.get_nowait()[0], started))
        return batch

    async def _process_batch(self, batch: Sequence[tuple[Event, float]]) -> None:
        try:
            async with UnitOfWork(self._engine) as uow:
                for event, _ in batch:
                    await self._process(uow, event)
                await uow.commit()
        except Exception:
            if len(batch) == 1:
                _LOGGER.exception("could not process %r; it is dropped", batch[0][0])
                return
            _LOGGER.warning("a batch of %d events failed; processing them one by one", len(batch), exc_info=True)
            for item in batch:
                await self._process_batch([item])
            return
        self._record_latency(batch)
        self.on_committed()

    def _record_latency(self, batch: Sequence[tuple[Event, float]]) -> None:
        if self.latencies is not None:
            done = time.perf_counter()
            self.latencies.extend(done - started for _, started in batch)

    async def _process(self, uow: UnitOfWork, event: Event) -> None:
        if isinstance(event, IncomingMessage):
            await self._process_message(uow, event)
        elif isinstance(event, MemberJoined | MemberLeft):
            await self._process_membership(uow, event)

    async def _process_message(self, uow: UnitOfWork, message: IncomingMessage) -> None:
        settings, now = self._services.settings, self._services.clock.now()
        if message.room_id is not None and not settings.serves_room(message.room_id):
            return
        directory = self._services.directory
        sender = await directory.ensure_member(uow, message.sender, now)
        community = None
        if message.room_id is not None:
            community = await directory.ensure_community(uow, message.room_id, message.room_name, now)
            await directory.ensure_membership(uow, community, sender, now)
        others = {c.id: await directory.ensure_member(uow, c, now) for c in self._other_contacts(message)}
        quoted = message.quote.sender if message.quote else None
        quote_member = others[quoted.id] if quoted else None
        route = self._services.router.route(message)
        row_id = await self._record(uow, message, sender, community, quote_member, route)
        if row_id is None:
            _LOGGER.info("message %s was already processed; ignoring the repeat", message.message_id)
            return
        if route is not None:
            ctx = Context(self._services, uow, message, sender, community, row_id)
            await dispatch_route(ctx, route)

    @staticmethod
    def _other_contacts(message: IncomingMessage) -> list[Contact]:
        contacts = list(message.mentions)
        if message.quote is not None and message.quote.sender is not None:
            contacts.append(message.quote.sender)
        return contacts

    async def _record(self, uow: UnitOfWork, message: IncomingMessage, sender: MemberRef,
                      community: CommunityRef | None, quote_member: MemberRef | None,
                      route: Route | None) -> int | None:
        """Log the message once: the platform id is unique, so a redelivery inserts nothing."""
        stmt = insert_for(uow.conn, schema.messages).values(
            platform_msg_id=message.message_id,
            community_id=community.id if community else None,
            member_id=sender.id,
            kind=message.kind.value,
            text=message.text,
            mentions=[c.id for c in message.mentions],
            quote_msg_id=message.quote.message_id if message.quote else None,
            quote_member_id=quote_member.id if quote_member else None,
            routed_to=route.name if route else None,
            received_at=self._services.clock.now(),
        ).on_conflict_do_nothing(index_elements=["platform_msg_id"]).returning(schema.messages.c.id)
        return (await uow.conn.execute(stmt)).scalar_one_or_none()

    async def _process_membership(self, uow: UnitOfWork, event: MemberJoined | MemberLeft) -> None:
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
        await dispatch_event(Context(self._services, uow, event, member, community))
