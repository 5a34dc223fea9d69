"""The [outreach] section: welcomes, announcements and monthly briefs."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class OutreachSection(Section):
    welcome: bool = Field(True, description="Welcome each member who joins a room, once per member and room.")
    template_render_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="Longest a moderator's template may take to render; past it the worker process is "
        "stopped and the template refused.",
    )
    template_max_steps: int = Field(
        10_000,
        ge=100,
        description="Work one rendering of a moderator's template may do: loop rounds plus the items its "
        "filters go through (join, sort, unique, sum...).",
    )
    opt_out_words: list[str] = Field(
        ["退订", "TD", "别发了", "不要再发了", "unsubscribe"],
        description="A private message that says just one of these (any case, trailing punctuation ignored) "
        "opts the member out of outreach, journeys and every other unsolicited message; /订阅 opts back in.",
    )
    opt_out_hint: str = Field(
        "",
        max_length=200,
        description="The line every outreach and journey message ends with (empty: the built-in one of the "
        "member's language, which says to reply TD to opt out).",
    )
    confirm_over: int = Field(
        20, ge=0, description="An outreach send to more members than this waits for /outreach confirm ID."
    )
