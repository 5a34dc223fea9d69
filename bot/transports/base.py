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
    """How fast an account may send (see `bot.pacing.Pacer` for the model)."""

    room_interval_seconds: float = 0.0  # on average at least this long between two messages in a conversation
    account_per_minute: int = 0  # 0: no limit
    jitter_ratio: float = 0.0
    room_burst: int = 1  # messages a conversation may get at once (its bucket of tokens)
    account_burst: int = 1  # replies the account may send at once (its bucket of tokens)
    reply_reserve: int = 0  # of account_per_minute, kept for replies: other messages never use them

    @classmethod
    def resolve(cls, config: OutboxSection, transport_default: PacingLimits) -> PacingLimits:
        """The config's values where set, else the transport's safe defaults."""

        def pick(value: float | None, default: float) -> float:
            return default if value is None else value

        default = transport_default
        return cls(
            room_interval_seconds=pick(config.room_interval_seconds, default.room_interval_seconds),
            account_per_minute=int(pick(config.account_per_minute, default.account_per_minute)),
            jitter_ratio=config.jitter_ratio,
            room_burst=int(pick(config.room_burst, default.room_burst)),
            account_burst=int(pick(config.account_burst, default.account_burst)),
            reply_reserve=int(pick(config.reply_reserve_per_minute, default.reply_reserve)),
        )


class Transport(Protocol):
    """A chat platform as the core sees it. Only the sender calls `send`; handlers never do."""

    name: str
    default_pacing: PacingLimits

    @property
    def max_text_length(self) -> int | None:
        """The platform's longest message; None: no limit (`outbox.max_length` overrides)."""

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
