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
