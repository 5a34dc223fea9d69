"""Reading an /announce command: when (once, or a cron in the rooms' time zone), where, and what."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from bot.commands import LOCAL_TIME, Invocation, first_word, local_time
from bot.context import Context
from bot.errors import UsageError
from bot.members import CommunityRef
from bot.rooms import is_room_word, resolve_rooms
from bot.scheduling.triggers import CronError, cron_trigger, once_trigger
from handlers.outreach.custom_templates import custom_template_exists, template_names

URGENT = {"--urgent", "--紧急"}
TEMPLATE = {"--template", "--模板"}


@dataclass
class Request:
    """What an /announce command asked for, parsed."""

    run_at: datetime | None = None  # aware, in the rooms' time zone
    local_at: str | None = None  # "YYYY-MM-DD HH:MM" as typed (normalised)
    cron: str | None = None
    rooms: list[CommunityRef] = field(default_factory=list)
    template: str | None = None
    text: str = ""
    urgent: bool = False

    @property
    def zone(self) -> str:
        return self.rooms[0].timezone


async def read_rooms_and_body(ctx: Context, cmd: Invocation, rest: str, request: Request) -> None:
    """#rooms and flags, then the text (or --template NAME)."""
    names: list[str] = []
    while True:
        word, after = first_word(rest)
        if is_room_word(word):
            names.append(word)
        elif word.lower() in URGENT:
            request.urgent = True
        elif word.lower() in TEMPLATE:
            name, after = first_word(after)
            if not name:
                raise UsageError("outreach/problem_template_name")
            request.template = name
        else:
            break
        rest = after
    request.text = rest.strip()  # as typed: "：" stays "："
    request.rooms = await resolve_rooms(ctx, names)
    if request.template is None and not request.text:
        raise UsageError("outreach/problem_no_text")
    if request.template is not None and request.text:
        raise UsageError("outreach/problem_text_and_template")
    if request.template is not None:
        await _check_template(ctx, request.template)


def _local_time(found: re.Match[str], zone: str, now: datetime) -> datetime:
    """The moment a matched "2026-12-01 10:00" names in `zone`; it must exist and lie ahead."""
    local = local_time(found, ZoneInfo(zone))  # NoSuchDate for 2026-02-30 10:00
    if local <= now:
        raise UsageError(
            "outreach/problem_past",
            when=local.strftime("%Y-%m-%d %H:%M"),
            now=now.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"),
        )
    return local


async def parse_at(ctx: Context, cmd: Invocation, text: str) -> Request:
    request = Request()
    # The rooms decide the time zone, and they come after the time: read the time as text first.
    found = LOCAL_TIME.match(text.strip())
    if found is None:
        raise UsageError("outreach/problem_when", text=text.strip()[:30])
    await read_rooms_and_body(ctx, cmd, text.strip()[found.end() :], request)
    request.run_at = _local_time(found, request.zone, ctx.now)
    request.local_at = request.run_at.strftime("%Y-%m-%d %H:%M")
    return request


async def parse_every(ctx: Context, cmd: Invocation, text: str) -> Request:
    parts = text.split(None, 5)
    if len(parts) < 6:
        too_few = CronError("needs 5 fields and then the text", reason="fields_and_text", count=len(parts))
        raise UsageError("outreach/problem_cron", **too_few.params())
    cron = " ".join(parts[:5])
    request = Request(cron=cron)
    await read_rooms_and_body(ctx, cmd, parts[5], request)
    try:
        cron_trigger(cron, request.zone)
    except CronError as exc:
        raise UsageError("outreach/problem_cron", **exc.params()) from exc
    return request


def trigger_for(request: Request) -> BaseTrigger:
    if request.cron is not None:
        return cron_trigger(request.cron, request.zone)
    assert request.run_at is not None
    return once_trigger(request.run_at)


async def _check_template(ctx: Context, name: str) -> None:
    if not await custom_template_exists(ctx.db, name):
        raise UsageError("outreach/problem_unknown_template", name=name, known=await template_names(ctx.db))
