"""Moderators' templates for the rest of the bot: find them, check them, and render them in a worker process.

Inside a handler, read what a template needs in the transaction (`prepare`, `prepare_texts`) and render
it after (`render_later`): the render runs in the worker pool, off the event loop and outside every
transaction, within its time limit. The /template commands are in template_commands.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import CoreSettings
from bot.context import Context
from bot.db.schema import OutgoingKind
from bot.members import CommunityRef, MemberRef
from bot.sandbox.engine import RenderRequest, render_request
from bot.sandbox.limits import Limits
from bot.templates import TemplateRenderer
from bot.workers import WorkerPool, WorkFailed, WorkOutOfMemory, WorkTimedOut
from handlers.outreach.config import OutreachSection
from handlers.outreach.sandbox import (
    VOCABULARY,
    CustomTemplateError,
    TemplateRefused,
    TemplateRenderFailed,
    TemplateSandbox,
    UnknownTemplate,
)
from handlers.outreach.tables import custom_templates
from handlers.outreach.template_context import documented_context

_LOGGER = logging.getLogger(__name__)
Rendering = str | CustomTemplateError  # a template's text, or why there is none
_POOL_STOPS = frozenset({"time", "memory", "crashed"})  # the worker was stopped: not a matter of the values


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
    renderer: TemplateRenderer | None = None,
) -> Prepared:
    """Check `source` and read the values it uses for a room (`community`) and/or a member."""
    section = settings.section(OutreachSection)
    seconds = section.template_render_seconds
    try:
        variables = sandbox().check(source).variables
    except TemplateRefused as refused:  # saved some other way, or before today's checks
        return Prepared(name, None, seconds, refused)
    context = await documented_context(
        conn, settings, community=community, member=member, now=now, uses=variables, renderer=renderer
    )
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


async def prepare_texts(
    ctx: Context, template: str | None, text: str, rooms: Sequence[CommunityRef]
) -> list[Prepared | str]:
    """For each room: `text` as it is, or the saved `template` prepared for that room (UnknownTemplate
    if there is none). Render them with `render_later`."""
    if template is None:
        return [text for _ in rooms]
    found = await find_custom_template(ctx.db, template)
    if found is None:
        raise UnknownTemplate(template)
    return [
        await prepare(ctx.db, template, found.source, settings=ctx.settings, community=room, member=None, now=ctx.now)
        for room in rooms
    ]


async def texts_then(
    ctx: Context,
    template: str | None,
    text: str,
    rooms: Sequence[CommunityRef],
    then: Callable[[Context, list[Rendering]], Awaitable[None]],
    name: str,
) -> None:
    """`then(ctx, texts)` with the text for each room: at once for a plain text; with a template, once
    it has rendered for each room, after this transaction (see render_later)."""
    prepared = await prepare_texts(ctx, template, text, rooms)
    if template is None:
        await then(ctx, [text for _ in rooms])
    else:
        render_later(ctx, prepared, then, name)


def all_texts(texts: Sequence[Rendering]) -> list[str]:
    """The texts, or the first error among them raised (answered politely by the dispatcher)."""
    found: list[str] = []
    for text in texts:
        if isinstance(text, CustomTemplateError):
            raise text
        found.append(text)
    return found


async def tell_staff_skipped(
    ctx: Context, notice: SkipNotice, skipped: Sequence[tuple[CommunityRef, CustomTemplateError]]
) -> None:
    """A scheduled post whose template failed in some rooms was not posted there: the staff are told
    privately, once per run (the notice's key), why and where; the detail goes to the log."""
    first = skipped[0][1]
    rooms = [room.name or room.platform_id for room, _ in skipped]
    _LOGGER.warning(
        "%s #%d: template %r failed in %s, not posted there: %s",
        notice.what,
        notice.number,
        notice.template,
        rooms,
        first.params,
    )
    for member in await ctx.services.directory.staff(ctx.db):
        await ctx.dm(
            member,
            "outreach/template_skipped",
            urgent=True,
            message_kind=OutgoingKind.TRANSACTIONAL,
            dedupe_key=f"{notice.key}:{member.platform_id}",
            what=notice.what,
            number=notice.number,
            template=notice.template,
            rooms=rooms,
            others=notice.rooms - len(skipped),
            failure=first.params,
            refused=isinstance(first, TemplateRefused),
        )


@dataclass(frozen=True, slots=True)
class SkipNotice:
    """Which scheduled post skipped rooms: `what` is "announcement" or "clue"; `key` dedupes per run."""

    what: str
    number: int
    template: str
    key: str
    rooms: int  # how many rooms the post was for


async def render_prepared(workers: WorkerPool, prepared: Prepared | str) -> Rendering:
    """The text, rendered in a worker process within the template's time limit; or the error saying why
    not (TemplateRefused: the template itself may not be used; TemplateRenderFailed: it could not
    render here). Never holds up the event loop; a render past its time is stopped. A plain text
    (no template) is its own rendering."""
    if isinstance(prepared, str):
        return prepared
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
        return TemplateRenderFailed(name, "time", seconds=f"{exc.seconds:g}")
    if isinstance(exc, WorkOutOfMemory):
        return TemplateRenderFailed(name, "memory", megabytes=exc.megabytes)
    return TemplateRenderFailed(name, "crashed", str(exc)[:200])


def render_later(
    ctx: Context,
    prepared: Sequence[Prepared | str],
    then: Callable[[Context, list[Rendering]], Awaitable[None]],
    name: str,
) -> None:
    """Render after this transaction, one after the other in the worker pool, then call `then` with
    the texts (or errors) in a transaction of its own (see bot.followups)."""
    workers = ctx.services.workers

    async def render_all() -> list[Rendering]:
        found: list[Rendering] = []
        for item in prepared:
            found.append(_stopped_before(item, found) or await render_prepared(workers, item))
        return found

    ctx.later(render_all, then, name)


def _stopped_before(item: Prepared | str, found: Sequence[Rendering]) -> TemplateRenderFailed | None:
    """A template its worker had to stop (time, memory) in one room is not tried again in the next: a
    post to 26 rooms costs one time limit, not 26."""
    if isinstance(item, str):
        return None
    for earlier in found:
        if isinstance(earlier, TemplateRenderFailed) and earlier.name == item.name and earlier.reason in _POOL_STOPS:
            return earlier
    return None


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
