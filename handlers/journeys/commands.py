"""/journey list|show|on|off (/旅程 列表|查看|开启|关闭): moderators see the journeys and switch them."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select

from bot.commands import Invocation
from bot.context import Context
from bot.db.dialect import insert_for
from bot.errors import UsageError, UserFacingError
from handlers.journeys.config import Journey, JourneyStep
from handlers.journeys.runs import end_runs, is_on, journeys_of, switches
from handlers.journeys.tables import EndReason, RunStatus, journey_runs, journey_steps, journey_switches

_LOGGER = logging.getLogger(__name__)


def _name(ctx: Context, cmd: Invocation) -> tuple[str, Journey]:
    if not cmd.args:
        raise UsageError("journeys/problem_name")
    name = cmd.args[0]
    journey = journeys_of(ctx.settings).get(name)
    if journey is None:
        raise UserFacingError("journeys/unknown", name=name, known=journeys_of(ctx.settings).names)
    return name, journey


async def _active_counts(ctx: Context) -> dict[str, int]:
    runs = journey_runs.c
    stmt = select(runs.journey, func.count()).where(runs.status == RunStatus.ACTIVE.value).group_by(runs.journey)
    return {name: int(n) for name, n in (await ctx.db.execute(stmt)).all()}


async def list_journeys(ctx: Context, cmd: Invocation) -> None:
    """/journey list: every journey, whether it is on, what starts it, how many are on it now."""
    section, switched, active = journeys_of(ctx.settings), await switches(ctx.db), await _active_counts(ctx)
    await ctx.reply(
        "journeys/list",
        journeys=[
            {
                "name": name,
                "on": is_on(name, section.root[name], switched),
                "trigger": section.root[name].trigger.value,
                "campaign": section.root[name].campaign,
                "steps": len(section.root[name].steps),
                "active": active.get(name, 0),
            }
            for name in section.names
        ],
    )


def _step(step: JourneyStep, counts: dict[str, int]) -> dict[str, Any]:
    minutes = int(step.delay.total_seconds() // 60)
    return {
        "days": minutes // 1440,
        "hours": minutes % 1440 // 60,
        "minutes": minutes % 60,
        "at": step.at,
        "template": step.template,
        "skip_if": step.skip_if.value if step.skip_if else None,
        "sent": counts.get("sent", 0),
        "skipped": counts.get("skipped", 0),
        "failed": counts.get("failed", 0),
    }


async def show_journey(ctx: Context, cmd: Invocation) -> None:
    """/journey show NAME: its trigger, goal, re-entry rule and steps, with how each went so far."""
    name, journey = _name(ctx, cmd)
    runs, steps = journey_runs.c, journey_steps.c
    by_step: dict[int, dict[str, int]] = {}
    stmt = (
        select(steps.step, steps.outcome, func.count())
        .select_from(journey_steps.join(journey_runs, runs.id == steps.run_id))
        .where(runs.journey == name)
        .group_by(steps.step, steps.outcome)
    )
    for index, outcome, n in (await ctx.db.execute(stmt)).all():
        by_step.setdefault(index, {})[outcome] = int(n)
    ends = select(runs.status, runs.end_reason, func.count()).where(runs.journey == name)
    counts: dict[str, int] = {}
    for status, reason, n in (await ctx.db.execute(ends.group_by(runs.status, runs.end_reason))).all():
        key = reason if status == RunStatus.EXITED.value else status
        counts[key] = counts.get(key, 0) + int(n)
    await ctx.reply(
        "journeys/show",
        name=name,
        on=is_on(name, journey, await switches(ctx.db)),
        trigger=journey.trigger.value,
        campaign=journey.campaign,
        goal=[g.value for g in journey.goal],
        reentry=journey.reentry.value,
        steps=[_step(step, by_step.get(i, {})) for i, step in enumerate(journey.steps)],
        active=counts.get(RunStatus.ACTIVE.value, 0),
        done=counts.get(RunStatus.DONE.value, 0),
        exited={k: v for k, v in counts.items() if k not in (RunStatus.ACTIVE.value, RunStatus.DONE.value)},
    )


async def switch_on(ctx: Context, cmd: Invocation) -> None:
    """/journey on NAME: members enter it from now on, when its trigger happens."""
    await _switch(ctx, cmd, True)


async def switch_off(ctx: Context, cmd: Invocation) -> None:
    """/journey off NAME: nobody new enters; the runs under way end and their waiting messages are taken back."""
    await _switch(ctx, cmd, False)


async def _switch(ctx: Context, cmd: Invocation, on: bool) -> None:
    name, journey = _name(ctx, cmd)
    before = is_on(name, journey, await switches(ctx.db))
    values = {"enabled": on, "changed_at": ctx.now, "changed_by": ctx.actor.id}
    stmt = insert_for(ctx.db, journey_switches).values(name=name, **values)
    await ctx.db.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))
    ended = 0
    if not on:
        runs = journey_runs.c
        ids = (
            await ctx.db.execute(select(runs.id).where(runs.journey == name, runs.status == RunStatus.ACTIVE.value))
        ).scalars()
        ended = await end_runs(ctx, list(ids), EndReason.SWITCHED_OFF)
    ctx.note_audit(journey=name, on=on, was_on=before, ended=ended)
    _LOGGER.info("journey %s switched %s by %s (%d runs ended)", name, "on" if on else "off", ctx.actor.id, ended)
    await ctx.reply(
        "journeys/switched",
        name=name,
        on=on,
        before=before,
        ended=ended,
        trigger=journey.trigger.value,
        campaign=journey.campaign,
    )
