"""Errors the core raises on purpose, each with a clear audience."""

from __future__ import annotations

from typing import Any


class ConfigError(Exception):
    """A configuration value is wrong; only the CLI turns this into one line."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        super().__init__(f"{key} = {value!r}: expected {expected}")
        self.key = key
        self.value = value
        self.expected = expected


class UserFacingError(Exception):
    """Abort a handler and answer the user with a template, not with a traceback."""

    def __init__(self, template: str, /, **params: Any) -> None:
        super().__init__(template)
        self.template = template
        self.params = params


class NoSuchNumber(UserFacingError):
    """A member named a thing by a number no id can be (beyond the databases' range): nothing has it."""

    def __init__(self, **params: Any) -> None:
        super().__init__("core/no_such_number", **params)


class UsageError(UserFacingError):
    """The arguments of a command were wrong: answer with what was wrong and its usage line.

    `problem` names a template that says what was wrong (rendered with `params`).
    """

    def __init__(self, problem: str | None = None, /, **params: Any) -> None:
        super().__init__("core/usage", **params)
        self.problem = problem


class NoSuchDate(UsageError):
    """A date (or a time) shaped right that does not exist: month 13, 30 February, 25:00. Said as such
    (not as "please write a date"), with the command's usage (`bot.commands.parse_date`)."""

    def __init__(
        self, typed: str, reason: str, *, year: int = 0, month: int = 0, days: int = 0, what: str = "date"
    ) -> None:
        # `what` the word was meant to be: "date" (a time too, by `reason`) or "month" (2026-13)
        super().__init__("core/no_such_date", typed=typed, reason=reason, year=year, month=month, days=days, what=what)


class SchemaBehindError(Exception):
    """The database schema is older than the code expects."""


class TransportError(Exception):
    """Sending failed; the outbox retries it later."""


class DatabaseUnusableError(Exception):
    """The database cannot be opened or is not kocbot's: one line for whoever runs kocbot, nothing touched."""


class DataDirError(Exception):
    """The data folder is not a folder kocbot can write into: one line, nothing created."""


class DatabaseInUseError(Exception):
    """Another kocbot already runs on this SQLite file; only the CLI turns this into one line."""
