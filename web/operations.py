"""GET /healthz and GET /metrics: for the operator's monitoring, not for people."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.db import schema
from bot.db.schema import OutboxStatus, aware_utc
from bot.lanes import LaneDepth, depths
from bot.scheduling.scheduler import Scheduler
from web.console import Console, console_of
from web.pages.overview import outbox_counts


def _scheduler(console: Console) -> Scheduler | None:
    bot = console.bot
    return None if bot is None else next((s for s in bot.due_sources if isinstance(s, Scheduler)), None)


async def _oldest_pending(console: Console, now: datetime) -> float | None:
    o = schema.outbox.c
    stmt = select(func.min(o.not_before)).where(o.status == OutboxStatus.PENDING.value, o.not_before <= now)
    async with console.engine.connect() as conn:
        oldest = (await conn.execute(stmt)).scalar_one_or_none()
    if oldest is None:
        return 0.0
    return max(0.0, (now - aware_utc(oldest)).total_seconds())


async def healthz(request: Request) -> Response:
    """200 while the database answers and the transport (if this process has one) is connected; else 503."""
    console = console_of(request)
    now = console.services.clock.now()
    report: dict[str, Any] = {}
    try:
        report["outbox_oldest_pending_seconds"] = await _oldest_pending(console, now)
        report["database"] = "ok"
    except (SQLAlchemyError, OSError):
        report["database"] = "unreachable"
    bot = console.bot
    report["transport"] = "not in this process" if bot is None else _connected(bot.transport.connected)
    scheduler = _scheduler(console)
    report["scheduler"] = "not in this process" if scheduler is None else ("leader" if scheduler.leading else "standby")
    healthy = report["database"] == "ok" and report["transport"] != "disconnected"
    report["status"] = "ok" if healthy else "failing"
    return JSONResponse(report, status_code=200 if healthy else 503)


def _waited(lane: LaneDepth, now: datetime) -> float:
    """Seconds the lane's oldest due message has waited since it could go (0 when the lane is empty)."""
    if lane.oldest is None:
        return 0.0
    return max(0.0, (now - aware_utc(lane.oldest.not_before)).total_seconds())


def _connected(connected: bool) -> str:
    return "connected" if connected else "disconnected"


async def metrics(request: Request) -> Response:
    """Prometheus text format; with `web.metrics_token` set, only for `Authorization: Bearer TOKEN`."""
    console = console_of(request)
    token = console.section.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return PlainTextResponse("a bearer token is needed", status_code=401)
    bot = console.bot
    if bot is None or bot.metrics is None:
        return PlainTextResponse("# no bot runs in this process (kocbot web): its metrics are served by kocbot run\n")
    figures = bot.metrics
    now = console.services.clock.now()
    async with console.engine.connect() as conn:
        for state, count in (await outbox_counts(conn, now)).items():
            figures.outbox.labels(state).set(count)
        for lane in await depths(conn, now):
            figures.lane_depth.labels(lane.kind.value).set(lane.waiting)
            figures.lane_oldest.labels(lane.kind.value).set(_waited(lane, now))
        next_run = (await conn.execute(select(func.min(schema.scheduler_jobs.c.next_run_time)))).scalar_one_or_none()
    figures.scheduler_lag.set(max(0.0, now.timestamp() - next_run) if next_run is not None else 0.0)
    figures.connected.set(1 if bot.transport.connected else 0)
    return Response(generate_latest(figures.registry), media_type=CONTENT_TYPE_LATEST)
