"""The [journeys] section: each journey's trigger, goal, re-entry rule and timed steps, in TOML.

The built-in journeys (handlers/journeys/defaults.toml) are always there; an operator's file changes
them key by key (`[journeys.newcomer] reentry = "after_exit"`) or adds journeys of its own.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, RootModel, field_validator, model_validator

from bot.config import Section
from bot.config_sources import deep_merge

BUILT_IN = Path(__file__).resolve().parent / "defaults.toml"
NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_DELAY = re.compile(r"(?:(\d{1,3})d)?(?:(\d{1,3})h)?(?:(\d{1,4})m)?")
MAX_STEPS = 10  # as many as a WeCom SOP rule holds


class Trigger(StrEnum):
    JOINED = "joined"  # joined a room (a join the platform reported)
    PROMOTED = "promoted"  # promoted to KOC
    FIRST_FEEDBACK = "first_feedback"  # submitted their first feedback item
    FIRST_THANKS = "first_thanks"  # received their first counted thank-you
    CAMPAIGN = "campaign"  # a campaign named `campaign` started in one of their rooms


class Goal(StrEnum):
    """What a member did since entering a journey: its exit goal, or a step's reason to be skipped."""

    SPOKE = "spoke"  # wrote in a group
    FEEDBACK = "feedback"  # submitted feedback
    THANKED = "thanked"  # thanked someone
    PROMOTED = "promoted"  # is an active KOC


class Reentry(StrEnum):
    NEVER = "never"  # one run per member, ever
    AFTER_EXIT = "after_exit"  # again once the previous run has ended


def parse_delay(value: str) -> timedelta | None:
    """ "3d", "12h", "1d12h", "30m", "0d" -> a timedelta; None when it is not one."""
    found = _DELAY.fullmatch(value.strip())
    if found is None or not value.strip():
        return None
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


class JourneyStep(Section):
    after: str = Field(
        "0d", description='How long after entering the journey: "3d", "12h", "1d12h", "30m" ("0d": at once).'
    )
    at: str | None = Field(
        None,
        description='A local time of day ("10:00", the bot\'s time zone): the step goes then on the day `after` '
        "lands on (the next day if that time had passed when the member entered).",
    )
    template: str = Field(
        ...,
        min_length=1,
        max_length=64,
        description='The message: one of the bot\'s templates ("journeys/newcomer_feedback", reworded in '
        "bot.templates_dir) or, a name without a slash, a template moderators saved with /template set.",
    )
    skip_if: Goal | None = Field(None, description="Skip the step when the member has done this since entering.")

    @field_validator("after")
    @classmethod
    def _after(cls, value: str) -> str:
        if parse_delay(value) is None:
            raise ValueError('a delay such as "3d", "12h", "1d12h" or "30m"')
        return value

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        if value is not None and _time_of_day(value) is None:
            raise ValueError('a local time of day such as "10:00"')
        return value

    @property
    def delay(self) -> timedelta:
        return parse_delay(self.after) or timedelta()

    @property
    def time_of_day(self) -> time | None:
        return None if self.at is None else _time_of_day(self.at)

    @property
    def built_in(self) -> bool:
        """One of the bot's templates (a slash in its name), not a moderator's."""
        return "/" in self.template

    def due(self, entered: datetime, zone: ZoneInfo) -> datetime:
        """When this step falls due for a member who entered at `entered`."""
        base = entered + self.delay
        at = self.time_of_day
        if at is None:
            return base
        local = datetime.combine(base.astimezone(zone).date(), at, tzinfo=zone)
        if local < entered:
            local = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
        return local.astimezone(UTC)


def _time_of_day(value: str) -> time | None:
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        return None
    return time(int(found[1]), int(found[2]))


class Journey(Section):
    trigger: Trigger = Field(
        ..., description="What starts it: joined, promoted, first_feedback, first_thanks or campaign."
    )
    campaign: str | None = Field(
        None, max_length=200, description="For trigger = campaign: the campaign's name (as /campaign create gave it)."
    )
    goal: list[Goal] = Field(
        default_factory=list,
        description="The member leaves the journey once they have done all of these since entering "
        "(spoke, feedback, thanked, promoted); leaving every room and opting out always end it.",
    )
    reentry: Reentry = Field(
        Reentry.NEVER, description="never: one run per member, ever; after_exit: again once the last run ended."
    )
    enabled: bool = Field(
        False, description="On before any moderator switches it (/journey on|off, which then decides)."
    )
    steps: list[JourneyStep] = Field(
        ..., min_length=1, max_length=MAX_STEPS, description="The messages, in order of their delays."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Journey:
        if self.trigger is Trigger.CAMPAIGN and not self.campaign:
            raise ValueError('trigger = "campaign" with the campaign\'s name in `campaign`')
        if self.trigger is not Trigger.CAMPAIGN and self.campaign:
            raise ValueError('`campaign` only with trigger = "campaign"')
        delays = [step.delay for step in self.steps]
        if delays != sorted(delays):
            raise ValueError("steps in the order of their delays (`after`)")
        return self


@cache
def _built_in_data() -> dict[str, Any]:
    with BUILT_IN.open("rb") as file:
        return tomllib.load(file)


def built_in_journeys() -> dict[str, Journey]:
    return {name: Journey.model_validate(value) for name, value in _built_in_data().items()}


class JourneysSection(RootModel[dict[str, Journey]]):
    """Journeys by name: the built-in ones, changed or added to by the operator's file."""

    model_config = ConfigDict(frozen=True)
    root: dict[str, Journey] = Field(default_factory=built_in_journeys)

    @model_validator(mode="before")
    @classmethod
    def _over_built_ins(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return deep_merge(_built_in_data(), data)

    @field_validator("root")
    @classmethod
    def _names(cls, value: dict[str, Journey]) -> dict[str, Journey]:
        bad = [name for name in value if not NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"journey names of letters, digits, _ and - (at most 32): not {bad[0]!r}")
        return value

    def get(self, name: str) -> Journey | None:
        return self.root.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self.root)
