"""Moderator-authored templates: /template set, show, list, delete and help, and the API that renders them."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
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
from bot.sandbox.engine import RenderRequest, render_request
from bot.sandbox.limits import Limits
from bot.workers import WorkerPool, WorkFailed, WorkOutOfMemory, WorkTimedOut
from handlers.outreach.sandbox import (
    NAME,
    VOCABULARY,
    CustomTemplateError,
    TemplateRefused,
    TemplateRenderFailed,
    TemplateSandbox,
    UnknownTemplate,
)
from handlers.outreach.tables import custom_templates
from handlers.outreach.template_context import documented_context, local_zone

_LOGGER = logging.getLogger(__name__)
# "/template set NAME text" as typed: the text keeps its lines and full-width punctuation.
_SET = re.compile(r"\s*[/／]\s*\S+\s+\S+\s+(?P<name>\S+)[ \t\u3000]*(?P<source>.*)", re.S)
Rendering = str | CustomTemplateError  # a template's text, or why there is none


@functools.cache
def sandbox() -> TemplateSandbox:
    """This process's checker: compiled templates cached by source (it never renders for the bot)."""
    return TemplateSandbox()


# The API for other parts of outreach (announcements, welcomes) and other capabilities (campaign clues).


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


@dataclass(frozen=True, slots=True)
class Prepared:
    """A template with the values of its variables, read in a transaction, to be rendered after it in a
    worker process (`render_prepared`); or why it cannot be rendered at all (`problem`)."""

    name: str
    request: RenderRequest | None
    seconds: float
    problem: CustomTemplateError | None = None


async def prepare(
    conn: AsyncConnection,
    name: str,
    source: str,
    *,
    settings: CoreSettings,
    community: CommunityRef | None,
    member: MemberRef | None,
    now: datetime,
) -> Prepared:
    """Check `source` and read the values it uses for a room (`community`) and/or a member."""
    section = settings.outreach  # type: ignore[attr-defined]
    seconds = section.template_render_seconds
    try:
        variables = sandbox().check(source).variables
    except TemplateRefused as refused:  # saved some other way, or before today's checks
        return Prepared(name, None, seconds, refused)
    context = await documented_context(conn, settings, community=community, member=member, now=now, uses=variables)
    missing = [v for v in variables if v not in context]
    if missing:
        return Prepared(name, None, seconds, TemplateRenderFailed(name, "needs", ", ".join(missing)))
    limits = Limits(steps=section.template_max_steps)
    return Prepared(name, RenderRequest(source, context, VOCABULARY, limits), seconds)


async def prepare_saved(
    conn: AsyncConnection,
    name: str,
    *,
    settings: CoreSettings,
    community: CommunityRef | None,
    member: MemberRef | None,
    now: datetime,
) -> Prepared:
    """`prepare` for the saved template `name`; raises UnknownTemplate."""
    found = await find_custom_template(conn, name)
    if found is None:
        raise UnknownTemplate(name)
    return await prepare(conn, name, found.source, settings=settings, community=community, member=member, now=now)


async def render_prepared(workers: WorkerPool, prepared: Prepared) -> Rendering:
    """The text, rendered in a worker process within the template's time limit; or the error saying why
    not (TemplateRefused: the template itself may not be used; TemplateRenderFailed: it could not
    render here). Never holds up the event loop; a render past its time is stopped."""
    if prepared.problem is not None or prepared.request is None:
        return prepared.problem or TemplateRenderFailed(prepared.name, "error")
    try:
        rendered = await workers.run(render_request, prepared.request, seconds=prepared.seconds)
    except WorkFailed as exc:
        failure = _pool_failure(prepared.name, exc)
        _LOGGER.warning("template %r stopped: %s", prepared.name, exc)
        return failure
    if rendered.refused is not None:
        return TemplateRefused.of(rendered.refused)
    if rendered.failure is not None:
        _LOGGER.warning("template %r stopped: %s", prepared.name, rendered.failure)
        return TemplateRenderFailed.of(prepared.name, rendered.failure)
    return rendered.text or ""


def _pool_failure(name: str, exc: WorkFailed) -> TemplateRenderFailed:
    if isinstance(exc, WorkTimedOut):
        return TemplateRenderFailed(name, "time", seconds=exc.seconds)
    if isinstance(exc, WorkOutOfMemory):
        return TemplateRenderFailed(name, "memory", megabytes=exc.megabytes)
    return TemplateRenderFailed(name, "crashed", str(exc)[:200])


def render_later(
    ctx: Context,
    prepared: Sequence[Prepared],
    then: Callable[[Context, list[Rendering]], Awaitable[None]],
    name: str,
) -> None:
    """Render after this transaction, one after the other in the worker pool, then call `then` with
    the texts (or errors) in a transaction of its own (see bot.followups)."""
    workers = ctx.services.workers

    async def render_all() -> list[Rendering]:
        return [await render_prepared(workers, item) for item in prepared]

    ctx.later(render_all, then, name)


async def render_custom(
    conn: AsyncConnection,
    name: str,
    *,
    workers: WorkerPool,
    settings: CoreSettings,
    community: CommunityRef | None,
    member: MemberRef | None,
    now: datetime,
) -> str:
    """Render the saved template `name` for a room (`community`) and/or a member, awaiting the worker.

    Raises UnknownTemplate, TemplateRefused, or TemplateRenderFailed (reason "needs" when it uses
    `community` or `member` and none was given; a limit's reason when the sandbox stopped it; "error"
    otherwise). All are UserFacingErrors. Inside a handler's transaction, prefer `prepare` and
    `render_later`: the transaction (and on SQLite every writer) would wait for the render."""
    prepared = await prepare_saved(conn, name, settings=settings, community=community, member=member, now=now)
    found = await render_prepared(workers, prepared)
    if isinstance(found, CustomTemplateError):
        raise found
    return found


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


async def _prepare_here(ctx: Context, name: str, source: str) -> Prepared:
    """The template as it would read here and now, for the caller's preview."""
    return await prepare(
        ctx.db, name, source, settings=ctx.settings, community=ctx.community, member=ctx.actor, now=ctx.now
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
    await ctx.reply_privately("outreach/template_help", examples=HELP_EXAMPLES[locale])


def _local(ctx: Context, when: datetime) -> datetime:
    return when.astimezone(local_zone(ctx.settings, ctx.community))
