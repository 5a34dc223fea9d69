"""Members' data rights: what the bot keeps and why, a copy of it, its erasure; retention for every kind."""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry, Where
from handlers.privacy import due, export, forget, notice, retention, staff, tables  # noqa: F401 - tables: the models join Base.metadata
from handlers.privacy.config import PrivacySection

registry = HandlerRegistry("privacy", config_section=PrivacySection, topic=("privacy", "隐私"))

registry.command("privacy", aliases=("隐私",))(notice.show_privacy)
registry.private_note(notice.first_private_notice)
registry.command("mydata", aliases=("我的数据",), where=Where.DM)(export.my_data)
registry.heavy(export.WORK, compute=export.make_export, deliver=export.send_export, in_process=False)
registry.command("forgetme", aliases=("删除我的数据",), where=Where.DM)(forget.forget_me)
registry.command("forgetme cancel", aliases=("取消删除",), where=Where.DM)(forget.cancel_erasure)
registry.add_conversation(forget.SPEC)
registry.add_due_source(due.factory)
registry.command("privacy requests", aliases=("隐私 请求",), role=Role.MODERATOR)(staff.list_requests)
registry.command("privacy erase", aliases=("隐私 删除",), role=Role.ADMIN)(staff.erase_member)
registry.scheduled_job("privacy_retention", cron="40 3 * * *", report_missed=False)(retention.retention_job)
registry.digest_section("privacy")(retention.digest_section)
