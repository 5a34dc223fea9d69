"""Follow-ups: an event's work that finishes after its transaction, so slow work holds up no one else.

A handler that needs something slow (a moderator's template rendered in a worker process) calls
`ctx.later(work, then)`. Once its transaction has committed, `work()` runs outside any transaction
(the pipeline and every other room carry on meanwhile), then `then(ctx, result)` runs in a
transaction of its own, as the same event's handler: it replies to the same conversation, its
errors are answered the same way, and a command's audit entry is written then, with the outcome.
Follow-ups of one conversation write in the order they were started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.context import Context
from bot.dispatch import run_followup
from bot.uow import UnitOfWork

_LOGGER = logging.getLogger(__name__)
Then = Callable[["Context", Any], Awaitable[None]]
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 1.0, 30.0


@dataclass(frozen=True, slots=True)
class _FollowUp:
    origin: Context
    work: Callable[[], Awaitable[Any]]
    then: Then
    name: str


class FollowUps:
    """The follow-ups under way; the app drains them (driven mode) and waits for them when closing."""

    def __init__(self, on_committed: Callable[[], None] = lambda: None) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._tails: dict[tuple[int | None, int | None], asyncio.Task[None]] = {}
        self._on_committed = on_committed  # the app: new outbox rows to send

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def start(self, origin: Context, work: Callable[[], Awaitable[Any]], then: Then, name: str) -> None:
        """Called once the origin's transaction has committed."""
        key = (origin.community.id if origin.community else None, None if origin.community else origin.actor.id)
        before = self._tails.get(key)
        task = asyncio.create_task(self._run(_FollowUp(origin, work, then, name), before), name=f"follow-up {name}")
        self._tails[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(key, done))

    async def drain(self) -> None:
        """Wait for every follow-up, those they start included."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def settle(self, seconds: float) -> None:
        """Give the follow-ups under way up to `seconds` to finish (closing: then their workers are stopped)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)

    async def close(self, seconds: float) -> None:
        """Closing, once the workers are stopped: what still runs after `seconds` is cancelled, and logged."""
        await self.settle(seconds)
        for task in list(self._tasks):
            _LOGGER.warning("follow-up %s did not finish; cancelled", task.get_name())
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _forget(self, key: tuple[int | None, int | None], task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]

    async def _run(self, follow_up: _FollowUp, before: asyncio.Task[None] | None) -> None:
        try:
            outcome = await _attempt(follow_up.work)
            if before is not None:
                await asyncio.wait([before])  # the conversation's earlier follow-up writes first
            await self._write_until_stored(follow_up, outcome)
        except Exception:
            _LOGGER.exception("follow-up %s of %r could not be written", follow_up.name, follow_up.origin.event)

    async def _write_until_stored(self, follow_up: _FollowUp, outcome: Any) -> None:
        """A database that is down loses nothing: the write waits and is tried again, as the pipeline's batches."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                await self._write(follow_up, outcome)
                return
            except (OperationalError, InterfaceError):
                _LOGGER.exception(
                    "follow-up %s: the database is unreachable; next try in %.0f s", follow_up.name, delay
                )
                await follow_up.origin.services.clock.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _write(self, follow_up: _FollowUp, outcome: Any) -> None:
        origin = follow_up.origin
        async with UnitOfWork(origin.uow.database, origin.services.clock) as uow:
            ctx = Context(origin.services, uow, origin.event, origin.actor, origin.community, origin.message_row_id)
            ctx.audit_record = origin.audit_record
            ctx.answers_privately = origin.answers_privately  # a staff command's answer stays private
            step = _reraise(outcome) if isinstance(outcome, _Failed) else follow_up.then(ctx, outcome)
            await run_followup(ctx, follow_up.name, step)
            await uow.commit()
        self._on_committed()


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


async def _attempt(work: Callable[[], Awaitable[Any]]) -> Any:
    """The work's result, or its exception kept for the follow-up's transaction (answered there)."""
    try:
        return await work()
    except Exception as exc:
        return _Failed(exc)


async def _reraise(failed: _Failed) -> None:
    raise failed.error
