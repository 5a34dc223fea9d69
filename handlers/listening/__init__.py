"""Listening: complaints and unanswered questions in the groups, noticed, routed to moderators and closed.

The bot never says anything in a group on its own here: complaints become private notes with one-step
actions, questions a private nudge when nobody answers; the only public message is the optional
acknowledgement of a complaint nobody acted on (`listening.acknowledge`, off by default).
"""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry
from handlers.listening import due, tables, views  # noqa: F401 - tables: the models join Base.metadata
from handlers.listening.complaints import ignore, on_source_used, on_source_wanted
from handlers.listening.config import ListeningSection
from handlers.listening.flagging import match_group_message, on_flagged, warm_up
from handlers.threads.sources import USED, WANTED

registry = HandlerRegistry("listening", config_section=ListeningSection, topic=("listening", "倾听"))
MODERATOR = Role.MODERATOR

registry.on_start(warm_up)
registry.overhear("listening", match_group_message)(on_flagged)
registry.command("listening", aliases=("倾听",), role=MODERATOR)(views.show)
registry.command("ignore", aliases=("忽略",), role=MODERATOR)(ignore)
registry.listen(WANTED, on_source_wanted)
registry.listen(USED, on_source_used)
registry.add_due_source(due.factory)
registry.export("listening")(views.export_labels)
registry.digest_section("listening")(views.digest_section)
