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
