"""Members' data rights: what the bot keeps and why, a copy of it, its erasure; retention for every kind."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.privacy import export, notice, tables  # noqa: F401 - tables: the models join Base.metadata
from handlers.privacy.config import PrivacySection

registry = HandlerRegistry("privacy", config_section=PrivacySection, topic=("privacy", "隐私"))

registry.command("privacy", aliases=("隐私",))(notice.show_privacy)
registry.private_note(notice.first_private_notice)
registry.command("mydata", aliases=("我的数据",))(export.my_data)
registry.heavy(export.WORK, compute=export.make_export, deliver=export.send_export, in_process=False)
