"""The bot's one source of "now": injected everywhere, fake in tests and the playground."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""

    @property
    def is_real(self) -> bool:
        """True when time passes on its own (production); False when someone moves it."""

    async def sleep(self, seconds: float) -> None:
        """Wait in real time; a fake clock returns at once (time only moves when told)."""


def month_of(when: datetime, zone: tzinfo | str) -> str:
    """The month `when` falls in, in `zone` (or the zone of that name), as "YYYY-MM"."""
    return when.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).strftime("%Y-%m")


class SystemClock:
    is_real = True

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that follows real time until it is set, then moves only when told."""

    def __init__(self, start: datetime | None = None, *, wall: Callable[[], datetime] | None = None) -> None:
        self._now = start.astimezone(UTC) if start else None
        self._wall = wall or _utc_now  # the real time it follows until set (tests pin this too)

    @property
    def is_real(self) -> bool:
        return self._now is None

    def now(self) -> datetime:
        return self._now if self._now is not None else self._wall()

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock.set needs a timezone-aware datetime")
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self.set(self.now() + delta)
        return self.now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def _utc_now() -> datetime:
    return datetime.now(UTC)
