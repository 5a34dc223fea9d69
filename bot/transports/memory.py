"""The in-memory transport for tests: inject events, read what was sent."""

from __future__ import annotations

import itertools

from bot.errors import TransportError
from bot.events import Event, OutgoingMessage
from bot.transports.base import EventSink, PacingLimits, Wake


class InMemoryTransport:
    name = "memory"

    def __init__(self, default_pacing: PacingLimits | None = None, max_text_length: int | None = None) -> None:
        self.default_pacing = default_pacing or PacingLimits()
        self.max_text_length = max_text_length
        self.sent: list[OutgoingMessage] = []
        self.failures_to_simulate = 0  # the next N sends raise, as a flaky platform would
        self.connected = True  # set False to simulate a lost connection
        self._sink: EventSink | None = None
        self._ids = itertools.count(1)

    async def start(self, sink: EventSink, on_connected: Wake) -> None:
        self._sink = sink
        on_connected()

    async def stop(self) -> None:
        self._sink = None

    def inject(self, event: Event) -> None:
        if self._sink is None:
            raise RuntimeError("the transport is not started")
        self._sink(event)

    async def send(self, message: OutgoingMessage) -> str:
        if self.failures_to_simulate:
            self.failures_to_simulate -= 1
            raise TransportError("simulated platform failure")
        self.sent.append(message)
        return f"mem-{next(self._ids)}"

    def take(self) -> list[OutgoingMessage]:
        """Everything sent since the last call."""
        sent, self.sent = self.sent, []
        return sent
