"""Requests for heavy work, answered: computed away from the loop, replied to in a transaction of their own."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.context import Context, Services
from bot.db import schema
from bot.db.schema import HeavyStatus
from bot.errors import UserFacingError
from bot.heavy import requests
from bot.heavy.requests import HeavyRequest
from bot.heavy.runner import HeavyRunner
from bot.heavy.spec import HeavyFailed, HeavySpec, HeavyTimeout
from bot.uow import Database, UnitOfWork

_LOGGER = logging.getLogger(__name__)
ANSWER_TRIES = 6  # with the backoff below, about a minute of a database out of reach; then the next start answers
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 1.0, 30.0


@dataclass(frozen=True, slots=True)
class _Answer:
    """What a request is answered with: the spec's delivery of `value`, or a template of its own."""

    status: HeavyStatus
    template: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    value: Any = None


_FAILED = _Answer(HeavyStatus.FAILED, "core/heavy_failed")
_ABANDONED = _Answer(HeavyStatus.ABANDONED, "core/heavy_abandoned")


class Handoffs:
    """Carries out the requests handlers hand off (`ctx.hand_off`) once the asking message has committed.

    The work runs in the runner's workers on a read connection; no lock is held meanwhile. The reply
    and the request's new status are written together, so a reply is written once, even if the work
    was done twice (a restart resumes what was pending).
    """

    def __init__(
        self,
        database: Database,
        services: Services,
        runner: HeavyRunner,
        *,
        on_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._engine = database.engine
        self._services = services
        self._runner = runner
        self._specs = services.heavy_work
        self._on_committed = on_committed  # new outbox rows: the app wakes its sender

    def start(self, request: HeavyRequest) -> None:
        """Called once the message that asked has committed (and for each request resumed on start)."""
        self._runner.spawn(self._carry_out(request), f"heavy {request.work} #{request.id}")

    async def recover(self) -> None:
        """At start: the requests this process was working on when it stopped are tried again or, tried
        `heavy.resume_attempts` times already, answered with an apology that names what was asked."""
        async with self._engine.connect() as conn:
            waiting = await requests.pending(conn, self._services.settings.bot.account)
        for request in waiting:
            if request.work in self._specs and request.attempts < self._services.settings.heavy.resume_attempts:
                async with self._database.write_transaction() as conn:
                    await requests.count_attempt(conn, request.id)
                _LOGGER.warning("resuming %s #%d, interrupted when the bot stopped", request.work, request.id)
                self.start(replace(request, attempts=request.attempts + 1))
            else:
                _LOGGER.warning("giving up %s #%d after %d tries", request.work, request.id, request.attempts)
                self._runner.spawn(self._answer(request, _ABANDONED), f"heavy {request.work} #{request.id}")

    async def _carry_out(self, request: HeavyRequest) -> None:
        spec = self._specs[request.work]
        acknowledgement = _Acknowledgement(lambda: self._acknowledge(request, spec), self._acknowledge_after(spec))
        started = time.perf_counter()
        try:
            answer = await self._compute(request, spec)
        finally:
            await acknowledgement.settle()
        _LOGGER.info("%s #%d: %s in %.1f s", request.work, request.id, answer.status, time.perf_counter() - started)
        await self._answer(request, answer)

    def _acknowledge_after(self, spec: HeavySpec) -> float | None:
        """Real waiting only: with a driven clock (tests, scripts) transcripts stay exact."""
        seconds = self._services.settings.heavy.acknowledge_after_seconds
        return seconds if seconds and spec.acknowledge and self._services.clock.is_real else None

    async def _compute(self, request: HeavyRequest, spec: HeavySpec) -> _Answer:
        try:
            value = await self._runner.run(
                spec.compute,
                request.params,
                now=request.requested_at,
                in_process=spec.in_process,
                timeout=spec.timeout_seconds,
            )
        except HeavyTimeout as exc:
            _LOGGER.warning("%s #%d was stopped: %s", request.work, request.id, exc)
            return _Answer(HeavyStatus.TIMED_OUT, "core/heavy_timed_out", {"seconds": f"{exc.seconds:g}"})
        except UserFacingError as exc:
            return _Answer(HeavyStatus.REFUSED, exc.template, dict(exc.params))
        except HeavyFailed as exc:
            _LOGGER.error("%s #%d failed (%r):\n%s", request.work, request.id, request.params, exc.detail)
            return _FAILED
        except Exception:  # in the runner itself: still answered
            _LOGGER.exception("%s #%d could not be run (%r)", request.work, request.id, request.params)
            return _FAILED
        return _Answer(HeavyStatus.DONE, value=value)

    async def _answer(self, request: HeavyRequest, answer: _Answer) -> None:
        """Write the answer; a database out of reach is tried again, then left to the next start."""
        delay = RETRY_FIRST_SECONDS
        for _ in range(ANSWER_TRIES):
            try:
                await self._write(request, answer)
                return
            except (OperationalError, InterfaceError):
                _LOGGER.warning("could not answer %s #%d; next try in %.0f s", request.work, request.id, delay)
                await self._services.clock.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
        _LOGGER.error("%s #%d stays pending: the next start answers it", request.work, request.id)

    async def _write(self, request: HeavyRequest, answer: _Answer) -> None:
        async with UnitOfWork(self._database, self._services.clock) as uow:
            if not await requests.finish(uow.conn, request.id, answer.status, self._services.clock.now()):
                return  # answered already (by an earlier try that committed)
            ctx = await self._context(uow, request)
            if ctx is None:  # nobody to answer: recorded as failed, not tried again at every start
                await requests.set_status(uow.conn, request.id, HeavyStatus.FAILED)
                await uow.commit()
                return
            if answer.status is HeavyStatus.ABANDONED:
                answer = replace(answer, params={"asked": await requests.asked(uow.conn, request.message_id)})
            status = await self._say(ctx, request, answer)
            if status is not answer.status:
                await requests.set_status(uow.conn, request.id, status)
            await uow.commit()
        self._on_committed()

    async def _say(self, ctx: Context, request: HeavyRequest, answer: _Answer) -> HeavyStatus:
        spec = self._specs.get(request.work)
        say = ctx.reply if spec is not None and not spec.private else ctx.reply_privately
        if answer.template is not None or spec is None:
            await say(answer.template or "core/heavy_failed", **answer.params)
            return answer.status
        try:
            async with ctx.uow.savepoint():
                await spec.deliver(ctx, answer.value)
        except UserFacingError as exc:
            await say(exc.template, **exc.params)
            return HeavyStatus.REFUSED
        except Exception:
            _LOGGER.exception("writing the answer to %s #%d failed", request.work, request.id)
            await say("core/heavy_failed")
            return HeavyStatus.FAILED
        return answer.status

    async def _context(self, uow: UnitOfWork, request: HeavyRequest) -> Context | None:
        """A context that answers the asking message: its sender, its room, replies not held back."""
        directory, now = self._services.directory, self._services.clock.now()
        actor = await directory.find_member_by_id(uow.conn, request.actor_id)
        if actor is None:  # the key says it cannot be; if it is, there is nobody to answer
            _LOGGER.error("%s #%d: member %d is gone; nobody to answer", request.work, request.id, request.actor_id)
            return None
        community = None
        if request.community_id is not None:
            c = schema.communities
            room = (
                await uow.conn.execute(select(c.c.platform_id, c.c.name).where(c.c.id == request.community_id))
            ).one()
            community = await directory.ensure_community(uow, room.platform_id, room.name, now)
        ctx = Context(self._services, uow, None, actor, community, request.message_id, answering=True)
        spec = self._services.heavy_work.get(request.work)
        ctx.answers_privately = spec is None or spec.private  # staff work answers privately, as its command did
        return ctx

    async def _acknowledge(self, request: HeavyRequest, spec: HeavySpec) -> None:
        """The 'working on it' reply, unless the answer was written meanwhile."""
        try:
            async with UnitOfWork(self._database, self._services.clock) as uow:
                if not await requests.acknowledge(uow.conn, request.id, self._services.clock.now()):
                    return
                ctx = await self._context(uow, request)
                if ctx is None:
                    return
                say = ctx.reply_privately if spec.private else ctx.reply
                await say(spec.acknowledge or "core/heavy_working")
                await uow.commit()
            self._on_committed()
        except Exception:
            _LOGGER.warning("could not say that %s #%d is under way", request.work, request.id, exc_info=True)


class _Acknowledgement:
    """Says the work is under way once it has taken `delay` seconds; not at all when it is done sooner."""

    def __init__(self, say: Callable[[], Awaitable[None]], delay: float | None) -> None:
        self._saying = False
        self._task = asyncio.create_task(self._later(say, delay)) if delay else None

    async def _later(self, say: Callable[[], Awaitable[None]], delay: float) -> None:
        await asyncio.sleep(delay)
        self._saying = True
        await say()

    async def settle(self) -> None:
        """Call it off if it is still waiting; let it finish if it is being written (it comes first)."""
        if self._task is None:
            return
        if not self._saying:
            self._task.cancel()
        await asyncio.wait({self._task})
