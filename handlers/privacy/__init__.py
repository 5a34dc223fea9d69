"""Members' data rights: what the bot keeps and why, a copy of it, its erasure; retention for every kind."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.privacy import due, export, forget, notice, tables  # noqa: F401 - tables: the models join Base.metadata
from handlers.privacy.config import PrivacySection

registry = HandlerRegistry("privacy", config_section=PrivacySection, topic=("privacy", "隐私"))

registry.command("privacy", aliases=("隐私",))(notice.show_privacy)
registry.private_note(notice.first_private_notice)
registry.command("mydata", aliases=("我的数据",))(export.my_data)
registry.heavy(export.WORK, compute=export.make_export, deliver=export.send_export, in_process=False)
registry.command("forgetme", aliases=("删除我的数据",))(forget.forget_me)
registry.command("forgetme cancel", aliases=("取消删除",))(forget.cancel_erasure)
registry.add_conversation(forget.SPEC)
registry.add_due_source(due.factory)
