"""Journeys (SOP): timed private messages a trigger starts and an exit goal ends, declared in TOML."""

from __future__ import annotations

from bot.db.schema import Role
from bot.events import MemberJoined, MemberLeft
from bot.registry import HandlerRegistry
from handlers.campaigns.manage import CAMPAIGN_STARTED
from handlers.feedback import HISTORY_ADDED
from handlers.journeys import commands, due, tables, triggers  # noqa: F401 - tables: the models join Base.metadata
from handlers.journeys.config import JourneysSection
from handlers.koc.records import STAGE_CHANGED
from handlers.outreach.consent import OPTED_OUT
from handlers.recognition.thanks import THANKED

registry = HandlerRegistry(
    "journeys", config_section=JourneysSection, topic=("journeys", "旅程", "journey", "新人引导", "sop")
)
MODERATOR = Role.MODERATOR

# Moderators see the journeys and switch them on and off (privately, audited).
registry.command("journey list", aliases=("旅程 列表",), role=MODERATOR)(commands.list_journeys)
registry.command("journey show", aliases=("旅程 查看",), role=MODERATOR)(commands.show_journey)
registry.command("journey on", aliases=("旅程 开启",), role=MODERATOR)(commands.switch_on)
registry.command("journey off", aliases=("旅程 关闭",), role=MODERATOR)(commands.switch_off)

# Triggers and exits: joins and departures, and the moments the other capabilities announce.
registry.on(MemberJoined)(triggers.on_member_joined)
registry.on(MemberLeft)(triggers.on_member_left)
registry.listen(STAGE_CHANGED, triggers.on_stage_changed)
registry.listen(HISTORY_ADDED, triggers.on_feedback_history)
registry.listen(THANKED, triggers.on_thanked)
registry.listen(CAMPAIGN_STARTED, triggers.on_campaign_started)
registry.listen(OPTED_OUT, triggers.on_opted_out)

# Steps, through the due loop and the outbox: once per run and step, across restarts.
registry.add_due_source(due.factory)
