"""The transport interface: platform events in, rendered messages out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.config import OutboxSection
from bot.events import Event, OutgoingMessage

EventSink = Callable[[Event], None]
Wake = Callable[[], None]


@dataclass(frozen=True, slots=True)
class PacingLimits:
    room_interval_seconds: float = 0.0
    account_per_minute: int = 0  # 0: no limit
    jitter_ratio: float = 0.0

    @classmethod
    def resolve(cls, config: OutboxSection, transport_default: PacingLimits) -> PacingLimits:
        """The config's values where set, else the transport's safe defaults."""
        interval = config.room_interval_seconds
        per_minute = config.account_per_minute
        return cls(
            room_interval_seconds=transport_default.room_interval_seconds if interval is None else interval,
            account_per_minute=transport_default.account_per_minute if per_minute is None else per_minute,
            jitter_ratio=config.jitter_ratio,
        )


class Transport(Protocol):
    """A chat platform as the core sees it. Only the sender calls `send`; handlers never do."""

    name: str
    default_pacing: PacingLimits
    max_text_length: int | None  # the platform's longest message; None: no limit (`outbox.max_length` overrides)

    @property
    def connected(self) -> bool:
        """False while the platform is out of reach: the sender then waits instead of trying."""

    async def start(self, sink: EventSink, on_connected: Wake) -> None:
        """Connect and hand every platform event, normalized, to `sink`.

        Call `on_connected` whenever the connection is (re)established, so waiting
        outbox messages go out at once.
        """

    async def stop(self) -> None:
        """Disconnect; undelivered messages stay in the outbox."""

    async def send(self, message: OutgoingMessage) -> str | None:
        """Deliver one message; return the platform's message id. Raise to have it retried."""
