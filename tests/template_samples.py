"""Sample parameters for every template: a new template must add its sample here to be tested."""

from __future__ import annotations

from bot.templates import CommandDoc

SAMPLES: dict[str, dict] = {
    "core/pong": {},
    "core/help": {"commands": [CommandDoc("/ping", "check"), CommandDoc("/help", "help")], "role": "member"},
    "core/unknown_command": {"typed": "/pnig", "suggestion": "ping"},
    "core/subcommands": {"usages": ["/mod add @x", "/mod remove @x"]},
    "core/usage": {"usage": "/mod add @x", "problem": "please mention someone"},
    "core/problem_needs_mention": {},
    "core/refused": {"command": "/mod add", "needed": "admin"},
    "core/wrong_place": {"only_in_room": True, "usage": "/issue open"},
    "core/apology": {},
    "core/mod_added": {"added": ["bob", "carol"], "already": ["mod"]},
    "core/mod_welcome": {"granted_by": "admin"},
    "core/mod_removed": {"removed": ["bob"], "skipped": [("mod", "config"), ("admin", "admin"), ("x", "no")]},
    "core/mod_list": {"staff": [{"name": "admin", "role": "admin"}, {"name": "mod", "role": "moderator"}]},
}
