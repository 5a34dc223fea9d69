"""Pure feedback rules: reading types, statuses and ids, character similarity, and allowed status changes."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from bot.commands import parse_id
from handlers.feedback.tables import Kind, Status

KIND_WORDS: Mapping[str, Kind] = {
    "1": Kind.BUG,
    "bug": Kind.BUG,
    "缺陷": Kind.BUG,
    "问题": Kind.BUG,
    "故障": Kind.BUG,
    "2": Kind.SUGGESTION,
    "suggestion": Kind.SUGGESTION,
    "建议": Kind.SUGGESTION,
    "3": Kind.CONFUSION,
    "confusion": Kind.CONFUSION,
    "困惑": Kind.CONFUSION,
    "疑问": Kind.CONFUSION,
}
SKIP_WORDS = frozenset({"跳过", "skip", "无", "没有", "none", "-"})
OPEN = frozenset({Status.SUBMITTED, Status.ACKNOWLEDGED, Status.REPRODUCED, Status.UNDER_REVIEW, Status.ADOPTED})
CLOSED = frozenset({Status.SHIPPED, Status.DECLINED, Status.DUPLICATE})
# Where each status may go next by /fb status; shipping, declining and merging have their own commands.
_NEXT: Mapping[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.ACKNOWLEDGED, Status.REPRODUCED, Status.UNDER_REVIEW}),
    Status.ACKNOWLEDGED: frozenset({Status.SUBMITTED, Status.REPRODUCED, Status.UNDER_REVIEW, Status.ADOPTED}),
    Status.REPRODUCED: frozenset({Status.ACKNOWLEDGED, Status.ADOPTED}),
    Status.UNDER_REVIEW: frozenset({Status.ACKNOWLEDGED, Status.ADOPTED}),
    Status.ADOPTED: frozenset({Status.REPRODUCED, Status.UNDER_REVIEW, Status.ACKNOWLEDGED}),
    Status.DECLINED: frozenset({Status.ACKNOWLEDGED}),  # reopened
    Status.SHIPPED: frozenset(),
    Status.DUPLICATE: frozenset(),
}
STATUS_WORDS: Mapping[str, Status] = {
    **{s.value: s for s in Status},
    "under-review": Status.UNDER_REVIEW,
    "review": Status.UNDER_REVIEW,
    "under review": Status.UNDER_REVIEW,
    # The labels the bot itself shows (templates/zh_CN/feedback/macros.jinja) and their short forms.
    "已提交": Status.SUBMITTED,
    "已确认收到": Status.ACKNOWLEDGED,
    "已确认": Status.ACKNOWLEDGED,
    "确认收到": Status.ACKNOWLEDGED,
    "已收到": Status.ACKNOWLEDGED,
    "已复现": Status.REPRODUCED,
    "评估中": Status.UNDER_REVIEW,
    "已采纳": Status.ADOPTED,
    "已上线": Status.SHIPPED,
    "暂不采纳": Status.DECLINED,
    "未采纳": Status.DECLINED,
    "不采纳": Status.DECLINED,
    "与其他反馈重复": Status.DUPLICATE,
    "重复": Status.DUPLICATE,
}


def parse_kind(text: str) -> Kind | None:
    return KIND_WORDS.get(text.strip().lower())


def parse_status(text: str) -> Status | None:
    """A status as staff type it: its key, or its label in either locale ("已确认收到", "「已复现」")."""
    return STATUS_WORDS.get(text.strip().strip("「」\"'“”").lower())


def parse_item_id(text: str) -> int | None:
    """`FB-42`, `fb42`, `#42` or `42`."""
    return parse_id(text, label="FB")


def short_id(item_id: int) -> str:
    return f"FB-{item_id}"


def title_of(scenario: str, limit: int = 40) -> str:
    line = scenario.strip().splitlines()[0] if scenario.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def bigrams(text: str) -> set[str]:
    """Character bigrams of the text without spaces and punctuation: works for Chinese, which has no words."""
    chars = [c.lower() for c in text if c.isalnum()]
    if len(chars) == 1:
        return {chars[0]}
    return {a + b for a, b in itertools.pairwise(chars)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' character bigrams, 0 (nothing shared) to 1 (the same)."""
    left, right = bigrams(a), bigrams(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def may_move(kind: Kind, current: Status, target: Status) -> bool:
    """Whether /fb status may move an item of `kind` from `current` to `target`."""
    return fits_kind(kind, target) and target in _NEXT[current]


def fits_kind(kind: Kind, target: Status) -> bool:
    """Reproduced is for bugs; under review for suggestions and confusions."""
    return not (
        (target is Status.REPRODUCED and kind is not Kind.BUG) or (target is Status.UNDER_REVIEW and kind is Kind.BUG)
    )
