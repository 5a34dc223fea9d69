"""Due work: each run's next step, when it falls due, written once with its outbox message.

A step is one transaction: the run is read again (still active, still at that step), its goal and
the member's standing checked, then the step's row (key: run and step) and its outbox row (dedupe
key `journey:RUN:STEP`) are written and the run moved on. A crash before the commit repeats the step
whole; after it, nothing: the step is there, and a second writer would find it (and the outbox key).
The outbox holds the message in quiet hours and against the member's contact budget (unsolicited,
routine): what does not fit today waits for the first day that allows it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import func, select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.context import Context, Services
from bot.db.dialect import insert_for
from bot.db.schema import Delivery, OutgoingKind
from bot.members import MemberRef
from bot.outbox import Draft
from bot.uow import Database, UnitOfWork
from handlers.journeys.config import Journey, JourneyStep
from handlers.journeys.runs import (
    done_since,
    end_runs,
    goals_met,
    in_no_room,
    is_on,
    journeys_of,
    step_key,
    switches,
)
from handlers.journeys.tables import EndReason, RunStatus, StepOutcome, journey_runs, journey_steps
from handlers.outreach.config import OutreachSection
from handlers.outreach.consent import hint, is_opted_out
from handlers.outreach.custom_templates import render_custom
from handlers.outreach.sandbox import CustomTemplateError

_LOGGER = logging.getLogger(__name__)
LATE = timedelta(hours=1)  # a step taken later than this after its time (the bot was down) moves the rest
_FAILED = object()  # a moderator's template that could not make this member's message


class JourneySteps:
    name = "journeys"

    def __init__(self, database: Database, services: Services) -> None:
        self._database = database
        self._services = services

    async def next_due(self) -> datetime | None:
        runs = journey_runs.c
        async with self._database.engine.connect() as conn:
            stmt = select(func.min(runs.next_due_at)).where(runs.status == RunStatus.ACTIVE.value)
            due: datetime | None = (await conn.execute(stmt)).scalar()
        return due

    async def run_due(self) -> None:
        now = self._services.clock.now()
        runs = journey_runs.c
        async with self._database.engine.connect() as conn:
            due = (
                await conn.execute(
                    select(runs.id, runs.journey, runs.member_id, runs.next_step)
                    .where(runs.status == RunStatus.ACTIVE.value, runs.next_due_at <= now)
                    .order_by(runs.next_due_at, runs.id)
                )
            ).all()
        for run in due:
            try:
                custom = await self._custom_text(run)
                await self._step(run.id, run.next_step, custom)
            except (OperationalError, InterfaceError):
                raise  # the database is unreachable: the due loop tries again shortly
            except Exception:
                # One run's trouble must not hold up everyone else's steps, nor spin the due loop.
                _LOGGER.exception(
                    "journey run %d: its step %d failed; tried again in %s", run.id, run.next_step + 1, LATE
                )
                await self._postpone(run.id)

    async def _postpone(self, run_id: int) -> None:
        later = self._services.clock.now() + LATE
        async with UnitOfWork(self._database, self._services.clock) as uow:
            await uow.conn.execute(update(journey_runs).where(journey_runs.c.id == run_id).values(next_due_at=later))
            await uow.commit()

    async def _custom_text(self, run: Any) -> str | object | None:
        """A moderator's template, rendered for the member before the step's transaction (in a worker)."""
        journey = journeys_of(self._services.settings).get(run.journey)
        if journey is None or run.next_step >= len(journey.steps) or journey.steps[run.next_step].built_in:
            return None
        step = journey.steps[run.next_step]
        async with self._database.engine.connect() as conn:
            member = await self._services.directory.member_by_id(conn, run.member_id)
            try:
                return await render_custom(
                    conn,
                    step.template,
                    workers=self._services.workers,
                    settings=self._services.settings,
                    community=None,
                    member=member,
                    now=self._services.clock.now(),
                )
            except CustomTemplateError as failure:
                _LOGGER.warning(
                    "journey %s step %d: template %s failed for member %s (%s)",
                    run.journey,
                    run.next_step + 1,
                    step.template,
                    run.member_id,
                    failure.template,
                )
                return _FAILED

    async def _step(self, run_id: int, step_index: int, custom: str | object | None) -> None:
        async with UnitOfWork(self._database, self._services.clock) as uow:
            runs = journey_runs.c
            run = (
                await uow.conn.execute(
                    select(journey_runs).where(
                        runs.id == run_id, runs.status == RunStatus.ACTIVE.value, runs.next_step == step_index
                    )
                )
            ).first()
            if run is None:
                return  # ended meanwhile, or another process took the step
            member = await self._services.directory.member_by_id(uow.conn, run.member_id)
            ctx = Context(self._services, uow, None, member, None)
            await take_step(ctx, run, custom)
            await uow.commit()


async def take_step(ctx: Context, run: Any, custom: str | object | None) -> None:
    """The run's next step, or its end: in the caller's transaction."""
    journey = journeys_of(ctx.settings).get(run.journey)
    reason = await _why_end(ctx, run, journey)
    if reason is not None or journey is None:
        await end_runs(ctx, [run.id], reason or EndReason.REMOVED)
        return
    if run.next_step >= len(journey.steps):
        await end_runs(ctx, [run.id], EndReason.FINISHED, status=RunStatus.DONE, withdraw=False)
        return
    step = journey.steps[run.next_step]
    outcome = await _outcome(ctx, run, step, custom)
    written = await _record_step(ctx, run.id, run.next_step, outcome)
    if written and outcome is StepOutcome.SENT and not await _send(ctx, run, step, custom):
        # Withheld by a private note: the member must not get this journey's messages. The step is not
        # counted as sent, and the run ends rather than go on writing messages nobody receives.
        await _unrecord_sent(ctx, run.id, run.next_step)
        await end_runs(ctx, [run.id], EndReason.WITHHELD)
        return
    await _move_on(ctx, run, journey)


async def _why_end(ctx: Context, run: Any, journey: Journey | None) -> EndReason | None:
    if journey is None:
        return EndReason.REMOVED
    if not is_on(run.journey, journey, await switches(ctx.db)):
        return EndReason.SWITCHED_OFF
    if await is_opted_out(ctx.db, run.member_id):
        return EndReason.OPTED_OUT
    if await in_no_room(ctx.db, run.member_id):
        return EndReason.LEFT
    if await goals_met(ctx.db, journey, run.member_id, run.entered_at):
        return EndReason.GOAL
    return None


async def _outcome(ctx: Context, run: Any, step: JourneyStep, custom: str | object | None) -> StepOutcome:
    if step.skip_if is not None and await done_since(ctx.db, run.member_id, step.skip_if, run.entered_at):
        return StepOutcome.SKIPPED
    if custom is _FAILED or (step.built_in and not _exists(ctx, step.template)):
        return StepOutcome.FAILED
    return StepOutcome.SENT


def _exists(ctx: Context, template: str) -> bool:
    """Whether one of the bot's templates (perhaps reworded in bot.templates_dir) makes a message."""
    try:
        ctx.services.renderer.render(template, ctx.locale, name=ctx.actor.name)
    except TemplateError as problem:
        _LOGGER.warning("journey template %s cannot make a message: %r", template, problem)
        return False
    return True


