"""Pacing with token buckets: a small burst per conversation, account-level sending spread evenly."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.transports.base import PacingLimits

WINDOW = timedelta(minutes=1)


class TokenBucket:
    """`capacity` tokens; a send takes one, and each comes back `period()` seconds after the one
    before it came back (or after it was taken, when the bucket was full). So at most `capacity`
    go at once, and over time no more than one per period on average.

    Each missing token's return time is drawn once, when it is taken, so asking when the bucket
    is ready never changes it, whatever time is asked about."""

    def __init__(self, capacity: int, period: Callable[[], float]) -> None:
        self.capacity = capacity
        self._period = period
        self._returns: deque[datetime] = deque()  # when each missing token comes back, in order

    def _settle(self, now: datetime) -> None:
        while self._returns and self._returns[0] <= now:
            self._returns.popleft()

    def ready_at(self, now: datetime) -> datetime:
        """When a token is there: `now`, or the moment the one that makes it up comes back."""
        missing = sum(1 for back in self._returns if back > now)
        if missing < self.capacity:
            return now
        return [back for back in self._returns if back > now][missing - self.capacity]

    def take(self, now: datetime) -> None:
        """Take a token at `now`; one taken while none is there is owed (it delays the next)."""
        self._settle(now)
        start = self._returns[-1] if self._returns else now
        self._returns.append(max(start, now) + timedelta(seconds=self._period()))

    def full(self, now: datetime) -> bool:
        self._settle(now)
        return not self._returns


class Pacer:
    """How fast this account may send: per conversation, a bucket of `room_burst` tokens, one back
    every `room_interval_seconds` (plus jitter); for the account, a bucket of `account_burst`
    tokens, one back every 60/`account_per_minute` seconds (give or take the jitter), and never
    more than `account_per_minute` in any 60 s. Messages that are not replies also wait their turn
    in an even spread (one slot each 60/`account_per_minute` s, give or take the jitter), so a
    fan-out never goes out in a clump; only replies may use the bursts."""

    def __init__(self, limits: PacingLimits, rng: random.Random | None = None) -> None:
        self.limits = limits
        self._rng = rng or random.Random()
        self._rooms: dict[str, TokenBucket] = {}
        per_minute = limits.account_per_minute
        self._account = TokenBucket(limits.account_burst, self._around(60 / per_minute)) if per_minute else None
        self._spread = TokenBucket(1, self._around(60 / per_minute)) if per_minute else None
        self._recent: deque[datetime] = deque()  # every send of the last minute

    def _around(self, seconds: float) -> Callable[[], float]:
        """`seconds`, give or take the jitter: the average holds, the rhythm is not mechanical."""
        jitter = self.limits.jitter_ratio
        return lambda: seconds * (1 + self._rng.uniform(-jitter, jitter))

    def _room_gap(self) -> float:
        """At least the interval, plus a random extra share: a room's gap is a minimum."""
        return self.limits.room_interval_seconds * (1 + self._rng.uniform(0, self.limits.jitter_ratio))

    def ready_at(self, conversation: str, now: datetime, *, reply: bool = True) -> datetime:
        """The first moment from `now` on when a message to `conversation` may go out."""
        times = [now]
        room = self._rooms.get(conversation)
        if room is not None:
            times.append(room.ready_at(now))
        if self._account is not None:
            times.append(self._account.ready_at(now))
            times.append(self._ceiling_at(now))
        if self._spread is not None and not reply:
            times.append(self._spread.ready_at(now))
        return max(times)

    def _ceiling_at(self, now: datetime) -> datetime:
        per_minute = self.limits.account_per_minute
        recent = [sent for sent in self._recent if sent > now - WINDOW]
        return recent[-per_minute] + WINDOW if len(recent) >= per_minute else now

    def record(self, conversation: str, when: datetime, *, reply: bool = True) -> None:
        """A message to `conversation` goes out at `when`: it takes its tokens."""
        if self.limits.room_interval_seconds:
            self._room(conversation, when).take(when)
        if self._account is not None:
            self._account.take(when)
            self._recent.append(when)
            while self._recent[0] <= when - WINDOW:
                self._recent.popleft()
        if self._spread is not None and not reply:
            self._spread.take(when)

    def _room(self, conversation: str, now: datetime) -> TokenBucket:
        found = self._rooms.get(conversation)
        if found is None:
            if len(self._rooms) > 1000:  # forget the rooms whose bucket is full again: as good as new
                self._rooms = {k: v for k, v in self._rooms.items() if not v.full(now)}
            found = self._rooms[conversation] = TokenBucket(self.limits.room_burst, self._room_gap)
        return found
