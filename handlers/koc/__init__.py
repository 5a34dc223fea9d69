"""The KOC lifecycle: who is a KOC, the candidate pool, expectations and promises, exit with honour."""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry
from handlers.feedback import HISTORY_ADDED
from handlers.koc import (  # noqa: F401 - tables: the models join Base.metadata
    agreement_wizard,
    agreements,
    authenticity,
    exits,
    health,
    pool,
    promises,
    records,
    reminders,
    tables,
    terms,
)
from handlers.koc.config import KocSection
from handlers.recognition.ledger import REWARDED

registry = HandlerRegistry("koc", config_section=KocSection, topic=("koc", "名人堂"))
MODERATOR = Role.MODERATOR

# Records: promote, rest, show, list (records.change_stage is the one way to move a member's stage).
registry.command("koc promote", aliases=("koc 晋升",), role=MODERATOR)(records.promote)
registry.command("koc rest", aliases=("koc 休息",), role=MODERATOR)(records.rest)
registry.command("koc show", aliases=("koc 查看",), role=MODERATOR)(records.show)
registry.command("koc list", aliases=("koc 列表",), role=MODERATOR)(records.list_kocs)

# The candidate pool, invitations, and early warning.
registry.command("koc candidates", aliases=("koc 候选",), role=MODERATOR)(pool.list_candidates)
registry.command("koc invite", aliases=("koc 邀请",), role=MODERATOR)(pool.invite)
registry.command("koc health", aliases=("koc 状态",), role=MODERATOR)(health.show_health)

# Promises: rewards to KOCs and their feedback create them (hooks); the weekly digest shows the overdue.
registry.command("koc promise", aliases=("koc 承诺",), role=MODERATOR)(promises.add_promise)
registry.command("koc promises", aliases=("koc 承诺 列表",), role=MODERATOR)(promises.list_promises)
registry.command("koc keep", aliases=("koc 兑现",), role=MODERATOR)(promises.keep)
registry.command("koc waive", aliases=("koc 放弃",), role=MODERATOR)(promises.waive)
registry.digest_section("koc_promises")(promises.digest_section)
registry.listen(REWARDED, promises.on_reward)
registry.listen(HISTORY_ADDED, promises.on_feedback_history)

# Agreements for 公域 KOCs: the guided conversation, show, the CSV export; reminders in the daily job.
registry.add_conversation(agreement_wizard.SPEC)
registry.command("koc agreement", aliases=("koc 协议",), role=MODERATOR)(agreements.start_agreement)
registry.command("koc agreement show", aliases=("koc 协议 查看",), role=MODERATOR)(agreements.show_agreement)
registry.export("agreements")(agreements.export_agreements)

# Honorary title terms: granted with a term, reviewed before the end (by the daily job), renewed or let end.
registry.command("koc title", aliases=("koc 称号",), role=MODERATOR)(terms.grant_with_term)
registry.command("koc renew", aliases=("koc 续期",), role=MODERATOR)(terms.renew)
registry.command("koc letend", aliases=("koc 不续期",), role=MODERATOR)(terms.let_end)
registry.scheduled_job("koc_reminders", cron="0 9 * * *", report_missed=False)(reminders.koc_reminders)

# Exit with honour, the hall of fame, and coming back.
registry.command("koc exit", aliases=("koc 退出",), role=MODERATOR)(exits.exit_koc)
registry.command("koc return", aliases=("koc 回归",), role=MODERATOR)(exits.return_koc)
registry.command("halloffame", aliases=("名人堂", "hall-of-fame"))(exits.hall_of_fame)

# Authenticity: a KOC's group message copied from the month's brief is told to the owning moderator privately.
registry.matcher("brief_copy", authenticity.match_brief_copy)(authenticity.on_group_message)
