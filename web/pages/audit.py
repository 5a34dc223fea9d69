"""The audit log: every moderator and admin action, allowed or refused, by moderator, action and date."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.db import schema
from web.auth import Visit
from web.console import console_of, staff
from web.data.common import PAGE_SIZE, day_start, member_names, number


@staff
async def audit_page(request: Request, visit: Visit) -> Response:
    console, query = console_of(request), request.query_params
    a = schema.audit_log.c
    actor, action, page = number(query.get("actor")), query.get("action", "")[:64], number(query.get("page"), 1) or 1
    since, until = day_start(query.get("from"), console.pages.zone), day_start(query.get("to"), console.pages.zone)
    stmt = select(schema.audit_log)
    if actor is not None:
        stmt = stmt.where(a.actor_id == actor)
    if action:
        stmt = stmt.where(a.action == action)
    if since is not None:
        stmt = stmt.where(a.at >= since)
    if until is not None:
        stmt = stmt.where(a.at < until + timedelta(days=1))
    async with console.engine.connect() as conn:
        found = list(
            (await conn.execute(stmt.order_by(a.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE))).all()
        )
        actors = await member_names(conn, (await conn.execute(select(a.actor_id).distinct())).scalars())
        actions = sorted((await conn.execute(select(a.action).distinct())).scalars())
        targets = await member_names(conn, (r.target_id for r in found))
    return console.page(
        visit,
        "audit.html",
        entries=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        page=page,
        actors=actors,
        actions=actions,
        targets=targets,
        actor=actor,
        action=action,
        query=query,
    )


ROUTES = [Route("/audit", audit_page)]
