"""What became of an outreach send: /outreach show ID and `kocbot export outreach ID`."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation, parse_id
from bot.context import Context
from bot.db import schema
from bot.db.schema import OutboxStatus
from bot.delivery import DeliveryPolicy
from bot.errors import UsageError, UserFacingError
from bot.registry import ExportRequest
from bot.tables import Table, local_time, words_from, written
from bot.templates import TemplateRenderer
from handlers.outreach.send_schedule import next_runs, zone_of
from handlers.outreach.tables import consent, outreach_recipients, outreach_sends


async def _rows(conn: AsyncConnection, send_id: int) -> list[Any]:
    """Each recipient with their outbox row's state (none once withdrawn) and whether they opted out."""
    r, o, m = outreach_recipients, schema.outbox, schema.members
    stmt = (
        select(
            m.c.platform_id,
            m.c.display_name,
            r.c.run,
            r.c.outcome,
            r.c.at,
            o.c.status,
            o.c.created_at,
            o.c.not_before,
            o.c.sent_at,
            consent.c.opted_out,
        )
        .select_from(
            r.join(m, m.c.id == r.c.member_id)
            .outerjoin(o, and_(o.c.dedupe_key == r.c.outbox_key))
            .outerjoin(consent, consent.c.member_id == r.c.member_id)
        )
        .where(r.c.send_id == send_id)
        .order_by(r.c.member_id)
    )
    return list((await conn.execute(stmt)).all())


def state_of(row: Any, now: datetime, policy: DeliveryPolicy | None) -> str:
    """sent, waiting, held_quiet, held_budget, failed, opted_out or left."""
    if row.outcome != "queued":
        return str(row.outcome)
    if row.status is None:
        return "opted_out" if row.opted_out else "withdrawn"
    if row.status == OutboxStatus.SENT.value:
        return "sent"
    if row.status == OutboxStatus.FAILED.value:
        return "failed"
    if row.not_before <= row.created_at or row.not_before <= now:
        return "waiting"
    quiet = policy.quiet.release(row.created_at, policy.private_tz) if policy and policy.quiet else None
    return "held_quiet" if quiet == row.not_before else "held_budget"


async def show(ctx: Context, cmd: Invocation) -> None:
    """/outreach show ID: when it runs, and for each run: targeted, sent, held (quiet hours, budget),
    skipped (opted out, left), failed."""
    send_id = parse_id(cmd.args[0] if cmd.args else None)
    if send_id is None:
        raise UsageError("outreach/send_problem", reason="id")
    send = (await ctx.db.execute(select(outreach_sends).where(outreach_sends.c.id == send_id))).first()
    if send is None:
        raise UserFacingError("outreach/send_unknown", id=send_id)
    policy = ctx.uow.database.policy
    by_run: dict[int, Counter[str]] = {}
    started: dict[int, datetime] = {}
    for row in await _rows(ctx.db, send_id):
        by_run.setdefault(row.run, Counter())[state_of(row, ctx.now, policy)] += 1
        started.setdefault(row.run, row.at)
    zone = zone_of(ctx)
    runs = [
        {"run": n, "at": started[n].astimezone(zone), "targeted": sum(c.values()), "states": dict(c)}
        for n, c in sorted(by_run.items())
    ]
    await ctx.reply(
        "outreach/send_show",
        id=send_id,
        segment=send.segment,
        template=send.template,
        status=send.status,
        targeted=send.targeted,
        states=dict(by_run.get(1, Counter())) if len(runs) <= 1 else {},
        runs=runs,
        cron=send.cron,
        at=send.run_at.astimezone(zone) if send.run_at and send.run_at > send.created_at else None,
        next=await next_runs(ctx, send),
        waiting=send.waiting_run,
        timezone=zone.key,
    )


COLUMNS = ("member", "name", "state", "queued_at", "not_before", "sent_at")
STATES = ("sent", "waiting", "held", "failed", "opted_out", "left", "withdrawn")  # as the export tells them


async def export_outreach(conn: AsyncConnection, request: ExportRequest) -> str | bytes:
    """One row per member of the send: who, what became of their message, when (the community's time);
    CSV with a BOM or .xlsx, as every table export (bot.tables)."""
    send_id = parse_id(request.argument)
    if send_id is None:
        raise ValueError("give the send's number: kocbot export outreach ID")
    if (await conn.execute(select(outreach_sends.c.id).where(outreach_sends.c.id == send_id))).first() is None:
        raise ValueError(f"there is no outreach send #{send_id}")
    zone = ZoneInfo(request.timezone)
    rows = [
        (
            row.platform_id,
            row.display_name,
            state_of(row, row.sent_at or row.at, None).replace("held_quiet", "held").replace("held_budget", "held"),
            local_time(row.at, zone),
            local_time(row.not_before, zone),
            local_time(row.sent_at, zone),
        )
        for row in await _rows(conn, send_id)
    ]
    renderer = request.renderer or TemplateRenderer()
    states = renderer.labels("outreach/send_macros", "state_label", request.locale, STATES)
    words = words_from(renderer, "outreach/send_columns", request.locale, len(COLUMNS), {"state": states})
    return written(Table(COLUMNS, rows, "outreach"), request.format, words=words)
