"""Reading /campaign clue: when it drops (inside the campaign, ahead of now) and what (a text or a template)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.commands import LOCAL_TIME, Invocation, first_word, local_time
from bot.context import Context
from bot.errors import UsageError
from handlers.campaigns.store import CampaignView
from handlers.outreach.custom_templates import custom_template_exists, template_names

AT = {"--at", "--时间"}
TEMPLATE = {"--template", "--模板"}


@dataclass
class ClueRequest:
    when: re.Match[str] | None = None
    template: str | None = None
    text: str = ""


def parse_clue(cmd: Invocation, rest: str) -> ClueRequest:
    """`--at 2026-12-01 20:00` and `--template NAME` in either order, then the text as typed."""
    request = ClueRequest()
    while True:
        word, after = first_word(rest)
        if word.lower() in AT:
            request.when = LOCAL_TIME.match(after.strip())
            if request.when is None:
                raise UsageError("campaigns/problem_when", text=after.strip()[:30])
            rest = after.strip()[request.when.end() :]
        elif word.lower() in TEMPLATE:
            request.template, rest = first_word(after)
            if not request.template:
                raise UsageError("campaigns/problem_template_name")
        else:
            break
    request.text = rest.strip()
    if request.when is None:
        raise UsageError("campaigns/problem_needs_at")
    return request


def drop_time(found: re.Match[str], campaign: CampaignView, now: datetime) -> datetime:
    """The moment "2026-12-01 20:00" names in the campaign's time zone: it must exist, lie ahead, and
    fall inside the campaign."""
    local = local_time(found, campaign.zone)  # NoSuchDate for 2026-02-30 10:00
    if local <= now:
        raise UsageError(
            "campaigns/problem_past",
            when=local.strftime("%Y-%m-%d %H:%M"),
            now=now.astimezone(campaign.zone).strftime("%Y-%m-%d %H:%M"),
        )
    if local >= campaign.ends_at:
        raise UsageError(
            "campaigns/problem_after_end",
            when=local.strftime("%Y-%m-%d %H:%M"),
            ends=campaign.ends_at.astimezone(campaign.zone).strftime("%Y-%m-%d %H:%M"),
        )
    return local.astimezone(UTC)


async def check_body(ctx: Context, request: ClueRequest) -> None:
    if request.template is None and not request.text:
        raise UsageError("campaigns/problem_no_text")
    if request.template is not None and request.text:
        raise UsageError("campaigns/problem_text_and_template")
    if request.template is not None and not await custom_template_exists(ctx.db, request.template):
        raise UsageError(
            "campaigns/problem_unknown_template", name=request.template, known=await template_names(ctx.db)
        )
