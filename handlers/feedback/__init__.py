"""Structured feedback: guided and one-shot submissions, the moderators' lifecycle, rewards and credits."""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry, Where
from handlers.feedback import correct, digest, exports, lifecycle, merge, similar, submit, tables, views, wizard  # noqa: F401 - tables: the models join Base.metadata
from handlers.feedback.config import FeedbackSection
from handlers.feedback.items import HISTORY_ADDED, ITEM_SHIPPED, HistoryEntry, Item, find_item

__all__ = ["HISTORY_ADDED", "ITEM_SHIPPED", "HistoryEntry", "Item", "find_item", "registry"]

registry = HandlerRegistry("feedback", config_section=FeedbackSection, topic=("feedback", "反馈"))
MODERATOR = Role.MODERATOR

registry.add_conversation(wizard.SPEC)
registry.on_start(similar.warm_up)
registry.command("feedback", aliases=("反馈",))(submit.feedback)
registry.matcher("feedback_form", submit.match_pasted_form, where=Where.DM)(submit.on_pasted_form)
registry.command("feedback +1", aliases=("反馈 +1", "fb +1"))(submit.plus_one)
# A member corrects their own open item (a right to correction: see the privacy capability).
registry.command("fb edit", aliases=("反馈 修改", "feedback edit"), where=Where.DM)(correct.edit_feedback)
registry.command("fb list", aliases=("反馈 列表",), role=MODERATOR)(views.list_items)
registry.command("fb show", aliases=("反馈 查看",), role=MODERATOR)(views.show_item)
registry.command("fb overdue", aliases=("反馈 超时",), role=MODERATOR)(views.list_overdue)
registry.command("fb status", aliases=("反馈 状态",), role=MODERATOR)(lifecycle.set_status)
registry.command("fb ship", aliases=("反馈 上线",), role=MODERATOR)(lifecycle.ship)
registry.command("fb decline", aliases=("反馈 不采纳",), role=MODERATOR)(lifecycle.decline)
registry.command("fb assign", aliases=("反馈 分派",), role=MODERATOR)(lifecycle.assign)
registry.command("fb merge", aliases=("反馈 合并",), role=MODERATOR)(merge.merge)
registry.command("credits", aliases=("致谢",), role=MODERATOR)(views.credits)
registry.scheduled_job("feedback_overdue", cron="30 9 * * *", report_missed=False)(digest.overdue_digest)
registry.export("feedback")(exports.export_feedback)
registry.export("credits")(exports.export_credits)
registry.digest_section("feedback")(views.digest_section)
