"""The core commands: /help, /ping, and moderator management (/mod ...)."""

from __future__ import annotations

from bot.commands import Invocation
from bot.context import Context
from bot.db.schema import Role
from bot.errors import UsageError
from bot.members import MemberRef
from bot.registry import HandlerRegistry

registry = HandlerRegistry("core")


@registry.command("help", aliases=("帮助", "?"))
async def show_help(ctx: Context, cmd: Invocation) -> None:
    renderer, role = ctx.services.renderer, ctx.actor.role
    docs = [renderer.command_doc(spec.capability, spec.key, ctx.locale)
            for spec in ctx.services.router.visible_commands(role)]
    await ctx.reply("core/help", commands=docs, role=role.label)


@registry.command("ping", aliases=("在吗",))
async def ping(ctx: Context, cmd: Invocation) -> None:
    await ctx.reply("core/pong")


async def _mentioned_members(ctx: Context, cmd: Invocation) -> list[MemberRef]:
    if not cmd.mentions:
        raise UsageError("core/problem_needs_mention")
    return [await ctx.member(contact) for contact in cmd.mentions]


@registry.command("mod add", aliases=("运营 添加",), role=Role.ADMIN)
async def add_moderator(ctx: Context, cmd: Invocation) -> None:
    added, already = [], []
    for member in await _mentioned_members(ctx, cmd):
        if member.role >= Role.MODERATOR:
            already.append(member.name)
            continue
        await ctx.services.directory.set_role(ctx.uow, member, Role.MODERATOR)
        added.append(member)
    ctx.note_audit(target=added[0] if added else None, added=[m.platform_id for m in added])
    await ctx.reply("core/mod_added", added=[m.name for m in added], already=already)
    for member in added:
        await ctx.dm(member, "core/mod_welcome", granted_by=ctx.actor.name)


@registry.command("mod remove", aliases=("运营 移除",), role=Role.ADMIN)
async def remove_moderator(ctx: Context, cmd: Invocation) -> None:
    removed, skipped = [], []
    directory = ctx.services.directory
    for member in await _mentioned_members(ctx, cmd):
        stored = await directory.stored_role(ctx.db, member)
        if directory.is_config_staff(member.platform_id):
            skipped.append((member.name, "config"))
        elif stored is not Role.MODERATOR:
            skipped.append((member.name, "admin" if stored is Role.ADMIN else "not_moderator"))
        else:
            await directory.set_role(ctx.uow, member, Role.MEMBER)
            removed.append(member)
    ctx.note_audit(target=removed[0] if removed else None, removed=[m.platform_id for m in removed])
    await ctx.reply("core/mod_removed", removed=[m.name for m in removed], skipped=skipped)


@registry.command("mod list", aliases=("运营 列表",), role=Role.MODERATOR)
async def list_moderators(ctx: Context, cmd: Invocation) -> None:
    staff = await ctx.services.directory.staff(ctx.db)
    await ctx.reply("core/mod_list", staff=[{"name": m.name, "role": m.role.label} for m in staff])
