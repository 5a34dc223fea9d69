"""Runs: entering a journey (one run at a time, re-entry as declared), what a member did, ending a run."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import CoreSettings
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import OutboxStatus, Role, Stage
from bot.members import MemberRef
from handlers.feedback.tables import items as feedback_items
from handlers.journeys.config import Goal, Journey, JourneysSection, Reentry, Trigger
from handlers.journeys.tables import EndReason, RunStatus, journey_runs, journey_switches
from handlers.outreach.consent import is_opted_out, opted_out_ids
from handlers.recognition.tables import thanks

_LOGGER = logging.getLogger(__name__)
KEY_PREFIX = "journey:"  # the outbox's dedupe keys of journey steps (an opt-out takes them back)
_WITHDRAWN_AT_ONCE = 200  # runs whose waiting messages one DELETE takes back
_AT_ONCE = 500  # members one statement reads or enters (well under every database's parameter limit)


def step_key(run_id: int, step: int) -> str:
    return f"{KEY_PREFIX}{run_id}:{step}"


def journeys_of(settings: CoreSettings) -> JourneysSection:
    return settings.section(JourneysSection)


async def switches(conn: AsyncConnection) -> dict[str, bool]:
    """The moderators' /journey on|off, by journey."""
    rows = await conn.execute(select(journey_switches.c.name, journey_switches.c.enabled))
    return {name: bool(enabled) for name, enabled in rows.all()}


def is_on(name: str, journey: Journey, switched: dict[str, bool]) -> bool:
    return switched.get(name, journey.enabled)


async def journeys_on(conn: AsyncConnection, settings: CoreSettings, trigger: Trigger) -> dict[str, Journey]:
    """The journeys switched on that `trigger` starts."""
    switched = await switches(conn)
    return {
        name: journey
        for name, journey in journeys_of(settings).root.items()
        if journey.trigger is trigger and is_on(name, journey, switched)
    }


async def enter(ctx: Context, member: MemberRef, trigger: Trigger, *, campaign: str | None = None) -> list[str]:
    """Start, for `member`, each journey switched on that `trigger` starts (for a campaign: of that
    name) which they may enter; returns the names of those started."""
    if member.role > Role.MEMBER or member.id == 0:
        return []  # staff are not guided; nor is nobody
    candidates = await journeys_on(ctx.db, ctx.settings, trigger)
    if campaign is not None:
        candidates = {n: j for n, j in candidates.items() if j.campaign == campaign}
    if not candidates or await is_opted_out(ctx.db, member.id):
        return []
    started = [
        name for name, journey in candidates.items() if await _enter_all(ctx, name, journey, [member.id], trigger)
    ]
    if started:
        ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    return started


async def enter_many(
    ctx: Context, members: Select[tuple[int]], trigger: Trigger, *, campaign: str | None = None
) -> int:
    """`enter` for the members `members` selects (everyone in a campaign's rooms), by the same rules, in
    a few statements per journey however many they are; returns how many runs started."""
    candidates = await journeys_on(ctx.db, ctx.settings, trigger)
    if campaign is not None:
        candidates = {n: j for n, j in candidates.items() if j.campaign == campaign}
    if not candidates:
        return 0  # most campaigns have no journey: nobody is read
    guided = await _guided(ctx, members)
    started = 0
    for name, journey in candidates.items():
        started += await _enter_all(ctx, name, journey, guided, trigger)
    if started:
        ctx.uow.after_commit(ctx.services.signals.notify_schedule_changed)
    return started


async def _guided(ctx: Context, members: Select[tuple[int]]) -> list[int]:
    """Those `members` selects whom a journey guides: members (not staff, whether by the database or the
    config) who have not opted out, in id order."""
    m = schema.members.c
    rows = await ctx.db.execute(
        select(m.id, m.platform_id, m.role)
        .where(m.id.in_(members), m.id != 0)
        .where(m.id.not_in(opted_out_ids()))
        .order_by(m.id)
    )
    config_role = ctx.services.directory.config_role
    return [i for i, platform_id, role in rows if max(Role.parse(role), config_role(platform_id)) == Role.MEMBER]


async def _enter_all(ctx: Context, name: str, journey: Journey, ids: list[int], trigger: Trigger) -> int:
    runs = journey_runs.c
    due = journey.steps[0].due(ctx.now, ctx.zone)
    started = 0
    for start in range(0, len(ids), _AT_ONCE):
        chunk = ids[start : start + _AT_ONCE]
        before: dict[int, set[str]] = {}
        for member_id, status in await ctx.db.execute(
            select(runs.member_id, runs.status).where(runs.journey == name, runs.member_id.in_(chunk))
        ):
            before.setdefault(member_id, set()).add(status)
        entering = [
            i
            for i in chunk
            if RunStatus.ACTIVE.value not in before.get(i, set())
            and not (before.get(i) and journey.reentry is Reentry.NEVER)
        ]
        if not entering:
            continue
        values = [
            {
                "journey": name,
                "member_id": i,
                "status": RunStatus.ACTIVE.value,
                "active_key": f"{name}:{i}",
                "trigger": trigger.value,
                "entered_at": ctx.now,
                "next_step": 0,
                "next_due_at": due,
            }
            for i in entering
        ]
        stmt = insert_for(ctx.db, journey_runs).values(values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["active_key"]).returning(runs.id)
        started += len((await ctx.db.execute(stmt)).all())
    _LOGGER.info("%d members entered journey %s (%s)", started, name, trigger.value)
    return started


