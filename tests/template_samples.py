"""Sample parameters for every template: a new template must add its sample here to be tested."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.outbox import Destination
from bot.templates import CommandDoc
from handlers.campaigns.config import RewardRule
from handlers.feedback.config import FeedbackSection
from handlers.feedback.items import Item
from handlers.feedback.rewards import Reward
from handlers.feedback.similar import Similar
from handlers.feedback.tables import Kind, Status
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import Named
from handlers.recognition.thanks import Refusal

BOB = Named(2, "bob", "bob", ("热心答主", "活动组织者"))
CAROL = Named(3, "carol", "carol")
RULES = RecognitionSection(newcomer_days=7)
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

SAMPLES: dict[str, dict] = {
    "core/pong": {},
    "web/link": {"url": "http://127.0.0.1:8642/signin/abc", "minutes": 10},
    "web/disabled": {},
    "core/help": {"commands": [CommandDoc("/ping", "check"), CommandDoc("/help", "help")], "in_room": True},
    "core/help_index": {
        "topics": [
            {"name": "成员", "summary": "所有成员都能用的命令", "count": 9},
            {"name": "反馈", "summary": "反馈", "count": 1},
        ],
        "example": "反馈",
    },
    "core/help_topic": {"name": "反馈", "commands": [CommandDoc("/feedback", "feedback")]},
    "core/help_unknown_topic": {"typed": "反溃", "suggestion": "反馈", "names": ["成员", "反馈"]},
    "core/help_sent_privately": {},
    "recognition/private_thanks": {},
    "koc/refused_staff": {"name": "mod", "role": "moderator"},
    "koc/refused_unseen": {"name": "zed"},
    "core/pointer": {"available": ["help", "feedback", "me"]},
    "core/pointer_staff": {"available": ["help", "fb list"]},
    "core/unknown_command": {"typed": "/pnig", "suggestion": "ping"},
    "core/subcommands": {"usages": ["/mod add @x", "/mod remove @x"]},
    "core/usage": {"usage": "/mod add @x", "problem": "please mention someone"},
    "core/problem_needs_mention": {},
    "core/refused": {"command": "/mod add", "needed": "admin", "staff": True},
    "core/wrong_place": {"only_in_room": True, "usage": "/issue open"},
    "core/apology": {},
    "core/no_such_number": {"number": "FB-99999999999"},
    "core/no_such_date": {
        "typed": "2026-02-30",
        "reason": "day",
        "year": 2026,
        "month": 2,
        "days": 28,
        "what": "date",
    },
    "core/mod_added": {"added": ["bob", "carol"], "already": ["mod"]},
    "core/mod_welcome": {"granted_by": "admin"},
    "core/mod_removed": {"removed": ["bob"], "skipped": [("mod", "config"), ("admin", "admin"), ("x", "no")]},
    "core/scheduled_missed": {"job": "announce:12", "when": WHEN, "count": 3, "grace": 60},
    "core/scheduled_failed": {"job": "honour_roll", "when": WHEN},
    "core/heavy_working": {},
    "core/heavy_failed": {},
    "core/heavy_timed_out": {"seconds": 120},
    "core/heavy_abandoned": {"asked": "/活动 报告 3"},
    "core/problem_which_rooms": {},
    "core/problem_unknown_room": {"room": "#x", "known": ["一群", "二群"]},
    "outreach/announcement": {"text": "周六晚 8 点直播"},
    "outreach/announce_scheduled": {
        "id": 3,
        "times": [WHEN, WHEN],
        "rooms": ["一群", "二群"],
        "cron": "0 10 * * 1",
        "quiet": True,
        "quiet_hours": "22:00-08:00",
        "sample": "hi",
        "timezone": "Asia/Shanghai",
    },
    "outreach/announce_list": {
        "items": [
            {
                "id": 3,
                "cron": None,
                "run_at": "2026-12-01 10:00",
                "rooms": ["一群"],
                "next": WHEN,
                "template": None,
                "text": "hello",
            }
        ]
    },
    "outreach/announce_show": {
        "a": {
            "id": 3,
            "status": "scheduled",
            "urgent": True,
            "rooms": ["一群"],
            "cron": "0 10 * * 1",
            "run_at": None,
            "runs": 2,
            "last": WHEN,
            "template": "weekly",
            "text": "",
        },
        "times": [WHEN],
    },
    "outreach/announce_cancelled": {"id": 3, "withdrawn": 2},
    "outreach/announce_preview": {"bodies": [("一群", "hello")], "times": [WHEN], "cron": "0 10 * * 1"},
    "outreach/announce_unknown": {"id": 9},
    "outreach/announce_not_scheduled": {"id": 3, "status": "done"},
    "outreach/problem_template_name": {},
    "outreach/problem_no_text": {},
    "outreach/problem_text_and_template": {},
    "outreach/problem_when": {"text": "明天"},
    "outreach/problem_past": {"when": "2026-11-30 10:00", "now": "2026-12-01 09:00"},
    "outreach/problem_cron": {"reason": "outside", "field": "hour", "token": "25", "low": 0, "high": 23, "count": 0},
    "outreach/problem_needs_id": {},
    "outreach/problem_unknown_template": {"name": "x", "known": ["weekly"]},
    "outreach/brief": {"name": "bob", "month": "2026-12", "points": ["新品 X1 的续航", "冬季保养"]},
    "outreach/brief_saved": {"month": "2026-12", "points": ["a", "b"], "late": True, "sent": 3},
    "outreach/brief_show": {"month": "2026-12", "points": ["a"], "sent": 2, "kocs": 5},
    "outreach/brief_none": {"month": "2026-12"},
    "outreach/brief_sent": {"month": "2026-12", "count": 4, "opted_out": 1},
    "outreach/problem_brief_month": {},
    "outreach/problem_brief_points": {},
    "outreach/send_problem": {"reason": "word", "word": "--x"},
    "outreach/send_unknown": {"id": 3},
    "outreach/send_not_awaiting": {"id": 3, "status": "done"},
    "outreach/send_cancelled": {"id": 3, "runs": 2, "withdrawn": 5, "cron": "0 10 * * 1"},
    "outreach/send_not_cancellable": {"id": 3, "status": "done"},
    "outreach/status_name": {"kind": "feedback", "status": "adopted"},
    "outreach/send_confirmed": {"id": 3, "cron": "0 10 * * 1", "times": [datetime(2026, 12, 7, 10, 0)]},
    "outreach/send_scheduled": {
        "id": 3,
        "segment": "新人",
        "template": "hi",
        "count": 40,
        "cron": "0 10 * * 1",
        "times": [datetime(2026, 12, 7, 10, 0), datetime(2026, 12, 14, 10, 0)],
        "timezone": "Asia/Shanghai",
        "awaiting": True,
        "confirm_over": 20,
    },
    "outreach/send_awaiting": {"id": 3, "count": 40, "confirm_over": 20},
    "outreach/send_queued": {
        "id": 3,
        "queued": 40,
        "left": 1,
        "failed": 0,
        "opted_out": 1,
        "run": 2,
        "recurring": True,
    },
    "outreach/send_dry_run": {
        "segment": "新人",
        "template": "hi",
        "count": 40,
        "quiet": 0,
        "budget": 2,
        "opted_out": 1,
        "left": 0,
        "failed": 0,
        "samples": [{"name": "bob", "text": "你好 bob\n回复 TD 退订"}],
        "over": True,
        "confirm_over": 20,
        "times": [datetime(2026, 12, 7, 10, 0)],
        "cron": None,
        "timezone": "Asia/Shanghai",
    },
    "outreach/send_columns": {},
    "outreach/send_show": {
        "id": 3,
        "segment": "新人",
        "template": "hi",
        "status": "scheduled",
        "targeted": 4,
        "states": {},
        "runs": [
            {"run": 1, "at": datetime(2026, 12, 7, 10, 0), "targeted": 4, "states": {"sent": 2, "opted_out": 1}},
            {"run": 2, "at": datetime(2026, 12, 14, 10, 0), "targeted": 3, "states": {"held_budget": 1}},
        ],
        "cron": "0 10 * * 1",
        "at": None,
        "next": [datetime(2026, 12, 21, 10, 0)],
        "waiting": None,
        "timezone": "Asia/Shanghai",
    },
    "outreach/segment_problem": {
        "reason": "unknown_value",
        "field": "阶段",
        "field_en": "stage",
        "value": "老大",
        "allowed": ["活跃"],
        "allowed_en": ["active"],
        "fields": ["阶段"],
        "fields_en": ["stage"],
    },
    "outreach/segment_problem_name": {"name": "a b"},
    "outreach/segment_unknown": {"name": "x", "known": ["新人"]},
    "outreach/segment_saved": {"name": "新人", "expression": "入群<=7", "count": 12, "created": True},
    "outreach/segment_show": {"name": "新人", "expression": "入群<=7", "count": 12, "members": ["bob", "carol"]},
    "outreach/segment_list": {"segments": [{"name": "新人", "expression": "入群<=7"}]},
    "outreach/segment_deleted": {"name": "新人"},
    "outreach/opted_out": {"name": "bob", "before": False},
    "outreach/opted_in": {"name": "bob", "before": False},
    "outreach/opt_out_hint": {},
    "journeys/step": {"text": "bob，你好！", "hint": "回复 TD 退订"},
    "journeys/newcomer_feedback": {"name": "bob"},
    "journeys/newcomer_thanks": {"name": "bob"},
    "journeys/koc_voice": {"name": "bob"},
    "journeys/koc_feedback": {"name": "bob"},
    "journeys/list": {
        "journeys": [
            {"name": "newcomer", "on": True, "trigger": "joined", "campaign": None, "steps": 2, "active": 3},
            {"name": "x1", "on": False, "trigger": "campaign", "campaign": "X1 预热", "steps": 1, "active": 0},
        ]
    },
    "journeys/show": {
        "name": "newcomer",
        "on": True,
        "trigger": "joined",
        "campaign": None,
        "goal": ["feedback", "thanked"],
        "reentry": "never",
        "steps": [
            {
                "days": 3,
                "hours": 0,
                "minutes": 0,
                "at": "10:00",
                "template": "journeys/newcomer_feedback",
                "skip_if": "feedback",
                "sent": 2,
                "skipped": 1,
                "failed": 0,
            },
            {
                "days": 1,
                "hours": 12,
                "minutes": 30,
                "at": None,
                "template": "hi",
                "skip_if": None,
                "sent": 0,
                "skipped": 0,
                "failed": 1,
            },
        ],
        "active": 2,
        "done": 1,
        "exited": {"goal": 1, "left": 2},
    },
    "journeys/switched": {
        "name": "newcomer",
        "on": False,
        "before": True,
        "ended": 3,
        "trigger": "joined",
        "campaign": None,
    },
    "journeys/unknown": {"name": "newcomers", "known": ["new_koc", "newcomer"]},
    "journeys/problem_name": {},
    "koc/exit_checklist": {
        "name": "bob",
        "opened": True,
        "items": [
            {"id": 1, "text": "FB-1「闪退」", "due": "2026-12-05", "overdue": True, "source": "outcome"},
            {"id": 2, "text": "名额", "due": None, "overdue": False, "source": "manual"},
        ],
    },
    "koc/exit_thanks": {
        "name": "bob",
        "title": "品牌名人堂",
        "contribution": {"thanks": 12, "feedback": 2, "threads": 1},
    },
    "koc/exit_public": {"name": "bob", "title": "品牌名人堂"},
    "koc/exit_owner": {"name": "bob", "by": "admin"},
    "koc/exit_done": {"name": "bob", "title": "品牌名人堂", "rooms": ["一群", "二群"]},
    "koc/exit_not_koc": {"name": "bob", "stage": "member"},
    "koc/halloffame": {
        "alumni": [
            {"name": "bob", "since": WHEN, "until": WHEN, "back": True, "thanks": 3, "feedback": 1, "threads": 0}
        ],
        "zone": ZoneInfo("Asia/Shanghai"),
    },
    "koc/return_welcome": {"name": "bob"},
    "koc/return_done": {"name": "bob"},
    "koc/return_not_alumnus": {"name": "bob", "stage": "active"},
    "outreach/moderators_digest": {"week": "2026-W49", "sections": ["a", "b"]},
    "core/mod_list": {"staff": [{"name": "admin", "role": "admin"}, {"name": "mod", "role": "moderator"}]},
    "core/outbox_parked": {
        "id": 12,
        "where": Destination(True, "KOC 一群"),
        "attempts": 5,
        "error": "TransportError('the puppet service did not send it: timeout')",
    },
    "core/outbox": {
        "due": 3,
        "lanes": [
            {"kind": "reply", "waiting": 1, "oldest": {"id": 31, "where": Destination(True, "KOC 一群"), "minutes": 0}},
            {"kind": "transactional", "waiting": 0, "oldest": None},
            {
                "kind": "unsolicited",
                "waiting": 2,
                "oldest": {"id": 7, "where": Destination(False, "bob"), "minutes": 12},
            },
        ],
        "scheduled": 2,
        "sending": 1,
        "failed": 12,
        "failed_rows": [
            {"id": 12, "where": Destination(True, "KOC 一群"), "attempts": 5, "error": "TransportError('timeout')"},
            {"id": 9, "where": Destination(False, "bob"), "attempts": 5, "error": "TransportError('refused')"},
        ],
        "sent_rows": [{"id": 30, "where": Destination(False, "bob"), "at": WHEN, "preview": "你好"}],
    },
    "core/outbox_sent_privately": {},
    "core/outbox_retried": {"ids": [12, 13]},
    "core/outbox_nothing_failed": {},
    "core/outbox_retry_unknown": {"id": 99},
    "core/outbox_retry_not_failed": {"id": 30, "status": "sent"},
    "core/problem_outbox_retry": {},
    "recognition/thanks_recorded": {
        "counted": [BOB, CAROL],
        "rules": RULES,
        "refused": [Refusal(why, (CAROL,)) for why in ("self", "bot", "cooldown", "daily_cap", "newcomer")],
    },
    "recognition/threshold_reached": {
        "member": BOB,
        "count": 10,
        "points": 50,
        "title": "热心答主",
        "month": "2026-12",
    },
    "recognition/problem_needs_receiver": {},
    "recognition/problem_needs_member": {},
    "recognition/problem_points_amount": {"most": 100000},
    "recognition/problem_needs_reason": {},
    "recognition/not_enough_points": {"member": BOB, "balance": 30, "amount": 50},
    "recognition/points_changed": {
        "changed": [{"member": BOB, "balance": 70}, {"member": CAROL, "balance": 20}],
        "amount": -20,
        "reason": "重复发放",
    },
    "recognition/problem_unknown_title": {"title": "大神", "titles": ["热心答主", "活动组织者"]},
    "recognition/title_changed": {"changed": [BOB, CAROL], "unchanged": [CAROL], "title": "热心答主", "granted": True},
    "recognition/title_unchanged": {"unchanged": [BOB], "title": "热心答主", "granted": False},
    "recognition/problem_needs_event": {},
    "recognition/event_credited": {
        "organisers": [BOB, CAROL],
        "event": "周末读书会",
        "points": 30,
        "title": "活动组织者",
        "titled": [CAROL],
    },
    "recognition/problem_needs_thanks_id": {},
    "recognition/no_such_thanks": {"id": 12},
    "recognition/thanks_not_counting": {"id": 12, "why": "cooldown"},
    "recognition/thanks_revoked": {
        "id": 12,
        "giver": CAROL,
        "receiver": BOB,
        "reason": "谢谢 @bob",
        "month": "2026-12",
        "count": 9,
    },
    "recognition/nothing_to_undo": {},
    "recognition/undone": {
        "kind": "event_credit",
        "when": WHEN,
        "points": [{"member": BOB, "amount": 30}],
        "titles": [{"member": BOB, "title": "活动组织者", "granted": True}],
        "thanks": [{"id": 12, "giver": CAROL, "receiver": BOB}],
    },
    "recognition/me_sent": {},
    "recognition/me": {
        "me": BOB,
        "month": "2026-12",
        "rules": RULES,
        "to_go": 3,
        "points": 100,
        "counts": {"received_month": 7, "received_all": 30, "given_month": 4, "given_all": 12, "uncounted_month": 1},
        "by_source": [("thanks_threshold", 50), ("event", 30), ("feedback", 0), ("manual", 20)],
        "shown_month": "2026-12",
        "lines": [
            {
                "amount": 50,
                "kind": "thanks_threshold",
                "source": "thanks_threshold",
                "reason": "2026-11",
                "when": WHEN,
                "undone": False,
            },
            {"amount": 30, "kind": "manual", "source": "manual", "reason": "线下活动", "when": WHEN, "undone": True},
            {"amount": -30, "kind": "undo", "source": "manual", "reason": "线下活动", "when": WHEN, "undone": False},
            {
                "amount": -20,
                "kind": "deduction",
                "source": "manual",
                "reason": "重复发放",
                "when": WHEN,
                "undone": False,
            },
        ],
        "earlier": {"count": 3, "month": "2026-11"},
        "earning": {"feedback": FeedbackSection(), "campaigns": [RewardRule()]},
    },
    "recognition/problem_top_word": {"word": "weekly"},
    "recognition/top": {
        "board": "thanks",
        "month": "2026-12",
        "brand": False,
        "community": "新品体验一群",
        "me": 9,
        "top": [{"place": 1, "member": BOB, "score": 12}, {"place": 2, "member": CAROL, "score": 8}],
        "more_tied": 2,
        "caller": {"place": 14, "member": CAROL, "score": 2},
    },
    "recognition/thanks_list": {
        "member": BOB,
        "received": 12,
        "given": 3,
        "limit": 2,
        "entries": [
            {
                "id": 12,
                "when": WHEN,
                "giver": CAROL,
                "receiver": BOB,
                "counted": True,
                "why": None,
                "reason": "谢谢 @bob 帮我查到了物流，真的太及时了，不然我就要错过活动了，非常非常感谢你的帮助",
            },
            {
                "id": 11,
                "when": WHEN,
                "giver": BOB,
                "receiver": None,
                "counted": False,
                "why": "bot",
                "reason": "谢谢 @kocbot",
            },
        ],
    },
    "recognition/honour_roll": {
        "month": "2026-11",
        "threshold": 10,
        "honoured": [
            {
                "member": BOB,
                "count": 14,
                "points": 150,
                "quotes": [{"reason": "谢谢 @bob 耐心教我设置夜间模式", "giver": CAROL}],
            },
            {"member": CAROL, "count": 10, "points": 50, "quotes": []},
        ],
    },
    "recognition/honour_roll_done": {
        "month": "2026-11",
        "posted": ["新品体验一群"],
        "empty": ["Overseas users"],
        "already": [("老用户群", WHEN)],
        "threshold": 10,
    },
    "recognition/problem_month": {"text": "上个月"},
    "recognition/month_not_over": {"month": "2026-12"},
}

# Structured feedback (handlers/feedback).
FB = Item(
    42,
    Kind.BUG,
    Status.SHIPPED,
    "下单页闪退",
    "下单页点击支付后闪退",
    "1. 加购 2. 支付",
    "正常支付",
    "App 2.2",
    2,
    "研发",
    "v2.3",
    None,
    WHEN,
)
FB_NEW = Item(
    50,
    Kind.SUGGESTION,
    Status.SUBMITTED,
    "希望支持深色模式",
    "晚上看屏幕太亮",
    "",
    "深色模式",
    "",
    3,
    None,
    None,
    42,
    WHEN,
)
FB_EVENT = type(
    "Event", (), {"created_at": WHEN, "actor_id": 2, "what": "status", "to_status": "reproduced", "note": "已复现"}
)()
FB_DATA = {
    "kind": "bug",
    "scenario": "下单页点击支付后闪退",
    "steps": "1. 加购 2. 支付",
    "expected": "正常支付",
    "product": "App 2.2",
}
SAMPLES.update(
    {
        "feedback/submitted": {
            "item": FB_NEW,
            "similar": [FB],
            "days": 3,
            "note": "发布说明见公众号",
            "cut": [("scenario", 2000), ("product", 128)],
        },
        "feedback/form_unreadable": {},
        "feedback/form_too_short": {"short": [("scenario", 6), ("expected", 4)]},
        "feedback/form_missing": {"missing": ["kind", "scenario", "steps", "expected"], "kind": None},
        "feedback/problem_needs_item": {},
        "feedback/already_on_item": {"item": FB},
        "feedback/plus_one_added": {"item": FB, "details": "我也遇到了"},
        "feedback/no_such_item": {"id": 7},
        "feedback/item_closed": {"item": FB},
        "feedback/item_closed_staff": {"item": FB, "reopen": True},
        "feedback/wizard_started": {},
        "feedback/ask": {"step": "confirm", "data": FB_DATA, "steps": {"at": 5, "of": 5}},
        "feedback/bad_answer": {"step": "scenario", "least": 6},
        "feedback/answer_too_long": {"most": 2000},
        "feedback/back_at_start": {},
        "feedback/wizard_cancelled": {},
        "feedback/wizard_reminder": {"left": timedelta(hours=2), "hours": "2"},
        "feedback/wizard_expired": {},
        "feedback/status_changed": {"item": FB, "before": "adopted", "note": "修复了", "told": 3, "rewarded": 1},
        "feedback/problem_needs_status": {"statuses": ["acknowledged", "reproduced"]},
        "feedback/status_has_command": {"status": "shipped"},
        "feedback/status_same": {"item": FB},
        "feedback/status_wrong_kind": {"item": FB_NEW, "status": "reproduced"},
        "feedback/status_not_allowed": {"item": FB_NEW, "status": "adopted", "allowed": ["acknowledged"]},
        "feedback/problem_needs_version": {},
        "feedback/problem_needs_reason": {},
        "feedback/problem_department": {"department": "市场", "departments": ["产品", "研发"]},
        "feedback/assigned": {"item": FB},
        "feedback/notice": {
            "what": "status",
            "item": FB,
            "note": "v2.3 修复",
            "role": "reporter",
            "reward": Reward(50, "荣誉产品顾问"),
        },
        "feedback/merge_same": {"item": FB},
        "feedback/merged": {"source": FB_NEW, "target": FB, "joined": 2, "score": 78},
        "feedback/list": {"items": [FB, FB_NEW], "status": None},
        "feedback/show": {
            "item": FB,
            "names": {2: BOB},
            "events": [FB_EVENT],
            "reporters": [BOB],
            "tz": WHEN.tzinfo,
            "plus_ones": [(CAROL, "我也是")],
            "similar": [Similar(FB_NEW, 78)],
        },
        "feedback/overdue": {"items": [FB_NEW], "days": 3, "now": WHEN},
        "feedback/credits": {"version": "v2.3", "names": ["bob", "carol"], "items": [FB]},
        "feedback/credits_markdown": {"version": "v2.3", "names": ["bob", "carol"], "items": [FB]},
        "feedback/credits_columns": {"version": "v2.3"},
        "feedback/export_columns": {},
    }
)

# Issue threads (handlers/threads).
_THREAD = {
    "id": 12,
    "title": "登录失败",
    "status": "fixing",
    "department": "技术部",
    "created_at": WHEN,
    "resolutions": 1,
    "flagged": True,
}
_REPORTERS = [
    {"name": "bob", "answer": "yes"},
    {"name": "carol", "answer": "no"},
    {"name": "dave", "answer": "asked"},
    {"name": "erin", "answer": "no_answer"},
    {"name": "fay", "answer": None},
]
_LINE = {"id": 12, "title": "登录失败", "status": "open", "department": None, "age": 9, "flagged": True}
SAMPLES.update(
    {
        "threads/problem_needs_number": {},
        "threads/problem_needs_title": {},
        "threads/no_source": {"number": 7},
        "threads/opened_from": {"id": 12, "room": "产品交流群"},
        "listening/note": {"number": 3, "who": "alice", "room": "产品交流群", "text": "耳机右边没声音了"},
        "listening/ignored": {"number": 3},
        "listening/already_acted": {"number": 3, "status": "ignored"},
        "listening/no_such_note": {"number": 3},
        "listening/problem_needs_number": {},
        "listening/nudge_koc": {"number": 4, "who": "alice", "room": "产品交流群", "text": "怎么配对？", "minutes": 20},
        "listening/nudge": {"number": 4, "who": "alice", "room": "产品交流群", "text": "怎么配对？", "minutes": 20},
        "listening/escalate": {"number": 4, "who": "alice", "room": "产品交流群", "text": "怎么配对？", "minutes": 80},
        "listening/acknowledge": {"names": ["alice", "bob"]},
        "listening/list": {
            "rooms": {
                "产品交流群": {
                    "complaints": [{"number": 3, "who": "alice", "text": "右边没声音了", "minutes": 12}],
                    "questions": [{"number": 4, "who": "bob", "text": "怎么配对？", "minutes": 25}],
                }
            }
        },
        "listening/digest": {
            "rooms": {"产品交流群": {"complaints": 3, "threads": 1, "ignored": 1, "asked": 5, "answered": 4}}
        },
        "threads/problem_needs_text": {},
        "threads/problem_needs_reason": {},
        "threads/problem_needs_member": {},
        "threads/problem_at": {},
        "threads/problem_at_past": {},
        "threads/problem_status": {},
        "threads/problem_link_where": {},
        "threads/problem_department": {"department": "财务部", "departments": ["产品部", "技术部"]},
        "threads/no_such_thread": {"id": 12},
        "threads/no_such_feedback": {"item": 42},
        "threads/nothing_linked": {"id": 12},
        "threads/already_resolved": {"id": 12},
        "threads/not_resolved": {"id": 12},
        "threads/opened": {"id": 12, "title": "登录失败", "reporters": ["bob", "carol"]},
        "threads/linked": {"id": 12, "title": "登录失败", "reporters": ["dave"]},
        "threads/feedback_linked": {"id": 12, "items": [42, 43]},
        "threads/followed": {"id": 12, "title": "登录失败", "already": True},
        "threads/routed": {"id": 12, "department": "产品部"},
        "threads/noted": {"id": 12},
        "threads/status_set": {"id": 12, "status": "investigating"},
        "threads/support": {"name": "bob", "title": "登录失败"},
        "threads/support_sent": {"id": 12, "members": ["bob", "carol"]},
        "threads/show": {
            "thread": _THREAD,
            "age": 9,
            "rooms": ["一群", "二群"],
            "reporters": _REPORTERS,
            "followers": ["gus"],
            "confirmed": 1,
            "reporter_count": 5,
            "items": [42],
            "scheduled": True,
            "history": [
                {"at": WHEN, "kind": kind, "text": "fixing" if kind == "status" else "备注", "by": "mod"}
                for kind in (
                    "open",
                    "link",
                    "follow",
                    "route",
                    "note",
                    "status",
                    "support",
                    "resolve",
                    "reopen",
                    "confirm",
                    "flag",
                    "feedback",
                )
            ],
        },
        "threads/list": {"which": "open", "threads": [_LINE]},
        "threads/list_unknown": {"word": "财务", "departments": ["产品部"]},
        "threads/digest": {
            "groups": [
                {"department": "产品部", "count": 2, "threads": [_LINE]},
                {"department": None, "count": 1, "threads": [_LINE]},
            ]
        },
        "threads/preview": {"id": 12, "at": WHEN, "notices": [{"room": "一群", "text": "@bob 关于上周……"}]},
        "threads/resolution": {
            "id": 12,
            "title": "登录失败",
            "text": "已修复",
            "when": "上周",
            "on_date": False,
            "again": True,
            "reporters": ["bob", "carol"],
        },
        "threads/resolved": {"id": 12, "rooms": ["一群", "二群"], "at": WHEN, "again": True},
        "threads/resolved_follower": {"id": 12, "title": "登录失败", "text": "已修复"},
        "threads/reopened": {"id": 12, "withdrawn": True},
        "threads/resolve_prompt": {"id": 12, "title": "登录失败", "item": "FB-42"},
        "threads/confirm_question": {"name": "bob", "id": 12, "title": "登录失败", "text": "已修复"},
        "threads/confirm_late": {"id": 12},
        "threads/confirm_thanks": {"id": 12},
        "threads/confirm_not_fixed": {"id": 12, "reopened": False},
        "threads/moderator_not_fixed": {
            "id": 12,
            "title": "登录失败",
            "member": "bob",
            "text": "还是不行",
            "reopened": True,
        },
    }
)

# Moderator-authored templates and welcomes (handlers/outreach/custom_templates.py, welcome.py).
_NEEDS = {"reason": "needs", "detail": "member"}
REFUSALS: dict[str, dict[str, Any]] = {
    "empty": {},
    "too_long": {"length": 2400, "limit": 2000},
    "syntax": {"detail": "unexpected '}'"},
    "variable": {"what": "cycler", "known": ["community", "member"]},
    "field": {"variable": "member", "field": "nick", "fields": ["name", "points", "titles"]},
    "internals": {"what": "__class__"},
    "filter": {"what": "center", "allowed": ["join", "upper"]},
    "call": {"what": "format"},
    "tag": {"what": "set"},
    "loop": {},
    "percent": {},
    "unsafe": {"detail": "access to attribute 'format' of 'str' object is unsafe."},
    "test": {"what": "callable", "allowed": ["defined", "odd"]},
    "nesting": {},
    "literal": {"filter": "round", "argument": "precision", "kind": "int", "low": -9, "high": 9},
    "argument": {"filter": "truncate", "argument": "length", "kind": "int", "low": 0, "high": 4000},
    "arguments": {"filter": "round", "most": 2},
    "argument_name": {"filter": "round", "argument": "digits", "known": ["precision", "method"]},
    "steps": {"limit": 10000},
    "output": {"limit": 4000},
    "text": {"limit": 4000},
    "number": {},
    "list_repeat": {},
    "range": {"limit": 10000},
    "time": {"seconds": 1.0},
    "memory": {"megabytes": 256},
    "crashed": {"detail": "worker 42 ended (exit code -9)"},
}
# Each kind of argument a refusal may describe (the "argument" reason, worded per kind).
ARGUMENT_KINDS = [
    {"kind": "int"},
    {"kind": "number"},
    {"kind": "bool"},
    {"kind": "text", "high": 100},
    {"kind": "name"},
    {"kind": "choice", "choices": ["common", "ceil", "floor"]},
    {"kind": "filter"},
    {"kind": "test"},
    {"kind": "any"},
]
SAMPLES.update(
    {
        "outreach/welcome": {"name": "dave", "community": "新品体验一群"},
        "outreach/template_text": {"text": "欢迎 @dave！"},
        "outreach/template_saved": {
            "name": "welcome",
            "created": True,
            "variables": ["community", "member"],
            "preview": "欢迎 @bob 加入一群！",
            "failure": None,
        },
        "outreach/template_show": {
            "name": "welcome",
            "source": "欢迎 @member.name",
            "variables": [],
            "by": "mod",
            "at": WHEN,
            "preview": None,
            "failure": _NEEDS,
        },
        "outreach/template_list": {
            "templates": [
                {"name": "welcome", "variables": ["member"], "at": WHEN, "by": "mod"},
                {"name": "notice", "variables": [], "at": WHEN, "by": "admin"},
            ]
        },
        "outreach/template_deleted": {"name": "welcome"},
        "outreach/template_unknown": {"name": "welcome"},
        "outreach/template_refused": {
            "reason": "field",
            "line": 2,
            "details": REFUSALS["field"],
        },  # each: test_custom_templates
        "outreach/template_render_failed": {
            "name": "welcome",
            "reason": "time",
            "detail": "",
            "line": None,
            "details": {"seconds": 1.0, "detail": ""},
        },
        "outreach/template_skipped": {
            "what": "announcement",
            "number": 3,
            "template": "weekly",
            "rooms": ["一群"],
            "others": 2,
            "failure": {
                "name": "weekly",
                "reason": "steps",
                "detail": "",
                "line": 2,
                "details": {"limit": 10000, "detail": ""},
            },
            "refused": False,
        },
        "outreach/template_help": {
            "examples": {
                "variable": "member.name",
                "time": "now.strftime('%H:%M')",
                "welcome": "/模板 设置 welcome 欢迎 @member.name",
            },
            "limits": {"steps": 10000, "output": 4000, "seconds": 1.0},
        },
        "outreach/template_problem_needs_name": {},
        "outreach/template_problem_name": {"name": "a b"},
        "outreach/template_problem_needs_text": {"name": "welcome"},
    }
)

# The KOC candidate pool, invitations, early warning and authenticity.
from handlers.koc.pool import Candidate  # noqa: E402 - grouped with the samples that use it

POOL = [
    Candidate(2, "bob", "member", None, thanks=12, feedback=2, threads=1, weeks=9, discussion=5, score=36.5),
    Candidate(3, "carol", "candidate", WHEN, thanks=0, feedback=0, threads=0, weeks=1, discussion=0, score=0.5),
]
SAMPLES.update(
    {
        "koc/replacements": {"member": "dave", "stage": "resting", "candidates": POOL, "window": 30, "weeks": 10},
    }
)

# KOC records, promises, exit with honour and the hall of fame (handlers/koc/records.py, promises.py, exits.py).
_PROMISE = {
    "id": 3,
    "text": "活动名额：12 月线下见面会",
    "due": "2026-12-20",
    "overdue": True,
    "source": "manual",
    "name": "bob",
}
SAMPLES.update(
    {
        "koc/promoted": {"name": "bob", "domain": "private"},
        "koc/promote_welcome": {"name": "bob", "domain": "public", "owner": "mod", "response_days": 7},
        "koc/rested": {"name": "bob", "reason": "工作太忙"},
        "koc/show": {
            "name": "bob",
            "stage": "active",
            "domain": "private",
            "since": WHEN,
            "owner": "mod",
            "history": [
                {
                    "at": WHEN,
                    "kind": "promote",
                    "from_stage": "member",
                    "to_stage": "active",
                    "by": "mod",
                    "reason": "热心答主",
                    "details": {},
                },
                {
                    "at": WHEN,
                    "kind": "title_term",
                    "from_stage": None,
                    "to_stage": None,
                    "by": "mod",
                    "reason": None,
                    "details": {"term_id": 1, "title": "荣誉产品顾问", "months": 6},
                },
                {
                    "at": WHEN,
                    "kind": "exit_opened",
                    "from_stage": "active",
                    "to_stage": "active",
                    "by": "mod",
                    "reason": None,
                    "details": {"exit": 1},
                },
            ],
            "promises": [_PROMISE],
        },
        "koc/list": {
            "kocs": [{"name": "bob", "stage": "active", "domain": "public", "since": WHEN, "owner": "mod"}],
            "stage": "active",
            "domain": "public",
        },
        "koc/problem_rec_needs_member": {},
        "koc/problem_rec_domain": {},
        "koc/problem_rec_already_active": {"name": "bob"},
        "koc/problem_rec_not_active": {"name": "bob"},
        "koc/problem_rec_not_koc": {"name": "bob"},
        "koc/problem_rec_is_alumni": {"name": "bob"},
        "koc/problem_rec_list_word": {"word": "大神"},
        "koc/promise_added": {"id": 3, "name": "bob", "text": "线下见面会名额", "due": "2026-12-20"},
        "koc/promises": {"name": None, "promises": [_PROMISE, {**_PROMISE, "source": "feedback", "overdue": False}]},
        "koc/promises_digest": {"promises": [_PROMISE, {**_PROMISE, "source": "reward"}]},
        "koc/promise_kept": {"id": 3, "text": "线下见面会名额", "note": "已寄出"},
        "koc/promise_waived": {"id": 3, "text": "线下见面会名额", "reason": "活动取消"},
        "koc/problem_rec_promise_text": {},
        "koc/problem_rec_due": {},
        "koc/problem_rec_promise_id": {},
        "koc/problem_rec_no_such_promise": {"id": 9},
        "koc/problem_rec_promise_settled": {"id": 3, "status": "kept"},
        "koc/problem_rec_waive_reason": {},
    }
)

# KOC agreements and their reminders (handlers/koc/agreements.py, agreement_wizard.py, reminders.py).
AGREEMENT = {
    "id": 1,
    "status": "active",
    "member": "bob",
    "deliverables": "每月 2 篇测评",
    "cadence": "每两周一篇",
    "ownership": "版权归作者",
    "starts": "2027-01-01",
    "ends": "2027-06-30",
    "deliverable_dates": ["2027-01-15", "2027-02-15"],
    "payments": [{"due": "2027-01-31", "what": "首期 50%"}, {"due": "2027-06-30", "what": "尾款"}],
}
SAMPLES.update(
    {
        "koc/agreement_started": {"member": "bob"},
        "koc/agreement_ask": {"step": "confirm", "data": AGREEMENT, "steps": {"at": 7, "of": 7}},
        "koc/agreement_bad_answer": {
            "step": "deliverable_dates",
            "problem": "outside",
            "text": "2028-01-01",
            "starts": "2027-01-01",
            "ends": "2027-06-30",
        },
        "koc/agreement_back_at_start": {},
        "koc/agreement_cancelled": {"member": "bob"},
        "koc/agreement_expired": {},
        "koc/agreement_saved": {"id": 1, "member": "bob", "days": 3},
        "koc/agreement_show": {"a": AGREEMENT, "member": "bob", "owner": "mod"},
        "koc/agreements_columns": {},
        "koc/agreement_none": {"member": "bob"},
        "koc/agreement_sent_privately": {"member": "bob"},
        "koc/agreement_private_domain": {"member": "bob"},
        "koc/problem_agr_needs_member": {},
        "koc/reminder": {
            "kind": "payment",
            "member": "bob",
            "due": "2027-01-31",
            "what": "首期 50%",
            "days": 3,
            "id": 1,
        },
    }
)
SAMPLES.update(
    {
        "koc/candidates": {"candidates": POOL, "total": 7, "window": 30, "weeks": 10},
        "koc/candidates_sent": {},
        "koc/invite": {"name": "bob", "inviter": "mod"},
        "koc/invite_sent": {"member": "bob", "later": WHEN, "why": "budget"},
        "koc/invite_refused_opted_out": {"member": "bob", "when": WHEN},
        "koc/invite_refused_stage": {"member": "bob", "stage": "active"},
        "koc/invite_refused_recent": {"member": "bob", "when": WHEN, "days": 30},
        "koc/problem_pool_count": {"most": 50},
        "koc/problem_pool_one_member": {},
    }
)
from handlers.koc.health import Trend  # noqa: E402

SAMPLES.update(
    {
        "koc/health": {
            "flagged": [
                Trend(2, "bob", (3, 1, 0, 0), (1, 0, 0, 0), (0, 1, 0, 0), 16, True),
                Trend(4, "dave", (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), None, True),
            ],
            "steady": [Trend(3, "carol", (2, 4, 5, 3), (0, 1, 2, 1), (0, 0, 1, 0), 0, False)],
            "silent_days": 14,
            "weeks": 4,
        },
        "koc/health_sent": {},
    }
)

# Honorary title terms (handlers/koc/terms.py).
TERM_RECORD = {"thanks": 12, "adopted": 2, "threads": 3, "messages": 140}
_TERM = {"id": 1, "member": "bob", "title": "荣誉产品顾问", "starts": "2026-12-01", "ends": "2027-06-01"}
SAMPLES.update(
    {
        "koc/title_granted": {**_TERM, "months": 6, "held": False, "owner": "mod", "days": 14},
        "koc/title_problem_needs_member": {},
        "koc/title_problem_title": {"title": "顾问", "titles": ["热心答主", "荣誉产品顾问"]},
        "koc/title_problem_term": {"text": "半年", "most": 36},
        "koc/term_exists": {"id": 1, "member": "bob", "title": "荣誉产品顾问", "ends": "2027-06-01"},
        "koc/term_problem_id": {},
        "koc/term_unknown": {"id": 9},
        "koc/term_closed": {"id": 1, "status": "renewed"},
        "koc/term_renewed": {**_TERM, "new_id": 2, "months": 6},
        "koc/term_letend": {"id": 1, "member": "bob", "title": "荣誉产品顾问", "ends": "2027-06-01", "now": False},
        "koc/term_review": {**_TERM, "record": TERM_RECORD, "days": 14},
        "koc/term_undecided": _TERM,
        "koc/term_thanks": {
            "name": "bob",
            "title": "荣誉产品顾问",
            "starts": "2026-12-01",
            "ends": "2027-06-01",
            "record": TERM_RECORD,
        },
    }
)
SAMPLES.update(
    {
        "koc/brief_copy": {
            "member": "bob",
            "community": "一群",
            "month": "2026-12",
            "percent": 95,
            "text": "新品 X1 的续航比上一代提升了百分之三十，日常通勤一周只需要充一次电",
        },
    }
)

# Campaigns, keywords, talking points and clue drops (handlers/campaigns/manage.py, clues.py).
_CAMPAIGN = {"id": 1, "name": "新品 X1 预热"}
_CAMPAIGN_SUMMARY = {
    "id": 1,
    "name": "新品 X1 预热",
    "open": True,
    "launch": "2026-12-15",
    "rooms": ["一群", "二群"],
    "clues": {"posted": 1, "scheduled": 2},
    "ends": WHEN,
}
_PERIOD = {"starts": WHEN, "ends": WHEN, "last_day": "2026-12-22", "days_after": 7}
SAMPLES.update(
    {
        "campaigns/created": {
            **_CAMPAIGN,
            **_PERIOD,
            "rooms": ["一群", "二群"],
            "launch": "2026-12-15",
            "timezone": "Asia/Shanghai",
        },
        "campaigns/list": {
            "items": [_CAMPAIGN_SUMMARY, {**_CAMPAIGN_SUMMARY, "id": 2, "open": False, "clues": {}}],
            "more_closed": 3,
        },
        "campaigns/show": {
            **_PERIOD,
            "c": _CAMPAIGN_SUMMARY,
            "keywords": ["新品", "X1"],
            "points": ["续航", "手感"],
            "timezone": "Asia/Shanghai",
            "clues": [
                {
                    "id": 3,
                    "at": WHEN,
                    "status": "scheduled",
                    "told": 0,
                    "heads_up": WHEN,
                    "text": "猜猜看",
                    "template": None,
                },
                {
                    "id": 4,
                    "at": WHEN,
                    "status": "posted",
                    "told": 2,
                    "heads_up": WHEN,
                    "text": "",
                    "template": "teaser",
                },
            ],
        },
        "campaigns/closed": {**_CAMPAIGN, "ends": WHEN, "cancelled": 2, "withdrawn": 1},
        "campaigns/keywords": {**_CAMPAIGN, "keywords": ["新品", "X1"], "changed": True},
        "campaigns/points": {**_CAMPAIGN, "points": ["续航", "手感"], "changed": False},
        "campaigns/clue_scheduled": {
            "id": 1,
            "clue": 3,
            "at": WHEN,
            "heads_up": WHEN,
            "heads_up_now": False,
            "minutes": 120,
            "timezone": "Asia/Shanghai",
            "kocs": 2,
            "rooms": ["一群", "二群"],
            "quiet_rooms": ["一群"],
            "heads_up_quiet": True,
            "heads_up_late": False,
            "quiet_hours": "22:00-08:00",
            "sample": "猜猜看",
            "points": False,
        },
        "campaigns/chart": {"name": "新品 X1 预热", "hourly": True, "others": 2, "clues": [1, 2]},
        "campaigns/clue_cancelled": {"id": 1, "clue": 3, "withdrawn": 2, "told": 2, "partly": False},
        "campaigns/clue": {"text": "猜猜它是什么？"},
        "campaigns/heads_up_missed": {
            "id": 1,
            "clue": 3,
            "at": WHEN,
            "timezone": "Asia/Shanghai",
            "names": ["bob", "carol"],
            "arrival": WHEN,
            "quiet_hours": "22:00-08:00",
        },
        "campaigns/heads_up_off": {
            "name": "bob",
            "campaign": "新品 X1 预热",
            "at": WHEN,
            "cancelled": True,
            "rooms": ["二群"],
            "elsewhere": True,
        },
        "campaigns/heads_up": {
            "name": "bob",
            "campaign": "新品 X1 预热",
            "at": WHEN,
            "timezone": "Asia/Shanghai",
            "rooms": ["一群"],
            "clue": "猜猜它是什么？",
            "points": ["续航", "手感"],
        },
        "campaigns/unknown": {"id": 9},
        "campaigns/clue_unknown": {"id": 9},
        "campaigns/not_open": _CAMPAIGN,
        "campaigns/clue_not_scheduled": {"clue": 3, "status": "posted"},
        "campaigns/problem_needs_id": {},
        "campaigns/problem_needs_clue_id": {},
        "campaigns/problem_name": {"length": 201, "limit": 200},
        "campaigns/problem_launch": {"text": "十二月"},
        "campaigns/problem_launch_past": {"day": "2026-11-30", "today": "2026-12-01"},
        "campaigns/problem_unexpected": {"word": "明天"},
        "campaigns/problem_keywords": {"count": 21, "limit": 20, "long": ["很长很长"], "length": 30},
        "campaigns/problem_points": {"count": 9, "limit": 8, "length": 200},
        "campaigns/problem_when": {"text": "明晚"},
        "campaigns/problem_needs_at": {},
        "campaigns/problem_past": {"when": "2026-11-30 10:00", "now": "2026-12-01 09:00"},
        "campaigns/problem_after_end": {"when": "2027-01-30 10:00", "ends": "2026-12-23 00:00"},
        "campaigns/problem_no_text": {},
        "campaigns/problem_text_and_template": {},
        "campaigns/problem_template_name": {},
        "campaigns/problem_unknown_template": {"name": "x", "known": ["teaser"]},
    }
)


# Ignition, rewards and the campaign report (handlers/campaigns/ignition.py, rewards.py, report.py).
def _ignition_samples() -> dict[str, dict]:
    from datetime import date

    from handlers.campaigns.ignition import Aftermath, Igniter, Weights
    from handlers.campaigns.report import ClueAfter, RoomVolume
    from handlers.campaigns.rewards import Winner
    from handlers.campaigns.store import CampaignView, Room

    campaign = CampaignView(
        1,
        "新品 X1 预热",
        date(2026, 12, 15),
        "Asia/Shanghai",
        WHEN,
        WHEN,
        ("新品",),
        ("续航",),
        "open",
        1,
        (Room(1, "room1", "一群", None),),
    )
    kate = Igniter(
        3,
        "kate",
        True,
        messages=2,
        replies=2,
        mentions=1,
        volume=7,
        expected=5.83,
        keywords=3,
        joins=1,
        score=24.58,
        participants=4,
    )
    new = Igniter(4, "bob", False, messages=1, volume=2, score=3.0)
    after = Aftermath(WHEN, 12, 3.5, 6, 4, 1)
    report = {
        "campaign": campaign,
        "start": WHEN,
        "until": WHEN,
        "messages": 120,
        "window": 30,
        "rooms": [RoomVolume("一群", 80, 20.0, 2.0), RoomVolume("二群", 40, None, 2.0)],
        "days": [(date(2026, 12, 9), 70, 35.0), (date(2026, 12, 10), 50, None)],
        "clues": [
            ClueAfter(3, WHEN, "posted", "猜猜它是什么？", after),
            ClueAfter(4, WHEN, "scheduled", "第二条", None),
        ],
        "kocs": [kate],
        "members": [new],
        "awards": [
            {
                "period": "2026-W50",
                "rank": 1,
                "name": "kate",
                "measure": "participants",
                "value": 4.0,
                "points": 20,
                "title": "引爆者",
            }
        ],
    }
    winner = Winner(3, "kate", 1, 4.0, 0, 20, "引爆者")
    rewarded = {"campaign": "新品 X1 预热", "period": "2026-W50", "start": WHEN, "end": WHEN}
    return {
        "campaigns/ignition": {
            "campaign": campaign,
            "kocs": [kate],
            "members": [new],
            "messages": 120,
            "until": WHEN,
            "window": 30,
            "weights": Weights(3, 2, 2, 1, 5, 0.5),
        },
        "campaigns/report": report,
        "campaigns/messages_columns": {},
        "campaigns/report_chart": {"campaign": campaign},
        "campaigns/rewards_posted": {**rewarded, "winners": [winner, Winner(5, "carol", 2, 3.0, 0, 20, "")]},
        "campaigns/reward_private": {**rewarded, "winner": winner},
    }


SAMPLES.update(_ignition_samples())


# The monthly community report (handlers/reports).
from handlers.reports.figures import (  # noqa: E402 - next to the samples that use them
    CommunityFigures,
    FeedbackRow,
    Helper,
    KocChange,
    MonthFigures,
    QuestionRoom,
    ThreadRow,
    TitleRule,
)
from handlers.reports.month import window  # noqa: E402

_MONTH = window("2026-11", WHEN, "Asia/Shanghai")
_REPORT = MonthFigures(
    _MONTH,
    (CommunityFigures("一群", 120, 8, 2, 530, 46, 21, 3, 2), CommunityFigures("二群", 80, 3, 1, 210, 25, 9, 1, 1)),
    61,
    (Helper("bob", 12), Helper("carol", 7)),
    30,
    (
        FeedbackRow(1, "bug", "一群", _MONTH.start, _MONTH.end, None, _MONTH.end),
        FeedbackRow(2, "suggestion", "", _MONTH.start, None, None, None),
    ),
    (ThreadRow(1, "登录失败", _MONTH.start, _MONTH.end, ("一群",)),),
    3,
    (
        KocChange(_MONTH.start, "bob", "promote", "member", "active"),
        KocChange(_MONTH.start, "dave", "rest", "active", "resting"),
    ),
    {"candidate": 2, "active": 5, "resting": 1, "alumni": 1},
    title_rule=TitleRule("热心答主", 10, ("bob",)),
    questions=(QuestionRoom("一群", 12, 9, 14.5), QuestionRoom("二群", 3, 0, None)),
)
SAMPLES.update(
    {
        "reports/monthly": {"r": _REPORT, "as_of": WHEN},
        "reports/monthly_chart": {"title": "2026 年 11 月 各社群的消息与发言人数"},
        "reports/chart_activity": {"month": "2026-11"},
        "reports/chart_contributions": {"month": "2026-11"},
        "reports/chart_daily": {"month": "2026-11"},
        "reports/problem_month": {"text": "十一月"},
        "reports/month_not_started": {"month": "2027-01"},
        "reports/table_columns": {"table": "feedback"},
    }
)
SAMPLES.update(
    {
        "privacy/first_notice": {},
        "feedback/problem_edit": {},
        "feedback/edit_not_yours": {"id": "FB-3"},
        "feedback/edit_closed": {"id": "FB-3"},
        "feedback/edited": {"id": "FB-3", "fields": ["scenario", "steps"]},
        "privacy/problem_erase": {},
        "privacy/erase_by_staff": {"name": "bob"},
        "privacy/requests": {
            "requests": [{"id": 1, "kind": "erase", "status": "pending", "name": "bob", "at": WHEN}],
        },
        "privacy/digest": {"totals": {"audit": 3, "feedback": 1}, "runs": 7},
        "privacy/erase_confirm": {"legal_years": 3, "hours": 24},
        "privacy/erase_not_confirmed": {},
        "privacy/erase_scheduled": {"at": WHEN, "legal_years": 3, "hours": 24},
        "privacy/erase_already": {"at": WHEN},
        "privacy/erase_cancelled": {},
        "privacy/erase_nothing_pending": {},
        "privacy/erase_receipt": {
            "erased": {"messages": 3, "mentions_elsewhere": 2},
            "kept": {"points": 2, "agreements": 1},
            "legal_years": 3,
        },
        "privacy/export_limit": {"at": WHEN},
        "privacy/export_file": {"name": "kocbot-mydata-2026-12-01.json"},
        "privacy/export_summary": {
            "counts": {"rooms": 1, "messages": 3, "thanks_given": 0, "withheld": 1},
            "withheld": [{"kind": "koc_notes", "count": 2}],
        },
        "privacy/sent_privately": {},
        "privacy/policy": {
            "messages": 365,
            "feedback": 730,
            "threads": 0,
            "outreach": 365,
            "legal_years": 3,
            "hours": 24,
        },
    }
)
