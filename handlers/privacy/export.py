"""/mydata (/我的数据): a copy of everything the bot holds about the member, as a JSON file, once a day."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

from bot.commands import Invocation
from bot.context import Context
from bot.errors import UserFacingError
from bot.events import Image
from bot.heavy.spec import Work
from handlers.privacy.gather import KINDS, collect
from handlers.privacy.notice import policy_section
from handlers.privacy.tables import Kind, Status, requests

WORK = "privacy export"


def _day_start(now: datetime, zone: str) -> datetime:
    local = now.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date(), time(), tzinfo=local.tzinfo)


async def _exports_today(ctx: Context) -> int:
    q = requests.c
    since = _day_start(ctx.now, ctx.settings.bot.timezone)
    stmt = select(func.count()).where(q.member_id == ctx.actor.id, q.kind == Kind.EXPORT.value, q.requested_at >= since)
    return int((await ctx.db.execute(stmt)).scalar_one())


async def my_data(ctx: Context, cmd: Invocation) -> None:
    """/mydata: recorded, then made off the chat (it survives a restart) and sent privately as a file."""
    if await _exports_today(ctx) >= policy_section(ctx).exports_per_day:
        tomorrow = _day_start(ctx.now, ctx.settings.bot.timezone) + timedelta(days=1)
        raise UserFacingError("privacy/export_limit", at=tomorrow)
    values = {"member_id": ctx.actor.id, "kind": Kind.EXPORT.value, "status": Status.PENDING.value, "reason": ""}
    stmt = insert(requests).values(requested_by=ctx.actor.id, requested_at=ctx.now, receipt={}, **values)
    request_id = (await ctx.db.execute(stmt.returning(requests.c.id))).scalar_one()
    await ctx.hand_off(WORK, request=request_id, member=ctx.actor.id)


async def make_export(work: Work) -> dict[str, Any]:
    """The heavy part: read everything about the member on a read-only connection."""
    data = await collect(work.db, int(work.params["member"]))
    counts = {kind: _count(data[kind]) for kind in KINDS if kind not in ("profile", "consent")}
    return {"request": work.params["request"], "made_at": work.now.isoformat(), "counts": counts, "data": data}


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_count(v) for v in value.values())
    return len(value) if isinstance(value, list) else 0


async def send_export(ctx: Context, made: dict[str, Any]) -> None:
    """The readable summary, then the file (a reply to the member's own request)."""
    q = requests.c
    await ctx.db.execute(
        update(requests).where(q.id == made["request"]).values(status=Status.DONE.value, done_at=ctx.now)
    )
    await ctx.reply_privately("privacy/export_summary", counts=made["counts"], withheld=made["data"]["withheld"])
    body = json.dumps(made, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    day = ctx.now.astimezone(ZoneInfo(ctx.settings.bot.timezone)).date().isoformat()
    name = f"kocbot-mydata-{day}.json"
    await ctx.dm(ctx.actor, "privacy/export_file", image=Image(name, body), name=name)
