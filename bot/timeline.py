"""Due work: things that fall due at a time (outbox retries, expiries, scheduled posts)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class DueSource(Protocol):
    """Anything with work that falls due; the app runs it in time order, in real or travelled time."""

    name: str

    async def next_due(self) -> datetime | None:
        """When this source next has work, or None."""

    async def run_due(self) -> None:
        """Do the work that is due at the clock's now."""
