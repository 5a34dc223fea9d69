"""Moderators' templates in the sandbox (bot.sandbox): the documented variables, their values, and what goes wrong."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from jinja2 import nodes

from bot.errors import UserFacingError
from bot.sandbox.engine import Compiled, Engine, SafeEnvironment, View
from bot.sandbox.limits import MAX_OUTPUT, MAX_SOURCE, Limits, Refusal, Refused

_LOGGER = logging.getLogger(__name__)
__all__ = ["MAX_OUTPUT", "MAX_SOURCE"]  # the limits, for the README's and the tests' sake
NAME = re.compile(r"[\w-]{1,32}")

# The documented variables and the fields of each (see the README and /template help). A dotted name
# gives the fields of the items of a list field, checked in `{% for f in member.feedback %}`.
MEMBER_FIELDS = ("name", "points", "titles", "feedback", "threads", "campaigns", "campaign_messages")
VARIABLES: dict[str, tuple[str, ...]] = {
    "community": ("name", "members"),
    "member": MEMBER_FIELDS,
    "member.feedback": ("number", "title", "status", "status_name"),
    "member.threads": ("number", "title", "status", "status_name"),
    "member.campaigns": ("name", "messages"),
    "stats": ("thanks_this_month", "open_feedback", "joined_this_month"),
    "date": ("year", "month", "day", "weekday", "isoweekday", "strftime", "isoformat"),
    "now": ("year", "month", "day", "hour", "minute", "weekday", "isoweekday", "strftime", "isoformat", "date"),
    "bot_name": (),
}
VOCABULARY = tuple(VARIABLES.items())  # as a worker process gets it
NOT_STOPPED = frozenset({"needs", "error"})  # failures where the sandbox did not stop anything


# The views a template sees: plain values, nothing with a way back into the bot.


def community_view(name: str, members: int) -> View:
    return View.of(name, name=name, members=members)


def member_view(
    name: str,
    points: int,
    titles: tuple[str, ...],
    *,
    feedback: tuple[View, ...] = (),
    threads: tuple[View, ...] = (),
    campaigns: tuple[View, ...] = (),
    campaign_messages: int = 0,
) -> View:
    return View.of(
        name,
        name=name,
        points=points,
        titles=titles,
        feedback=feedback,
        threads=threads,
        campaigns=campaigns,
        campaign_messages=campaign_messages,
    )


def item_view(number: str, title: str, status: str, status_name: str) -> View:
    """A member's feedback item (FB-12) or thread (#3): `{{ f }}` alone is its number and title."""
    return View.of(f"{number} {title}", number=number, title=title, status=status, status_name=status_name)


def member_fields(compiled_source: str, environment: SafeEnvironment) -> frozenset[str]:
    """The fields of `member` a template reads (`member.points`...): only those are looked up."""
    found: set[str] = set()
    for node in environment.parse(compiled_source).find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name == "member":
            found.add(node.attr)
    return frozenset(found & set(MEMBER_FIELDS))


def stats_view(thanks_this_month: int, open_feedback: int, joined_this_month: int) -> View:
    return View.of(
        "", thanks_this_month=thanks_this_month, open_feedback=open_feedback, joined_this_month=joined_this_month
    )


# What goes wrong, each answered politely in the user's language.


class CustomTemplateError(UserFacingError):
    """A moderator-authored template could not be used; its template explains why."""


class UnknownTemplate(CustomTemplateError):
    def __init__(self, name: str) -> None:
        super().__init__("outreach/template_unknown", name=name)
        self.name = name


class TemplateRefused(CustomTemplateError):
    """The text cannot be saved (or used): `reason` says why and `line` where."""

    def __init__(self, reason: str, line: int | None = None, **details: Any) -> None:
        super().__init__("outreach/template_refused", reason=reason, line=line, details=details)
        self.reason = reason
        self.line = line
        self.details = details

    @classmethod
    def of(cls, refusal: Refusal) -> TemplateRefused:
        return cls(refusal.reason, refusal.line, **refusal.details)


class TemplateRenderFailed(CustomTemplateError):
    """A saved template could not produce its message: a value it needs has none here ("needs"), the
    sandbox stopped it (a limit's reason), or it failed on the values it got ("error")."""

    def __init__(self, name: str, reason: str, detail: str = "", line: int | None = None, **details: Any) -> None:
        params = {
            "name": name,
            "reason": reason,
            "detail": detail,
            "line": line,
            "details": {**details, "detail": detail},
        }
        super().__init__("outreach/template_render_failed", **params)
        self.name = name
        self.reason = reason
        self.detail = detail
        self.line = line
        self.details = details

    @classmethod
    def of(cls, name: str, refusal: Refusal) -> TemplateRenderFailed:
        details = dict(refusal.details)
        return cls(name, refusal.reason, str(details.pop("detail", "")), refusal.line, **details)

    @property
    def stopped(self) -> bool:
        """The sandbox stopped it (rather than a value it lacked or could not use)."""
        return self.reason not in NOT_STOPPED

    def refused(self) -> TemplateRefused:
        """The same, as a refusal to save it."""
        details = {**self.details, "detail": self.detail} if self.detail else dict(self.details)
        return TemplateRefused(self.reason, self.line, **details)


class TemplateSandbox:
    """Checks and compiles moderators' templates in this process (fast and bounded: no rendering), and
    renders here too for tests; the bot renders in a worker process (custom_templates.render_prepared)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.engine = Engine(VARIABLES, limits)

    @property
    def environment(self) -> SafeEnvironment:
        return self.engine.environment

    def check(self, source: str) -> Compiled:
        """Compile `source`, or raise TemplateRefused with the line and the reason."""
        try:
            return self.engine.check(source)
        except Refused as exc:
            raise TemplateRefused.of(exc.refusal()) from None

    def render(self, name: str, source: str, context: Mapping[str, Any]) -> str:
        compiled = self.check(source)
        missing = [v for v in compiled.variables if v not in context]
        if missing:
            raise TemplateRenderFailed(name, "needs", ", ".join(missing))
        try:
            return self.engine.render(source, context)
        except Refused as exc:
            _LOGGER.warning("template %r stopped: %s", name, exc)
            raise TemplateRenderFailed.of(name, exc.refusal()) from None
