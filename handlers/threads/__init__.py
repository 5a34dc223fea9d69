"""Issue threads: criticism raised in the groups, followed up internally, resolved in the open."""

from __future__ import annotations

from bot.db.schema import Role
from bot.registry import HandlerRegistry
from handlers.feedback import ITEM_SHIPPED
from handlers.threads import commands, confirm, links, resolution, tables, views  # noqa: F401 - tables: models
from handlers.threads.config import ThreadsSection

registry = HandlerRegistry("threads", config_section=ThreadsSection, topic=("issues", "问题", "threads"))
MODERATOR = Role.MODERATOR

registry.command("issue open", aliases=("问题 新建",), role=MODERATOR)(commands.open_thread)
registry.command("issue link", aliases=("问题 关联",), role=MODERATOR)(commands.link_thread)
registry.command("issue +1", aliases=("问题 +1", "issue follow", "问题 关注"))(commands.follow_thread)
registry.command("issue route", aliases=("问题 转交",), role=MODERATOR)(commands.route_thread)
registry.command("issue note", aliases=("问题 备注",), role=MODERATOR)(commands.note_thread)
registry.command("issue status", aliases=("问题 状态",), role=MODERATOR)(commands.set_status)
registry.command("issue support", aliases=("问题 支持",), role=MODERATOR)(commands.support_member)
registry.command("issue show", aliases=("问题 查看",), role=MODERATOR)(views.show_thread)
registry.command("issue list", aliases=("问题 列表",), role=MODERATOR)(views.list_threads)
registry.command("issue digest", aliases=("问题 周报",), role=MODERATOR)(views.show_digest)
registry.command("issue resolve", aliases=("问题 解决",), role=MODERATOR)(resolution.resolve_thread)
registry.command("issue reopen", aliases=("问题 重开",), role=MODERATOR)(resolution.reopen_thread)
registry.add_conversation(confirm.SPEC)
registry.add_due_source(confirm.factory)
registry.listen(ITEM_SHIPPED, links.on_item_shipped)
registry.digest_section("threads")(views.digest_section)