async def done_since(conn: AsyncConnection, member_id: int, goal: Goal, since: datetime) -> bool:
    """Whether the member has done `goal` since `since` (promoted: is an active KOC now)."""
    if goal is Goal.PROMOTED:
        stage = select(schema.members.c.stage).where(schema.members.c.id == member_id)
        return (await conn.execute(stage)).scalar_one_or_none() == Stage.ACTIVE.value
    return bool((await conn.execute(select(_did(goal, member_id, since)))).scalar())


def _did(goal: Goal, member_id: int, since: datetime) -> Any:
    if goal is Goal.SPOKE:
        m = schema.messages.c
        return exists().where(m.member_id == member_id, m.community_id.is_not(None), m.received_at >= since)
    if goal is Goal.FEEDBACK:
        f = feedback_items.c
        return exists().where(f.reporter_id == member_id, f.created_at >= since)
    t = thanks.c
    return exists().where(
        t.giver_id == member_id, t.receiver_id.is_not(None), t.receiver_id != member_id, t.created_at >= since
    )


async def goals_met(conn: AsyncConnection, journey: Journey, member_id: int, since: datetime) -> bool:
    """A journey with a goal: the member has done all of it since entering."""
    if not journey.goal:
        return False
    return all([await done_since(conn, member_id, goal, since) for goal in journey.goal])


async def in_no_room(conn: AsyncConnection, member_id: int) -> bool:
    """Whether the member has left every room the bot knows them in (a member never seen in one counts
    as in none only once they left)."""
    m = schema.memberships.c
    rows = (await conn.execute(select(m.left_at).where(m.member_id == member_id))).scalars().all()
    return bool(rows) and all(left is not None for left in rows)


async def active_runs(conn: AsyncConnection, member_id: int) -> list[Any]:
    runs = journey_runs.c
    stmt = select(journey_runs).where(runs.member_id == member_id, runs.status == RunStatus.ACTIVE.value)
    return list((await conn.execute(stmt.order_by(runs.id))).all())


async def end_runs(
    ctx: Context,
    run_ids: Iterable[int],
    reason: EndReason,
    *,
    status: RunStatus = RunStatus.EXITED,
    withdraw: bool = True,
) -> int:
    """End these runs (if still active) and, unless they ran their course (`withdraw` False), take back
    their messages still waiting in the outbox (quiet hours, the contact budget)."""
    ids = sorted(set(run_ids))
    if not ids:
        return 0
    runs = journey_runs.c
    ended = await ctx.db.execute(
        update(journey_runs)
        .where(runs.id.in_(ids), runs.status == RunStatus.ACTIVE.value)
        .values(status=status.value, active_key=None, next_due_at=None, ended_at=ctx.now, end_reason=reason.value)
    )
    outbox = schema.outbox.c
    for start in range(0, len(ids) if withdraw else 0, _WITHDRAWN_AT_ONCE):
        chunk = ids[start : start + _WITHDRAWN_AT_ONCE]
        await ctx.db.execute(
            delete(schema.outbox).where(
                outbox.status == OutboxStatus.PENDING.value,
                or_(*[outbox.dedupe_key.startswith(f"{KEY_PREFIX}{run_id}:") for run_id in chunk]),
            )
        )
    _LOGGER.info("journey runs %s ended: %s", ids, reason.value)
    return int(ended.rowcount or 0)


async def withdraw_waiting(ctx: Context, member: MemberRef) -> None:
    """Every journey message still waiting for `member` in the outbox is taken back."""
    outbox = schema.outbox.c
    await ctx.db.execute(
        delete(schema.outbox).where(
            outbox.contact_platform_id == member.platform_id,
            outbox.status == OutboxStatus.PENDING.value,
            outbox.dedupe_key.startswith(KEY_PREFIX),
        )
    )


async def end_for_goal(ctx: Context, member_id: int, goal: Goal) -> None:
    """The member just did `goal`: each of their runs whose journey's goal is now met ends."""
    section = journeys_of(ctx.settings)
    met = []
    for run in await active_runs(ctx.db, member_id):
        journey = section.get(run.journey)
        if journey is not None and goal in journey.goal and await goals_met(ctx.db, journey, member_id, run.entered_at):
            met.append(run.id)
    await end_runs(ctx, met, EndReason.GOAL)


async def end_all(ctx: Context, member_id: int, reason: EndReason) -> None:
    await end_runs(ctx, [run.id for run in await active_runs(ctx.db, member_id)], reason)


def runs_of_journey(name: str) -> Any:
    return and_(journey_runs.c.journey == name, journey_runs.c.status == RunStatus.ACTIVE.value)
