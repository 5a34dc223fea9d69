"""What one rendering may spend, and the refusals: a reason code and plain details that a template words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2.exceptions import SecurityError

MAX_SOURCE = 2000  # characters a template may have
MAX_OUTPUT = 4000  # characters one rendering may produce, and the longest text it may build
MAX_PRECISION = 9  # round(x, p): |p| at most this (10**p is computed)
MAX_POWER_BASE, MAX_POWER_EXPONENT = 10**6, 64
SHORT_TEXT = 100  # a separator, an ending, the characters to trim


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of one rendering; the composition root sets them from the configuration."""

    steps: int = 10_000  # loop rounds plus the items filters go through, in one rendering
    output: int = MAX_OUTPUT
    source: int = MAX_SOURCE


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a template cannot be used (plain data: it crosses from a worker process). `reason` is a
    code the refusal templates word; `line` is the template's line when known."""

    reason: str
    line: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Refused(SecurityError):
    """Raised inside the sandbox when a template would go past a limit (a SecurityError, as Jinja's own)."""

    def __init__(self, reason: str, line: int | None = None, **details: Any) -> None:
        super().__init__(f"{reason} {details}")
        self.reason = reason
        self.line = line
        self.details = details

    def refusal(self, line: int | None = None) -> Refusal:
        return Refusal(self.reason, self.line if self.line is not None else line, dict(self.details))


def power_ok(base: object, exponent: object) -> bool:
    """Whether base ** exponent stays a number of a sensible size."""
    if not (isinstance(base, int | float) and isinstance(exponent, int | float)):
        return False
    return abs(exponent) <= MAX_POWER_EXPONENT and abs(base) <= MAX_POWER_BASE


class Budget:
    """The steps one rendering has left: each loop round and each item a filter goes through costs one."""

    def __init__(self, steps: int) -> None:
        self.limit = steps
        self.left = steps

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise Refused("steps", limit=self.limit)
