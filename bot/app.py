"""The running bot: a transport, the pipeline, the outbox sender and the due work, in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock, FakeClock
from bot.context import Services
from bot.db.commits import commits
from bot.heavy.handoffs import Handoffs
from bot.heavy.runner import HeavyRunner
from bot.member_changes import MemberChangeListener
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.sender import OutboxSender
from bot.timeline import DueSource
from bot.transports.base import Transport
from bot.uow import Database

if TYPE_CHECKING:
    from bot.registry import StartHook

_LOGGER = logging.getLogger(__name__)
MAX_IDLE_SECONDS = 30.0
MAX_DRAIN_ROUNDS = 10_000
INCOMING_FIRST_SECONDS = 0.05
FOLLOW_UP_GRACE_SECONDS = 5.0  # closing: how long renders under way may still take
FOLLOW_UP_WRITE_SECONDS = 30.0  # then, with the workers stopped, for the follow-ups to write what they have


class Wakeup:
    """Rung when new outbox rows were committed (or due work changed): the app's loop looks now rather than
    later. Made first by the composition root and given to whatever commits, then to the app."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def ring(self) -> None:
        self.event.set()


class App:
    def __init__(
        self,
        database: Database,
        services: Services,
        transport: Transport,
        pipeline: Pipeline,
        sender: OutboxSender,
        due_sources: Sequence[DueSource] = (),
        *,
        member_changes: MemberChangeListener | None = None,
        start_hooks: Sequence[StartHook] = (),
        runner: HeavyRunner,
        handoffs: Handoffs,
        metrics: Metrics | None = None,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.database = database
        self.engine = database.engine
        self.services = services
        self.transport = transport
        self.pipeline = pipeline
        self.sender = sender
        self.due_sources = list(due_sources)
        self.member_changes = member_changes  # PostgreSQL: other processes' changes to members
        self.start_hooks = list(start_hooks)
        self.metrics = metrics  # what GET /metrics of the web console reports
        self._started: list[asyncio.Task[None]] = []
        self.runner = runner  # heavy work, away from this loop
        self.handoffs = handoffs
        self._wake = (wakeup or Wakeup()).event
        self._stop_requested = asyncio.Event()
        self._stopping = False
        self._sources_changed = False
        # Driven mode: each due source's last answer, and what had happened when it was given (see _due_of).
        self._due_known: dict[int, tuple[tuple[int, int], datetime | None]] = {}

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def wake(self) -> None:
        """New outbox rows were committed: let the sender look now rather than later."""
        self._wake.set()

    def wake_due_work(self) -> None:
        """Scheduled work changed (a job added or cancelled): ask the due sources again now."""
        self._sources_changed = True
        self._due_known.clear()
        self._wake.set()

    async def start(self) -> None:
        if self.member_changes is not None:
            await self.member_changes.start()
        await self.services.conversations.load(self.engine)
        recovered = await self.sender.recover()
        if recovered:
            _LOGGER.warning(
                "%d messages were claimed but not confirmed sent when the bot stopped; they go out "
                "again (at most the one in flight may have reached the platform already)",
                recovered,
            )
        self._started = [asyncio.create_task(self._start_hook(hook)) for hook in self.start_hooks]
        await self.handoffs.recover()
        await self.transport.start(self.pipeline.submit, self.wake)

    async def start_work_done(self) -> None:
        """Wait for the capabilities' start-up work (tests, benchmarks); the bot never needs to."""
        await asyncio.gather(*self._started, return_exceptions=True)

    async def _start_hook(self, hook: StartHook) -> None:
        try:
            await hook(self.engine, self.services)
        except Exception:  # the capability works without it, only slower at first
            _LOGGER.exception("start-up work %s failed", getattr(hook, "__qualname__", hook))

    async def close(self) -> None:
        await self.runner.close()  # unanswered requests stay recorded: the next start resumes them
        await self.transport.stop()
        for task in self._started:  # before the engine goes: they may be reading
            task.cancel()
        await asyncio.gather(*self._started, return_exceptions=True)
        # Renders under way may finish; then the workers stop, and what was still rendering answers
        # with its fallback (or its failure) before the engine goes.
        await self.services.followups.settle(FOLLOW_UP_GRACE_SECONDS)
        await self.services.workers.close()
        await self.services.followups.close(FOLLOW_UP_WRITE_SECONDS)
        for source in self.due_sources:
            close = getattr(source, "close", None)
            if close is not None:  # e.g. the scheduler: its lock and its job store's connections
                try:
                    await close()
                except Exception:
                    _LOGGER.exception("closing %s failed", source.name)
        if self.member_changes is not None:
            await self.member_changes.close()
        await self.database.dispose()

    # Driven mode (tests, the console playground): explicit draining, travelled time.

    async def drain(self) -> None:
        """Process every submitted event, run due work, wait for heavy work and its answers, and send
        everything that is due now. Events submitted while heavy work runs are processed meanwhile."""
        for _ in range(MAX_DRAIN_ROUNDS):
            await self.pipeline.drain()
            await self._run_due_sources()
            await self.services.followups.drain()
            sent = await self.sender.send_due()
            if self.runner.busy and not self.pipeline.pending:
                await self._heavy_or_incoming()
            elif not sent and not self.pipeline.pending:
                return
        raise RuntimeError("drain did not settle: something keeps producing work")

    async def _heavy_or_incoming(self) -> None:
        """Until a piece of heavy work has been answered, or an event arrives to process meanwhile."""
        waits = {
            asyncio.ensure_future(self.runner.wait_any()),
            asyncio.ensure_future(self.pipeline.arrival.wait()),
        }
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def next_due(self) -> datetime | None:
        times = [await self._due_of(source) for source in self.due_sources]
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

    async def start_at(self, when: datetime) -> None:
        """Set a fake clock to `when`, earlier or later, where nothing has happened yet: due work
        is counted from there (no run is missed or skipped for the time jumped over)."""
        clock = self.clock
        if not isinstance(clock, FakeClock):
            raise TypeError("only a FakeClock can be set")
        clock.set(when)
        self._due_known.clear()
        for source in self.due_sources:
            rebase = getattr(source, "rebase", None)
            if rebase is not None:  # e.g. the scheduler: built-in jobs seeded at the real time
                await rebase(when)
        await self.drain()

    async def _run_due_sources(self) -> None:
        for source in self.due_sources:
            due = await self._due_of(source)
            # "now" after asking: a source due at once answers with its own now, a moment later than ours.
            if due is not None and due <= self.clock.now():
                self._due_known.pop(id(source), None)  # its run changes its answer, whatever it commits
                await source.run_due()

    async def _due_of(self, source: DueSource) -> datetime | None:
        """`source.next_due()`. With a set fake clock (tests, the playground), asked after every round of
        draining, the last answer stands while nothing has changed since: no commit in this process
        (bot.db.commits), no background work finished, and the source has not run. Real time asks
        every time: other processes may have changed the database."""
        if self.clock.is_real:
            return await source.next_due()
        happened = (commits(), self.runner.finished)  # before asking: a change while it asks is not missed
        known = self._due_known.get(id(source))
        if known is not None and known[0] == happened:
            return known[1]
        due = await source.next_due()
        self._due_known[id(source)] = (happened, due)
        return due

    # Real-time mode (production): background loops until stopped.

    async def run_forever(self) -> None:
        """Run until `stop()`, then stop in order: sending (nothing left in flight), intake
        (no new events), then the pipeline once it has processed what was received. No
        database call is cut off; replies not yet sent stay in the outbox for the next start."""
        await self.start()
        pipeline = asyncio.create_task(self.pipeline.run(), name="pipeline")
        due = asyncio.create_task(self._due_loop(), name="due-work")
        stop = asyncio.create_task(self._stop_requested.wait())
        await asyncio.wait([pipeline, due, stop], return_when=asyncio.FIRST_COMPLETED)
        self._stopping = True
        self._wake.set()
        await due
        await self.transport.stop()
        self.pipeline.stop()
        await pipeline
        stop.cancel()

    def stop(self) -> None:
        self._stop_requested.set()

    async def _due_loop(self) -> None:
        """Sends whenever woken; looks at the other due work when it falls due, or at the
        latest every MAX_IDLE_SECONDS (work a handler creates is seldom due sooner), so a
        burst of incoming messages does not mean a burst of due-work queries."""
        sources_due = self.clock.now()
        while not self._stopping:
            self._wake.clear()
            try:
                await self._let_incoming_go_first()
                if self.clock.now() >= sources_due or self._sources_changed:
                    self._sources_changed = False
                    await self._run_due_sources()
                    sources_due = await self._sources_due()
                await self.sender.send_due()
                # Woken meanwhile: go round again at once rather than ask when work falls due.
                timeout = 0.0 if self._wake.is_set() else await self._idle_seconds(sources_due)
            except Exception:
                _LOGGER.exception("the due-work loop failed; trying again shortly")
                timeout = 1.0
            await _wait(self._wake, timeout)

    async def _sources_due(self) -> datetime:
        latest = self.clock.now() + timedelta(seconds=MAX_IDLE_SECONDS)
        times = [t for source in self.due_sources if (t := await self._due_of(source)) is not None]
        return min([*times, latest])

    async def _let_incoming_go_first(self) -> None:
        """In a burst, incoming messages and outgoing replies compete for the database;
        let the pipeline absorb the burst first, but never hold replies back for long."""
        await _wait(self.pipeline.idle, INCOMING_FIRST_SECONDS)

    async def _idle_seconds(self, sources_due: datetime) -> float:
        sending = await self.sender.next_due()
        due = min(sources_due, sending) if sending is not None else sources_due
        return min(MAX_IDLE_SECONDS, max(0.01, (due - self.clock.now()).total_seconds()))


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait for `event`, at most `seconds`. (Not `asyncio.wait_for`: on Python 3.11 it can
    swallow a cancellation that arrives just as the event is set.)"""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
