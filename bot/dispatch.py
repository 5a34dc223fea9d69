"""Running a routed handler: permissions, savepoint, audit, and polite answers to every failure."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from bot import spelling
from bot.audit import AuditRecord, Outcome, write_audit
from bot.context import Context
from bot.conversations import Conversation
from bot.db.schema import Role
from bot.errors import UsageError, UserFacingError
from bot.events import IncomingMessage, MemberJoined, MemberLeft
from bot.registry import CommandSpec, Where
from bot.router import CommandRoute, ConversationRoute, FailedRoute, MatcherRoute, Route, UnknownCommandRoute
from bot.templates import CommandDoc

_LOGGER = logging.getLogger(__name__)


class NeedsIsolation(Exception):
    """A handler failed while running without a savepoint: redo the batch with one per handler."""


async def dispatch_route(ctx: Context, route: Route) -> None:
    if isinstance(route, UnknownCommandRoute):
        await _answer_unknown(ctx, route)
    elif isinstance(route, CommandRoute):
        await _run_command(ctx, route)
    elif isinstance(route, MatcherRoute):
        await _guarded(ctx, route.name, route.spec.handler(ctx, route.match), usage_of=None)
    elif isinstance(route, ConversationRoute):
        store = ctx.services.conversations
        ctx.conversation = Conversation(store, ctx.uow, route.spec, route.active)
        await _guarded(ctx, route.name, route.handler(ctx, route.text), usage_of=None)
    elif isinstance(route, FailedRoute):
        await ctx.reply("core/apology")  # what failed was logged where it failed


async def dispatch_event(ctx: Context, event: MemberJoined | MemberLeft) -> None:
    for spec in ctx.services.router.handlers_for(event):
        await _guarded(ctx, f"on {type(event).__name__}", spec.handler(ctx, event), usage_of=None, answer=False)


async def _answer_unknown(ctx: Context, route: UnknownCommandRoute) -> None:
    router = ctx.services.router
    visible = [spec for spec in route.group if spec.role <= ctx.actor.role]
    if visible:
        usages = [_doc(ctx, spec).usage for spec in visible]
        ctx.answers_privately = any(spec.answers_privately for spec in visible)  # staff usages: privately
        await ctx.reply("core/subcommands", usages=usages)
        return
    typed = "/" + " ".join(route.parsed.words[:2])
    await spelling.ready()  # loaded at start-up; only a typo in the first second waits (off the loop)
    suggestion = router.suggest(route.parsed, ctx.actor.role)
    await ctx.reply("core/unknown_command", typed=typed, suggestion=suggestion)


def _doc(ctx: Context, spec: CommandSpec) -> CommandDoc:
    return ctx.services.renderer.command_doc(spec.capability, spec.key, ctx.locale)


async def _run_command(ctx: Context, route: CommandRoute) -> None:
    spec = route.spec
    if spec.audited:
        ctx.audit_record = _audit_record(ctx, route)
    # The role first: telling a member where a staff command works would invite them to try it there.
    if ctx.actor.role < spec.role:
        _LOGGER.info("%s (%s) may not use /%s", ctx.actor.platform_id, ctx.actor.role.label, spec.name)
        staff = ctx.actor.role >= Role.MODERATOR  # staff are not sent to "the moderators" for help
        await ctx.reply("core/refused", command=f"/{spec.name}", needed=spec.role.label, staff=staff)
        await _audit(ctx, Outcome.REFUSED)
    elif not spec.where.allows(ctx.message):
        await ctx.reply("core/wrong_place", only_in_room=spec.where is Where.ROOM, usage=_doc(ctx, spec).usage)
        await _audit(ctx, Outcome.INVALID)
    else:
        ctx.answers_privately = spec.answers_privately
        outcome = await _guarded(ctx, route.name, spec.handler(ctx, route.invocation), usage_of=spec)
        if outcome is not Outcome.OK or not ctx.deferred:  # else its follow-up writes the entry, when done
            await _audit(ctx, outcome)


async def run_followup(ctx: Context, name: str, call: Awaitable[object]) -> None:
    """A follow-up's step (see bot.followups), answered as its handler would be; a command's audit
    entry is written now, with the outcome."""
    outcome = await _guarded(ctx, name, call, usage_of=None, answer=isinstance(ctx.event, IncomingMessage))
    await _audit(ctx, outcome)


async def _guarded(
    ctx: Context,
    name: str,
    call: Awaitable[object],
    *,
    usage_of: CommandSpec | None,
    answer: bool = True,
) -> Outcome:
    """Run a handler so that its changes and replies stand or fall together.

    Batches first run optimistically without savepoints (two round trips fewer per
    handler); the first failure aborts the batch, which then runs again with a
    savepoint around each handler, where failures are answered here.
    """
    if not ctx.isolated:
        try:
            await call
        except Exception as exc:
            raise NeedsIsolation(name) from exc
        return Outcome.OK
    try:
        async with ctx.uow.savepoint():
            await call
    except UsageError as exc:
        problem = ctx.render(exc.problem, **exc.params) if exc.problem else ""
        usage = _doc(ctx, usage_of).usage if usage_of else ""
        await ctx.reply("core/usage", usage=usage, problem=problem)
        return Outcome.INVALID
    except UserFacingError as exc:
        await ctx.reply(exc.template, **exc.params)
        return Outcome.INVALID
    except Exception:
        _LOGGER.exception("handler %s failed on %r", name, ctx.event)
        if answer:
            await ctx.reply("core/apology")
        return Outcome.ERROR
    return Outcome.OK


def _audit_record(ctx: Context, route: CommandRoute) -> AuditRecord:
    invocation = route.invocation
    details: dict[str, str | list[str]] = {}
    if invocation.text:
        details["args"] = invocation.text
    if invocation.mentions:
        details["mentions"] = [c.id for c in invocation.mentions]
    return AuditRecord(
        action=route.spec.name,
        actor_id=ctx.actor.id,
        community_id=ctx.community.id if ctx.community else None,
        details=details,
    )


async def _audit(ctx: Context, outcome: Outcome) -> None:
    if ctx.audit_record is not None:
        ctx.audit_record.outcome = outcome
        await write_audit(ctx.db, ctx.audit_record, ctx.now)
