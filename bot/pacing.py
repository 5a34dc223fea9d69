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
    every `room_interval_seconds` (plus jitter); for the account, never more than
    `account_per_minute` in any 60 s.

    Replies draw on the account's bucket of `account_burst` tokens, one back every
    60/`account_per_minute` seconds (give or take the jitter): a few at once, then spread.
    Everything else (transactional and unsolicited messages) waits for its slot in an even spread
    of `account_per_minute - reply_reserve` a minute, and never takes more than that many in any
    60 s: the rest of the ceiling stays free for replies. The later parts of a split message
    follow their first part at once (room budget allowing) and owe their slots, so the spread's
    average holds."""

    def __init__(self, limits: PacingLimits, rng: random.Random | None = None) -> None:
        self.limits = limits
        self._rng = rng or random.Random()
        self._rooms: dict[str, TokenBucket] = {}
        per_minute = limits.account_per_minute
        self.others_per_minute = max(1, per_minute - limits.reply_reserve) if per_minute else 0
        self._replies = TokenBucket(limits.account_burst, self._around(60 / per_minute)) if per_minute else None
        self._spread = TokenBucket(1, self._around(60 / (self.others_per_minute or 1)))
        self._recent: deque[datetime] = deque()  # every send of the last minute
        self._others: deque[datetime] = deque()  # the sends of the last minute that were not replies
        self._waiting: list[datetime] = []  # when each reply that waits for the account may go

    def _around(self, seconds: float) -> Callable[[], float]:
        """`seconds`, give or take the jitter: the average holds, the rhythm is not mechanical."""
        jitter = self.limits.jitter_ratio
        return lambda: seconds * (1 + self._rng.uniform(-jitter, jitter))

    def _room_gap(self) -> float:
        """At least the interval, plus a random extra share: a room's gap is a minimum."""
        return self.limits.room_interval_seconds * (1 + self._rng.uniform(0, self.limits.jitter_ratio))

    def ready_at(self, conversation: str, now: datetime, *, reply: bool = True, continued: bool = False) -> datetime:
        """The first moment from `now` on when a message to `conversation` may go out; `continued`:
        it is a later part of a split message whose earlier parts have gone."""
        times = [now, self.room_ready_at(conversation, now)]
        if self._replies is None:
            return max(times)
        times.append(_window_at(self._recent, self.limits.account_per_minute, now))
        if reply:
            times.append(self._replies.ready_at(now))
        else:
            times.append(_window_at(self._others, self.others_per_minute, now))
            times.append(now if continued else self._spread.ready_at(now))
            times.append(self._reply_first(now))
        return max(times)

    def _reply_first(self, now: datetime) -> datetime:
        """`now`, unless a send now would leave no room under the ceiling for the replies that wait
        for the account: then when the first of them may go (the others are looked at again then)."""
        ceiling = self.limits.account_per_minute
        for earlier, until in enumerate(self._waiting):
            in_window = sum(1 for sent in self._recent if sent > until - WINDOW) + (now > until - WINDOW)
            if in_window + earlier >= ceiling:
                return self._waiting[0]
        return now

    def room_ready_at(self, conversation: str, now: datetime) -> datetime:
        room = self._rooms.get(conversation)
        return now if room is None else room.ready_at(now)

    def hold_for_replies(self, ready: list[datetime], now: datetime) -> None:
        """Replies due now wait for the account (not their rooms) until these moments: nothing else
        may take a slot under the ceiling that they will need, so bulk fills only what replies leave."""
        self._waiting = sorted(at for at in ready if at > now)

    def record(self, conversation: str, when: datetime, *, reply: bool = True) -> None:
        """A message to `conversation` goes out at `when`: it takes its tokens."""
        if self.limits.room_interval_seconds:
            self._room(conversation, when).take(when)
        if self._replies is None:
            return
        _sent(self._recent, when)
        if reply:
            self._replies.take(when)
        else:
            self._spread.take(when)
            _sent(self._others, when)

    def _room(self, conversation: str, now: datetime) -> TokenBucket:
        found = self._rooms.get(conversation)
        if found is None:
            if len(self._rooms) > 1000:  # forget the rooms whose bucket is full again: as good as new
                self._rooms = {k: v for k, v in self._rooms.items() if not v.full(now)}
            found = self._rooms[conversation] = TokenBucket(self.limits.room_burst, self._room_gap)
        return found


def _window_at(sent: deque[datetime], ceiling: int, now: datetime) -> datetime:
    """When fewer than `ceiling` of the `sent` times fall in the minute before: `now`, or later."""
    recent = [at for at in sent if at > now - WINDOW]
    return recent[-ceiling] + WINDOW if len(recent) >= ceiling else now


def _sent(times: deque[datetime], when: datetime) -> None:
    times.append(when)
    while times[0] <= when - WINDOW:
        times.popleft()
