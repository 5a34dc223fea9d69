"""The answering rule: when a flagged question counts as answered, decided from the message log.

Pure: it reads the messages that came after the question in its room (as logged by the pipeline) and
returns the first that answers it, if any:
1. someone else quotes the question;
2. someone else @mentions the asker;
3. the asker says thanks or that it is solved ("谢谢", "解决了", "thanks", "fixed"...): answered by
   the member they mention or quote, else by the last other member who wrote before;
4. someone else replies in the room within `reply_window_minutes`, in at least `answer_min_chars`
   characters (mentions left out), with no command, question or complaint of their own, and before
   another member asked a newer question (from then on, replies are taken as that one's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.listening.matching import fold
from handlers.listening.tables import Answered

_THANKS = re.compile(
    r"谢谢|感谢|多谢|谢啦|谢了|解决了|搞定了|可以了|好了|明白了|懂了|学到了|thank|thx|solved|fixed|works now|got it",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Question:
    asker_id: int
    asker_platform_id: str
    platform_msg_id: str
    asked_at: datetime
    newer_question: int | None = None  # the log row of another member's next question in the room


@dataclass(frozen=True, slots=True)
class Later:
    """A logged message after the question, in its room."""

    row_id: int
    member_id: int
    text: str
    mentions: tuple[str, ...]  # platform ids
    quote_msg_id: str | None
    quote_member_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Answer:
    at: datetime
    by: int | None
    how: Answered


@dataclass(frozen=True, slots=True)
class Rule:
    window: timedelta
    min_chars: int
    flagged: Callable[[str], bool]  # the listening matchers: a question or complaint of its own
    member_of: Callable[[str], int | None]  # a mentioned platform id -> member id, where known


def first_answer(question: Question, later: Sequence[Later], rule: Rule) -> Answer | None:
    last_other: int | None = None
    for message in later:
        found = _answers(question, message, rule, last_other)
        if found is not None:
            return found
        if message.member_id != question.asker_id:
            last_other = message.member_id
    return None


def _answers(question: Question, message: Later, rule: Rule, last_other: int | None) -> Answer | None:
    if message.member_id == question.asker_id:
        return _thanked(message, rule, last_other)
    if message.quote_msg_id == question.platform_msg_id:
        return Answer(message.at, message.member_id, Answered.QUOTE)
    if question.asker_platform_id in message.mentions:
        return Answer(message.at, message.member_id, Answered.MENTION)
    return Answer(message.at, message.member_id, Answered.REPLY) if _replies(question, message, rule) else None


def _thanked(message: Later, rule: Rule, last_other: int | None) -> Answer | None:
    if not _THANKS.search(message.text):
        return None
    named = [rule.member_of(m) for m in message.mentions]
    by = message.quote_member_id or next((m for m in named if m is not None), None) or last_other
    return Answer(message.at, by, Answered.THANKS)


def _replies(question: Question, message: Later, rule: Rule) -> bool:
    if message.at > question.asked_at + rule.window:
        return False
    if question.newer_question is not None and message.row_id >= question.newer_question:
        return False
    text = fold(message.text)
    return len(text) >= rule.min_chars and not text.startswith("/") and not rule.flagged(message.text)


def later_from_row(row: Any) -> Later:
    return Later(
        row_id=row.id,
        member_id=row.member_id,
        text=row.text or "",
        mentions=tuple(row.mentions or ()),
        quote_msg_id=row.quote_msg_id,
        quote_member_id=row.quote_member_id,
        at=row.received_at,
    )
