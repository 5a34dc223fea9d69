"""The guided submission: a private conversation that asks one thing at a time and checks each answer."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.context import Context
from bot.conversations import ConversationSpec
from bot.errors import UserFacingError
from handlers.feedback.config import FeedbackSection
from handlers.feedback.form import MAX_LENGTH, MIN_LENGTH
from handlers.feedback.rules import SKIP_WORDS, parse_kind
from handlers.feedback.tables import Kind

_LOGGER = logging.getLogger(__name__)
NAME = "feedback"
CONFIRM_WORDS = frozenset({"1", "提交", "确认", "好", "是", "submit", "yes", "y", "ok"})


class Step(StrEnum):
    KIND = "kind"
    SCENARIO = "scenario"
    STEPS = "steps"
    EXPECTED = "expected"
    PRODUCT = "product"
    CONFIRM = "confirm"


def steps_for(kind: str | None) -> list[Step]:
    """The steps in order; only bugs are asked how to reproduce them."""
    return [s for s in Step if s is not Step.STEPS or kind == Kind.BUG]


async def start(ctx: Context, kind: Kind | None) -> None:
    first = Step.SCENARIO if kind else Step.KIND
    await ctx.start_conversation(NAME, first, **({"kind": kind.value} if kind else {}))
    if ctx.community is not None:
        await ctx.reply("feedback/wizard_started")
    await _ask_in_private(ctx, first, {"kind": kind.value if kind else None})


async def _ask_in_private(ctx: Context, step: Step, data: dict[str, Any]) -> None:
    await ctx.dm(ctx.actor, "feedback/ask", step=step.value, data=data, steps=_numbering(step, data))


def _numbering(step: Step, data: dict[str, Any]) -> dict[str, int]:
    order = steps_for(data.get("kind"))[:-1]  # confirming is not a question
    return {"at": order.index(step) + 1 if step in order else len(order), "of": len(order)}


async def _move(ctx: Context, step: Step, **updates: str) -> None:
    assert ctx.conversation is not None
    await ctx.conversation.move(step, **updates)
    await _ask_in_private(ctx, step, ctx.conversation.data)


def _next(data: dict[str, Any], current: Step) -> Step:
    order = steps_for(data.get("kind"))
    return order[order.index(current) + 1]


async def answer_kind(ctx: Context, text: str) -> None:
    kind = parse_kind(text)
    if kind is None:
        raise UserFacingError("feedback/bad_answer", step=Step.KIND.value)
    await _move(ctx, Step.SCENARIO, kind=kind.value)


def _text_answer(step: Step, text: str) -> str:
    if len(text.strip()) < MIN_LENGTH[step]:
        raise UserFacingError("feedback/bad_answer", step=step.value, least=MIN_LENGTH[step])
    if len(text) > MAX_LENGTH[step]:
        raise UserFacingError("feedback/answer_too_long", most=MAX_LENGTH[step])
    return text.strip()


async def answer_text(ctx: Context, text: str) -> None:
    """Scenario, steps and expected: free text of a useful length."""
    assert ctx.conversation is not None
    step = Step(ctx.conversation.state)
    value = _text_answer(step, text)
    await _move(ctx, _next(ctx.conversation.data, step), **{step.value: value})


async def answer_product(ctx: Context, text: str) -> None:
    value = "" if text.strip().lower() in SKIP_WORDS else text.strip()
    if len(value) > MAX_LENGTH[Step.PRODUCT]:  # asked again rather than cut unseen
        raise UserFacingError("feedback/answer_too_long", most=MAX_LENGTH[Step.PRODUCT])
    await _move(ctx, Step.CONFIRM, product=value)


async def answer_confirm(ctx: Context, text: str) -> None:
    from handlers.feedback.submit import submit  # submit starts this wizard: import late

    assert ctx.conversation is not None
    if text.strip().lower() not in CONFIRM_WORDS:
        raise UserFacingError("feedback/bad_answer", step=Step.CONFIRM.value)
    data = ctx.conversation.data
    await ctx.conversation.end()
    await submit(ctx, Kind(data["kind"]), data)


async def back(ctx: Context, text: str) -> None:
    """/back: the step before, with what was answered there shown again."""
    assert ctx.conversation is not None
    data, step = ctx.conversation.data, Step(ctx.conversation.state)
    order = steps_for(data.get("kind"))
    if step not in order or order.index(step) == 0:
        raise UserFacingError("feedback/back_at_start")
    await _move(ctx, order[order.index(step) - 1])


async def cancel(ctx: Context, text: str) -> None:
    assert ctx.conversation is not None
    await ctx.conversation.end()
    await ctx.reply("feedback/wizard_cancelled")


async def remind(ctx: Context) -> None:
    """The time really left: a reminder kept out of the night goes earlier or later than configured."""
    assert ctx.conversation is not None
    left = max(ctx.conversation.expires_at - ctx.now, timedelta(minutes=1))
    hours = f"{max(round(left / timedelta(hours=1) * 2) / 2, 0.5):g}"  # for an operator's template of old
    await ctx.reply("feedback/wizard_reminder", left=left, hours=hours)  # ours say `left` through Babel


async def expired(ctx: Context) -> None:
    await ctx.reply("feedback/wizard_expired")


def _configured(section: FeedbackSection) -> ConversationSpec:
    """The wizard with the configured timeout and reminder."""
    remind = timedelta(hours=section.wizard_reminder_hours) or None
    return replace(SPEC, timeout=timedelta(hours=section.wizard_timeout_hours), remind_before=remind, configure=None)


SPEC = ConversationSpec(
    name=NAME,
    capability="feedback",
    steps={
        Step.KIND: answer_kind,
        Step.SCENARIO: answer_text,
        Step.STEPS: answer_text,
        Step.EXPECTED: answer_text,
        Step.PRODUCT: answer_product,
        Step.CONFIRM: answer_confirm,
    },
    fallbacks={"cancel": cancel, "取消": cancel, "back": back, "返回": back, "上一步": back},
    on_remind=remind,
    on_timeout=expired,
    configure=_configured,
)
