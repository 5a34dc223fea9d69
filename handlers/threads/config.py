"""The issue-thread capability's configuration section, `[threads]`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config import Section

DEFAULT_DEPARTMENTS = ["产品部", "技术部", "客服部", "物流部", "市场部"]


class ThreadsSection(Section):
    departments: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DEPARTMENTS),
        min_length=1,
        description="The departments a thread can be routed to (/issue route).",
    )
    confirm_after_hours: float = Field(
        72.0,
        ge=0,
        description="Hours after a resolution notice before each reporter is asked privately "
        "whether the problem is gone (0: do not ask).",
    )
    confirm_answer_hours: float = Field(
        72.0,
        gt=0,
        description='Hours a reporter has to answer before "no answer" is recorded.',
    )
    on_not_fixed: Literal["reopen", "flag"] = Field(
        "reopen",
        description="A reporter says the problem is not gone: reopen the thread, or only flag it "
        "for the moderator (their answer becomes a note either way).",
    )
    digest_list_size: int = Field(20, ge=1, le=100, description="Threads shown per department in the digest.")