async def _record_step(ctx: Context, run_id: int, index: int, outcome: StepOutcome) -> bool:
    """The step's row; False when it was written before (the outbox row went with it then)."""
    key = step_key(run_id, index) if outcome is StepOutcome.SENT else None
    values = {"run_id": run_id, "step": index, "outcome": outcome.value, "outbox_key": key, "at": ctx.now}
    stmt = insert_for(ctx.db, journey_steps).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["run_id", "step"]).returning(journey_steps.c.step)
    written = (await ctx.db.execute(stmt)).scalar_one_or_none() is not None
    _LOGGER.info("journey run %d step %d: %s", run_id, index + 1, outcome.value if written else "done before")
    return written


async def _unrecord_sent(ctx: Context, run_id: int, index: int) -> None:
    steps = journey_steps.c
    await ctx.db.execute(
        update(journey_steps)
        .where(steps.run_id == run_id, steps.step == index)
        .values(outcome=StepOutcome.SKIPPED.value, outbox_key=None)
    )


async def _send(ctx: Context, run: Any, step: JourneyStep, custom: str | object | None) -> bool:
    """The step's message: unsolicited and routine (quiet hours, the contact budget), ending with the
    opt-out hint, after any note the core adds to a first private message (the privacy notice). False
    when a note withheld it."""
    member: MemberRef = ctx.actor
    locale = ctx.services.renderer.locale_or_default(member.locale)
    body = custom if isinstance(custom, str) else ctx.render(step.template, locale, name=member.name)
    draft = Draft(
        body,
        "journeys/step",
        locale,
        contact_id=member.platform_id,
        dedupe_key=step_key(run.id, run.next_step),
        delivery=Delivery.ROUTINE,
        kind=OutgoingKind.UNSOLICITED,
    )
    for note in ctx.services.private_notes:
        noted = await note(ctx, draft)
        if noted is None:  # withheld (the member opted out meanwhile: the opt-out ends their runs)
            _LOGGER.info("journey run %d step %d withheld by a private note", run.id, run.next_step + 1)
            return False
        draft = noted
    text = ctx.render(
        "journeys/step", locale, text=draft.text, hint=hint(ctx, ctx.settings.section(OutreachSection), locale)
    )
    ctx.uow.send(replace(draft, text=text))
    return True


async def _move_on(ctx: Context, run: Any, journey: Journey) -> None:
    """On to the next step, at its time; a step taken late (the bot was down) moves the ones after it by
    as much, so that the member never gets two steps closer together than the journey declares."""
    following = run.next_step + 1
    if following >= len(journey.steps):
        await end_runs(ctx, [run.id], EndReason.FINISHED, status=RunStatus.DONE, withdraw=False)
        await ctx.db.execute(update(journey_runs).where(journey_runs.c.id == run.id).values(next_step=following))
        return
    late = ctx.now - journey.steps[run.next_step].due(run.entered_at, ctx.zone)
    since = run.entered_at + late if late > LATE else run.entered_at
    due = journey.steps[following].due(since, ctx.zone)
    await ctx.db.execute(
        update(journey_runs).where(journey_runs.c.id == run.id).values(next_step=following, next_due_at=due)
    )
    if late > LATE:
        _LOGGER.info("journey run %d: step %d was %s late; the next one moves as much", run.id, following, late)


def factory(database: Database, services: Services) -> JourneySteps:
    return JourneySteps(database, services)
