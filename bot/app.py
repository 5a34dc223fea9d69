"""The running bot: a transport, the pipeline, the outbox sender and the due work, in one loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.context import Services
from bot.pipeline import Pipeline
from bot.sender import OutboxSender
from bot.timeline import DueSource
from bot.transports.base import Transport

_LOGGER = logging.getLogger(__name__)
MAX_IDLE_SECONDS = 30.0
MAX_DRAIN_ROUNDS = 10_000
INCOMING_FIRST_SECONDS = 0.05


class App:
    def __init__(self, engine: AsyncEngine, services: Services, transport: Transport,
                 pipeline: Pipeline, sender: OutboxSender, due_sources: Sequence[DueSource] = ()) -> None:
        self.engine = engine
        self.services = services
        self.transport = transport
        self.pipeline = pipeline
        self.sender = sender
        self.due_sources = list(due_sources)
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def clock(self):  # noqa: ANN201 - the injected Clock
        return self.services.clock

    def wake(self) -> None:
        """New outbox rows were committed: let the sender look now rather than later."""
        self._wake.set()

    async def start(self) -> None:
        await self.services.conversations.load(self.engine)
        recovered = await self.sender.recover()
        if recovered:
            _LOGGER.warning("%d messages were being sent when the bot stopped; they will be sent again",
                            recovered)
        await self.transport.start(self.pipeline.submit, self.wake)

    async def close(self) -> None:
        await self.transport.stop()
        await self.engine.dispose()

    # Driven mode (tests, the console playground): explicit draining, travelled time.

    async def drain(self) -> None:
        """Process every submitted event, run due work and send everything that is due now."""
        for _ in range(MAX_DRAIN_ROUNDS):
            await self.pipeline.drain()
            await self._run_due_sources()
            sent = await self.sender.send_due()
            if not sent and not self.pipeline.pending:
                return
        raise RuntimeError("drain did not settle: something keeps producing work")

    async def next_due(self) -> datetime | None:
        times = [await source.next_due() for source in self.due_sources]
        times.append(await self.sender.next_due())
        present = [t for t in times if t is not None]
        return min(present) if present else None

    async def advance_to(self, when: datetime) -> None:
        """Move a fake clock to `when`, doing everything that falls due on the way, in time order."""
        clock = self.clock
        if not isinstance(clock, FakeClock):
            raise TypeError("only a FakeClock can travel in time")
        await self.drain()
        for _ in range(MAX_DRAIN_ROUNDS):
            due = await self.next_due()
            if due is None or due > when:
                break
            clock.set(max(due, clock.now()))
            await self.drain()
        clock.set(max(when, clock.now()))
        await self.drain()

    async def _run_due_sources(self) -> None:
        now = self.clock.now()
        for source in self.due_sources:
            due = await source.next_due()
            if due is not None and due <= now:
                await source.run_due()

    # Real-time mode (production): background loops until stopped.

    async def run_forever(self) -> None:
        """Run until `stop()`: what was received is processed, and no database call is cut off."""
        await self.start()
        await asyncio.gather(self.pipeline.run(), self._due_loop())

    def stop(self) -> None:
        self._stopping = True
        self.pipeline.stop()
        self._wake.set()

    async def _due_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self._let_incoming_go_first()
                await self._run_due_sources()
                await self.sender.send_due()
                # Woken meanwhile: go round again at once rather than ask when work falls due.
                timeout = 0.0 if self._wake.is_set() else await self._idle_seconds()
            except Exception:
                _LOGGER.exception("the due-work loop failed; trying again shortly")
                timeout = 1.0
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    async def _let_incoming_go_first(self) -> None:
        """In a burst, incoming messages and outgoing replies compete for the database;
        let the pipeline absorb the burst first, but never hold replies back for long."""
        try:
            await asyncio.wait_for(self.pipeline.idle.wait(), INCOMING_FIRST_SECONDS)
        except TimeoutError:
            pass

    async def _idle_seconds(self) -> float:
        due = await self.next_due()
        if due is None:
            return MAX_IDLE_SECONDS
        return min(MAX_IDLE_SECONDS, max(0.01, (due - self.clock.now()).total_seconds()))
