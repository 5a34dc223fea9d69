"""Moderator-authored templates: /template set, show, list, delete and help, and the API that renders them."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.config import CoreSettings
from bot.context import Context
from bot.db import schema
from bot.errors import UsageError
from bot.members import CommunityRef, MemberRef
from handlers.outreach.sandbox import NAME, TemplateRefused, TemplateRenderFailed, TemplateSandbox, UnknownTemplate
from handlers.outreach.tables import custom_templates
from handlers.outreach.template_context import documented_context, local_zone

_LOGGER = logging.getLogger(__name__)
# "/template set NAME text" as typed: the text keeps its lines and full-width punctuation.
_SET = re.compile(r"\s*[/／]\s*\S+\s+\S+\s+(?P<name>\S+)[ \t\u3000]*(?P<source>.*)", re.S)


@functools.cache
def sandbox() -> TemplateSandbox:
    """The process's sandbox: created on first use, its compiled templates cached by source."""
    return TemplateSandbox()


# The API for other parts of outreach (announcements, welcomes).


@dataclass(frozen=True, slots=True)
class SavedTemplate:
    name: str
    source: str
    variables: tuple[str, ...]
    updated_at: datetime
    updated_by: int


async def find_custom_template(conn: AsyncConnection, name: str) -> SavedTemplate | None:
    row = (await conn.execute(select(custom_templates).where(custom_templates.c.name == name))).one_or_none()
    if row is None:
        return None
    return SavedTemplate(row.name, row.source, tuple(row.variables or ()), row.updated_at, row.updated_by)


async def custom_template_exists(conn: AsyncConnection, name: str) -> bool:
    return await find_custom_template(conn, name) is not None


async def template_names(conn: AsyncConnection) -> list[str]:
    """The saved templates' names, sorted."""
    table = custom_templates
    return list((await conn.execute(select(table.c.name).order_by(table.c.name))).scalars())


async def custom_template_variables(conn: AsyncConnection, name: str) -> tuple[str, ...]:
    """The documented variables a saved template uses (e.g. to refuse a room post of one that
    needs `member`); raises UnknownTemplate."""
    found = await find_custom_template(conn, name)
    if found is None:
        raise UnknownTemplate(name)
    return found.variables


def check_template(source: str) -> tuple[str, ...]:
    """The documented variables `source` uses; raises TemplateRefused (line and reason) if it cannot be used."""
    return sandbox().check(source).variables


async def render_custom(
    conn: AsyncConnection,
    name: str,
    *,
    settings: CoreSettings,
    community: CommunityRef | None,
    member: MemberRef | None,
    now: datetime,
) -> str:
    """Render the saved template `name` in the sandbox for a room (`community`) and/or a member.

    Raises UnknownTemplate, or TemplateRenderFailed (reason "needs" when it uses `community` or
    `member` and none was given; "unsafe" when the sandbox stopped it; "error" otherwise). All
    are UserFacingErrors: a handler may let them propagate to answer politely."""
    found = await find_custom_template(conn, name)
    if found is None:
        raise UnknownTemplate(name)
    return await render_source(conn, name, found.source, settings=settings, community=community, member=member, now=now)


async def render_source(
    conn: AsyncConnection,
    name: str,
    source: str,
    *,
    settings: CoreSettings,
    community: CommunityRef | None,
    member: MemberRef | None,
    now: datetime,
) -> str:
    compiled = sandbox().check(source)
    context = await documented_context(
        conn, settings, community=community, member=member, now=now, uses=compiled.variables
    )
    return sandbox().render(name, source, context)


# The commands.


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


async def _preview(ctx: Context, name: str, source: str) -> dict[str, Any]:
    """How the template reads here and now, for the caller (or why it cannot be shown here)."""
    try:
        text = await render_source(
            ctx.db, name, source, settings=ctx.settings, community=ctx.community, member=ctx.actor, now=ctx.now
        )
    except TemplateRenderFailed as exc:
        return {"preview": None, "failure": exc.params}
    return {"preview": text, "failure": None}


async def set_template(ctx: Context, cmd: Invocation) -> None:
    """/template set NAME text (the text may span lines)."""
    name, source = _name_and_source(ctx, cmd)
    variables = check_template(source)
    shown = await _preview(ctx, name, source)
    if shown["failure"] and shown["failure"]["reason"] == "unsafe":
        raise TemplateRefused("unsafe", None, detail=shown["failure"]["detail"])
    created = await _save(ctx, name, source, variables)
    ctx.note_audit(template=name, created=created)
    _LOGGER.info("template %r %s by %s", name, "created" if created else "updated", ctx.actor.platform_id)
    await ctx.reply("outreach/template_saved", name=name, created=created, variables=list(variables), **shown)


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
    await ctx.reply_privately(
        "outreach/template_show",
        name=name,
        source=found.source,
        variables=list(found.variables),
        by=author.name if author else "",
        at=_local(ctx, found.updated_at),
        **await _preview(ctx, name, found.source),
    )


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
    await ctx.reply_privately("outreach/template_help", examples=HELP_EXAMPLES[locale])


def _local(ctx: Context, when: datetime) -> datetime:
    return when.astimezone(local_zone(ctx.settings, ctx.community))
