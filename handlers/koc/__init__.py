"""The KOC lifecycle: who is a KOC, the candidate pool, expectations and promises, exit with honour."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.koc import tables  # noqa: F401 - the models join Base.metadata
from handlers.koc.config import KocSection

registry = HandlerRegistry("koc", config_section=KocSection)

# Registrations, one block per module:

# KOC records: promote, rest, show, list (records.change_stage is the one way to move a member's stage).
from bot.db.schema import Role  # noqa: E402, F811 - each block imports what it uses
from handlers.koc import records  # noqa: E402

registry.command("koc promote", aliases=("koc 晋升",), role=Role.MODERATOR)(records.promote)
registry.command("koc rest", aliases=("koc 休息",), role=Role.MODERATOR)(records.rest)
registry.command("koc show", aliases=("koc 查看",), role=Role.MODERATOR)(records.show)
registry.command("koc list", aliases=("koc 列表",), role=Role.MODERATOR)(records.list_kocs)

# Agreements for 公域 KOCs: the guided conversation, /koc agreement show, reminders, the CSV export.
from bot.db.schema import Role  # noqa: E402 - one import per block, next to its registrations
from handlers.koc import agreement_wizard, agreements, reminders  # noqa: E402

registry.add_conversation(agreement_wizard.SPEC)
registry.command("koc agreement", aliases=("koc 协议",), role=Role.MODERATOR)(agreements.start_agreement)
registry.command("koc agreement show", aliases=("koc 协议 查看",), role=Role.MODERATOR)(agreements.show_agreement)
registry.scheduled_job("koc_reminders", cron="0 9 * * *", report_missed=False)(reminders.koc_reminders)
registry.export("agreements")(agreements.export_agreements)

# The candidate pool and invitations (handlers/koc/pool.py).
from bot.db.schema import Role as _Role  # noqa: E402
from handlers.koc import pool  # noqa: E402

registry.command("koc candidates", aliases=("koc 候选",), role=_Role.MODERATOR)(pool.list_candidates)
registry.command("koc invite", aliases=("koc 邀请",), role=_Role.MODERATOR)(pool.invite)

# Early warning (handlers/koc/health.py).
from handlers.koc import health  # noqa: E402

registry.command("koc health", aliases=("koc 状态",), role=_Role.MODERATOR)(health.show_health)

# Promises: what the brand owes a member; rewards to KOCs and their feedback create them (hooks), the digest shows the overdue.
from handlers.koc import promises  # noqa: E402

registry.command("koc promise", aliases=("koc 承诺",), role=Role.MODERATOR)(promises.add_promise)
registry.command("koc promises", aliases=("koc 承诺 列表",), role=Role.MODERATOR)(promises.list_promises)
registry.command("koc keep", aliases=("koc 兑现",), role=Role.MODERATOR)(promises.keep)
registry.command("koc waive", aliases=("koc 放弃",), role=Role.MODERATOR)(promises.waive)
registry.digest_section("koc_promises")(promises.digest_section)
promises.register_hooks()

# Honorary title terms: granted with a term, reviewed before the end (by the koc_reminders job), renewed or let end.
from handlers.koc import terms  # noqa: E402

registry.command("koc title", aliases=("koc 称号",), role=Role.MODERATOR)(terms.grant_with_term)
registry.command("koc renew", aliases=("koc 续期",), role=Role.MODERATOR)(terms.renew)
registry.command("koc letend", aliases=("koc 不续期",), role=Role.MODERATOR)(terms.let_end)

# Authenticity: a KOC's group message copied from the month's brief is told to the owning moderator privately.
from handlers.koc import authenticity  # noqa: E402

registry.matcher("brief_copy", authenticity.match_brief_copy)(authenticity.on_group_message)
