"""The [outreach] section: welcomes, announcements and monthly briefs."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class OutreachSection(Section):
    welcome: bool = Field(True, description="Welcome each member who joins a room, once per member and room.")
