"""Sample parameters for every template: a new template must add its sample here to be tested."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.templates import CommandDoc
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import Named
from handlers.recognition.thanks import Refusal

BOB = Named(2, "bob", "bob", ("热心答主", "活动组织者"))
CAROL = Named(3, "carol", "carol")
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
    "recognition/problem_needs_member": {},
    "recognition/problem_points_amount": {"most": 100000},
    "recognition/problem_needs_reason": {},
    "recognition/not_enough_points": {"member": BOB, "balance": 30, "amount": 50},
    "recognition/points_changed": {"changed": [{"member": BOB, "balance": 70}, {"member": CAROL, "balance": 20}],
                                   "amount": -20, "reason": "重复发放"},
    "recognition/problem_unknown_title": {"title": "大神", "titles": ["热心答主", "活动组织者"]},
    "recognition/title_changed": {"changed": [BOB, CAROL], "unchanged": [CAROL], "title": "热心答主", "granted": True},
    "recognition/title_unchanged": {"unchanged": [BOB], "title": "热心答主", "granted": False},
    "recognition/problem_needs_event": {},
    "recognition/event_credited": {"organisers": [BOB, CAROL], "event": "周末读书会", "points": 30,
                                   "title": "活动组织者", "titled": [CAROL]},
    "recognition/problem_needs_thanks_id": {},
    "recognition/no_such_thanks": {"id": 12},
    "recognition/thanks_not_counting": {"id": 12, "why": "cooldown"},
    "recognition/thanks_revoked": {"id": 12, "giver": CAROL, "receiver": BOB, "reason": "谢谢 @bob", "month": "2026-12",
                                   "count": 9},
    "recognition/nothing_to_undo": {},
    "recognition/undone": {
        "kind": "event_credit", "when": datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        "points": [{"member": BOB, "amount": 30}], "titles": [{"member": BOB, "title": "活动组织者", "granted": True}],
        "thanks": [{"id": 12, "giver": CAROL, "receiver": BOB}],
    },
}
