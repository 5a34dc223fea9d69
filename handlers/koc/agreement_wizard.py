"""The guided agreement: a private conversation with the moderator, one term of the agreement at a time."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot import commands
from bot.context import Context
from bot.conversations import ConversationSpec
from bot.errors import UserFacingError

_LOGGER = logging.getLogger(__name__)
NAME = "koc_agreement"
SKIP_WORDS = frozenset({"跳过", "skip", "无", "没有", "none", "-"})
CONFIRM_WORDS = frozenset({"1", "确认", "保存", "好", "是", "confirm", "save", "yes", "y", "ok"})
MAX_LENGTH = {"deliverables": 1000, "cadence": 200, "ownership": 200}
MIN_LENGTH = 2


class Step(StrEnum):
    DELIVERABLES = "deliverables"
    CADENCE = "cadence"
    OWNERSHIP = "ownership"
    STARTS = "starts"
    ENDS = "ends"
    DELIVERABLE_DATES = "deliverable_dates"
    PAYMENTS = "payments"
    CONFIRM = "confirm"


ORDER = list(Step)


def parse_date(word: str) -> date | None:
    """2026-12-20 (or 2026-12-5); None when it is not a date; NoSuchDate when it names no day."""
    return commands.parse_date(word)


async def start(ctx: Context, member_id: int, member_name: str) -> None:
    """Open the conversation with the moderator (who may have asked in a room) and ask the first question."""
    await ctx.start_conversation(NAME, Step.DELIVERABLES, member_id=member_id, member=member_name)
    if ctx.community is not None:
        await ctx.reply("koc/agreement_started", member=member_name)
    await _ask(ctx, Step.DELIVERABLES, {"member": member_name})


async def _ask(ctx: Context, step: Step, data: dict[str, Any]) -> None:
    at = {"at": ORDER.index(step) + 1, "of": len(ORDER) - 1}
    await ctx.dm(ctx.actor, "koc/agreement_ask", step=step.value, data=data, steps=at)


async def _move(ctx: Context, step: Step, **updates: object) -> None:
    assert ctx.conversation is not None
    await ctx.conversation.move(step, **updates)
    await _ask(ctx, step, ctx.conversation.data)


def _next(step: Step) -> Step:
    return ORDER[ORDER.index(step) + 1]


async def answer_text(ctx: Context, text: str) -> None:
    """Deliverables, cadence and content ownership: free text of a sensible length."""
    assert ctx.conversation is not None
    step = Step(ctx.conversation.state)
    value = text.strip()
    if len(value) < MIN_LENGTH:
        raise UserFacingError("koc/agreement_bad_answer", step=step.value, problem="short", least=MIN_LENGTH)
    if len(value) > MAX_LENGTH[step]:
        raise UserFacingError("koc/agreement_bad_answer", step=step.value, problem="long", most=MAX_LENGTH[step])
    await _move(ctx, _next(step), **{step.value: value})


def _one_date(step: Step, text: str) -> date:
    found = parse_date(text)
    if found is None:
        raise UserFacingError("koc/agreement_bad_answer", step=step.value, problem="date", text=text.strip()[:40])
    return found


async def answer_starts(ctx: Context, text: str) -> None:
    starts = _one_date(Step.STARTS, text)
    await _move(ctx, Step.ENDS, starts=starts.isoformat())


async def answer_ends(ctx: Context, text: str) -> None:
    assert ctx.conversation is not None
    ends, starts = _one_date(Step.ENDS, text), date.fromisoformat(ctx.conversation.data["starts"])
    if ends <= starts:
        raise UserFacingError(
            "koc/agreement_bad_answer", step=Step.ENDS.value, problem="order", starts=starts.isoformat()
        )
    await _move(ctx, Step.DELIVERABLE_DATES, ends=ends.isoformat())


def _skipped(text: str) -> bool:
    return text.strip().lower() in SKIP_WORDS


def deliverable_dates(text: str, starts: date, ends: date) -> list[str]:
    """Dates separated by spaces, commas or lines, each inside the agreement; sorted, once each."""
    words = [w for w in re.split(r"[\s,，、;；]+", text.strip()) if w]
    found = []
    for word in words:
        day = parse_date(word)
        if day is None:
            raise UserFacingError(
                "koc/agreement_bad_answer", step=Step.DELIVERABLE_DATES.value, problem="date", text=word[:40]
            )
        if not starts <= day <= ends:
            raise UserFacingError(
                "koc/agreement_bad_answer",
                step=Step.DELIVERABLE_DATES.value,
                problem="outside",
                text=word,
                starts=starts.isoformat(),
                ends=ends.isoformat(),
            )
        found.append(day.isoformat())
    return sorted(set(found))


async def answer_deliverable_dates(ctx: Context, text: str) -> None:
    assert ctx.conversation is not None
    data = ctx.conversation.data
    dates = (
        []
        if _skipped(text)
        else deliverable_dates(text, date.fromisoformat(data["starts"]), date.fromisoformat(data["ends"]))
    )
    await _move(ctx, Step.PAYMENTS, deliverable_dates=dates)


def payments(text: str) -> list[dict[str, str]]:
    """One payment a line: its date, then what is paid ("2026-12-20 首付 50%")."""
    found = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        word, _, what = line.partition(" ")
        day = parse_date(word)
        if day is None or not what.strip():
            raise UserFacingError(
                "koc/agreement_bad_answer", step=Step.PAYMENTS.value, problem="payment", text=line[:60]
            )
        found.append({"due": day.isoformat(), "what": what.strip()[:200]})
    return sorted(found, key=lambda p: p["due"])


async def answer_payments(ctx: Context, text: str) -> None:
    await _move(ctx, Step.CONFIRM, payments=[] if _skipped(text) else payments(text))


async def answer_confirm(ctx: Context, text: str) -> None:
    from handlers.koc.agreements import save  # agreements starts this wizard: import late

    assert ctx.conversation is not None
    if text.strip().lower() not in CONFIRM_WORDS:
        raise UserFacingError("koc/agreement_bad_answer", step=Step.CONFIRM.value, problem="confirm")
    data = ctx.conversation.data
    await ctx.conversation.end()
    await save(ctx, data)


async def back(ctx: Context, text: str) -> None:
    """/back: the question before, asked again."""
    assert ctx.conversation is not None
    step = Step(ctx.conversation.state)
    if ORDER.index(step) == 0:
        raise UserFacingError("koc/agreement_back_at_start")
    await _move(ctx, ORDER[ORDER.index(step) - 1])


async def cancel(ctx: Context, text: str) -> None:
    assert ctx.conversation is not None
    member = ctx.conversation.data.get("member", "")
    await ctx.conversation.end()
    await ctx.reply("koc/agreement_cancelled", member=member)


async def expired(ctx: Context) -> None:
    await ctx.reply("koc/agreement_expired")


SPEC = ConversationSpec(
    name=NAME,
    capability="koc",
    steps={
        Step.DELIVERABLES: answer_text,
        Step.CADENCE: answer_text,
        Step.OWNERSHIP: answer_text,
        Step.STARTS: answer_starts,
        Step.ENDS: answer_ends,
        Step.DELIVERABLE_DATES: answer_deliverable_dates,
        Step.PAYMENTS: answer_payments,
        Step.CONFIRM: answer_confirm,
    },
    fallbacks={"cancel": cancel, "取消": cancel, "back": back, "返回": back, "上一步": back},
    timeout=timedelta(hours=24),
    on_timeout=expired,
)
