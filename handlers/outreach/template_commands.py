"""The /template commands: set, show, list, delete and help, for moderators."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.errors import UsageError
from handlers.outreach.config import OutreachSection
from handlers.outreach.custom_templates import (
    Prepared,
    Rendering,
    check_template,
    find_custom_template,
    prepare,
    render_later,
)
from handlers.outreach.sandbox import MAX_OUTPUT, NAME, CustomTemplateError, TemplateRenderFailed, UnknownTemplate
from handlers.outreach.tables import custom_templates
from handlers.outreach.template_context import local_zone

_LOGGER = logging.getLogger(__name__)
# "/template set NAME text" as typed: the text keeps its lines and full-width punctuation.
_SET = re.compile(r"\s*[/／]\s*\S+\s+\S+\s+(?P<name>\S+)[ \t\u3000]*(?P<source>.*)", re.S)


def _name_and_source(ctx: Context, cmd: Invocation) -> tuple[str, str]:
    found = _SET.fullmatch(ctx.message.text)
    name, source = (found["name"], found["source"]) if found else (cmd.args[0] if cmd.args else "", "")
    _check_name(name)
    if not source.strip():
        raise UsageError("outreach/template_problem_needs_text", name=name)
    return name, source.strip("\n").rstrip()


def _check_name(name: str) -> str:
    if not name:
        raise UsageError("outreach/template_problem_needs_name")
    if not NAME.fullmatch(name):
        raise UsageError("outreach/template_problem_name", name=name)
    return name


def _name(cmd: Invocation) -> str:
    return _check_name(cmd.args[0] if cmd.args else "")


async def _prepare_here(ctx: Context, name: str, source: str) -> Prepared:
    """The template as it would read here and now, for the caller's preview."""
    return await prepare(
        ctx.db,
        name,
        source,
        settings=ctx.settings,
        community=ctx.community,
        member=ctx.actor,
        now=ctx.now,
        renderer=ctx.services.renderer,
    )


def _shown(preview: Rendering) -> dict[str, Any]:
    """The preview, or why it cannot be shown here (a template's own error does not stop saving it)."""
    if isinstance(preview, TemplateRenderFailed):
        return {"preview": None, "failure": preview.params}
    if isinstance(preview, CustomTemplateError):
        raise preview
    return {"preview": preview, "failure": None}


async def set_template(ctx: Context, cmd: Invocation) -> None:
    """/template set NAME text (the text may span lines): checked now; saved once its preview has
    rendered (in a worker, after this transaction), unless the sandbox had to stop it."""
    name, source = _name_and_source(ctx, cmd)
    variables = check_template(source)
    prepared = await _prepare_here(ctx, name, source)

    async def save(ctx: Context, previews: list[Rendering]) -> None:
        [preview] = previews
        if isinstance(preview, TemplateRenderFailed) and preview.stopped:
            raise preview.refused()
        shown = _shown(preview)
        created = await _save(ctx, name, source, variables)
        ctx.note_audit(template=name, created=created)
        _LOGGER.info("template %r %s by %s", name, "created" if created else "updated", ctx.actor.platform_id)
        await ctx.reply("outreach/template_saved", name=name, created=created, variables=list(variables), **shown)

    render_later(ctx, [prepared], save, "template set")


async def _save(ctx: Context, name: str, source: str, variables: tuple[str, ...]) -> bool:
    """Insert or update; True when the name is new."""
    values = {"source": source, "variables": list(variables), "updated_at": ctx.now, "updated_by": ctx.actor.id}
    table = custom_templates
    changed = await ctx.db.execute(update(table).where(table.c.name == name).values(**values))
    if changed.rowcount:
        return False
    await ctx.db.execute(table.insert().values(name=name, created_at=ctx.now, created_by=ctx.actor.id, **values))
    return True


async def show_template(ctx: Context, cmd: Invocation) -> None:
    """/template show NAME: the text, the variables it uses, and a preview, privately."""
    name = _name(cmd)
    found = await find_custom_template(ctx.db, name)
    if found is None:
        raise UnknownTemplate(name)
    author = await ctx.services.directory.find_member_by_id(ctx.db, found.updated_by)
    shown = {
        "name": name,
        "source": found.source,
        "variables": list(found.variables),
        "by": author.name if author else "",
        "at": _local(ctx, found.updated_at),
    }

    async def show(ctx: Context, previews: list[Rendering]) -> None:
        await ctx.reply_privately("outreach/template_show", **shown, **_shown(previews[0]))

    render_later(ctx, [await _prepare_here(ctx, name, found.source)], show, "template show")


async def list_templates(ctx: Context, cmd: Invocation) -> None:
    """/template list, privately."""
    table, members = custom_templates, schema.members
    rows = (
        await ctx.db.execute(
            select(table.c.name, table.c.variables, table.c.updated_at, members.c.display_name)
            .join(members, members.c.id == table.c.updated_by)
            .order_by(table.c.name)
        )
    ).all()
    await ctx.reply_privately(
        "outreach/template_list",
        templates=[
            {
                "name": r.name,
                "variables": list(r.variables or ()),
                "at": _local(ctx, r.updated_at),
                "by": r.display_name,
            }
            for r in rows
        ],
    )


async def delete_template(ctx: Context, cmd: Invocation) -> None:
    """/template delete NAME"""
    name = _name(cmd)
    table = custom_templates
    removed = await ctx.db.execute(delete(table).where(table.c.name == name))
    if not removed.rowcount:
        raise UnknownTemplate(name)
    ctx.note_audit(template=name)
    await ctx.reply("outreach/template_deleted", name=name)


# Examples for /template help: data, so the help's own template holds no template syntax.
HELP_EXAMPLES = {
    "zh_CN": {
        "variable": "{{ member.name }}",
        "time": "{{ now.strftime('%H:%M') }}",
        "welcome": "/模板 设置 welcome 欢迎 @{{ member.name }} 加入{{ community.name }}！\n"
        "本群现在有 {{ community.members }} 位朋友，本月已经互相感谢了 {{ stats.thanks_this_month }} 次。",
    },
    "en": {
        "variable": "{{ member.name }}",
        "time": "{{ now.strftime('%H:%M') }}",
        "welcome": "/template set welcome Welcome to {{ community.name }}, @{{ member.name }}!\n"
        "We are {{ community.members }} here, and thanked each other {{ stats.thanks_this_month }} "
        "times this month.",
    },
}


async def template_help(ctx: Context, cmd: Invocation) -> None:
    """/template help: the documented variables and what the sandbox allows, privately."""
    locale = ctx.services.renderer.locale_or_default(ctx.actor.locale)
    section = ctx.settings.section(OutreachSection)
    limits = {
        "steps": section.template_max_steps,
        "output": MAX_OUTPUT,
        "seconds": f"{section.template_render_seconds:g}",
    }
    await ctx.reply_privately("outreach/template_help", examples=HELP_EXAMPLES[locale], limits=limits)


def _local(ctx: Context, when: datetime) -> datetime:
    return when.astimezone(local_zone(ctx.settings, ctx.community))
