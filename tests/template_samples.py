"""Sample parameters for every template: a new template must add its sample here to be tested."""

from __future__ import annotations

from bot.templates import CommandDoc
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import Named
from handlers.recognition.thanks import Refusal

BOB = Named(2, "bob", ("热心答主", "活动组织者"))
CAROL = Named(3, "carol")
RULES = RecognitionSection(newcomer_days=7)

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
    "recognition/thanks_recorded": {
        "counted": [BOB, CAROL], "rules": RULES,
        "refused": [Refusal(why, (CAROL,)) for why in ("self", "bot", "cooldown", "daily_cap", "newcomer")],
    },
    "recognition/threshold_reached": {"member": BOB, "count": 10, "points": 50, "title": "热心答主",
                                      "month": "2026-12"},
    "recognition/problem_needs_receiver": {},
}
