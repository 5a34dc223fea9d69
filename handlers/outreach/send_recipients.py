"""Who an outreach run reaches and what each of them reads: the segment now, each member's own values
(read in bulk), the template rendered in the sandbox. The heavy part of a send, off the event loop."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.errors import UserFacingError
from bot.heavy.spec import Work
from bot.sandbox.engine import RenderRequest, render_request
from bot.sandbox.limits import Limits
from handlers.outreach.config import OutreachSection
from handlers.outreach.custom_templates import find_custom_template, sandbox
from handlers.outreach.member_values import among, member_values, status_namer
from handlers.outreach.sandbox import VOCABULARY, member_fields
from handlers.outreach.segment_query import segment_query
from handlers.outreach.segments import find_segment
from handlers.outreach.template_context import documented_context


@dataclass(frozen=True, slots=True)
class Recipient:
    member_id: int
    platform_id: str
    name: str
    locale: str | None
    text: str | None  # None: the template failed for them (why is in `failure`)
    failure: str = ""
    inside: bool = True  # still in one of the bot's rooms


async def recipients_of(work: Work, segment: str, template: str, limit: int | None = None) -> list[Recipient]:
    """The segment's members now, each with the template rendered with their own values (read in
    bulk: a few queries for all of them, only for the member fields the template uses)."""
    conn = work.db
    expression = await find_segment(conn, segment)
    rows = list((await conn.execute(await segment_query(conn, expression, work.now, work.settings))).all())
    found = await find_custom_template(conn, template)
    if found is None:
        raise UserFacingError("outreach/template_unknown", name=template)
    box = sandbox()
    variables = box.check(found.source).variables
    base = await documented_context(
        conn, work.settings, community=None, member=None, now=work.now, uses=[v for v in variables if v != "member"]
    )
    chosen = rows if limit is None else rows[:limit]
    ids = [r.id for r in chosen]
    fields = member_fields(found.source, box.environment) if "member" in variables else frozenset()
    values = await member_values(conn, ids, fields)
    inside = await _inside(conn, ids)
    names, renderer = status_namer(work.renderer), work.renderer
    limits = Limits(steps=work.settings.section(OutreachSection).template_max_steps)
    out: list[Recipient] = []
    for row in chosen:
        name = row.display_name or row.platform_id
        context = dict(base)
        if "member" in variables:
            context["member"] = values.view(row.id, name, renderer.locale_or_default(row.locale), names)
        rendered = render_request(RenderRequest(found.source, context, VOCABULARY, limits))
        failure = rendered.refused or rendered.failure
        text = None if failure else rendered.text or ""
        reason = str(failure.reason) if failure else ""
        out.append(Recipient(row.id, row.platform_id, name, row.locale, text, reason, row.id in inside))
    return out


async def _inside(conn: AsyncConnection, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    table = schema.memberships
    stmt = select(table.c.member_id).where(among(conn, table.c.member_id, ids), table.c.left_at.is_(None)).distinct()
    return set((await conn.execute(stmt)).scalars())
