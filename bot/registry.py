"""Explicit handler registries: each capability declares its commands, matchers and event handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.commands import Invocation
from bot.conversations import ConversationSpec
from bot.db.schema import Role
from bot.events import IncomingMessage, MemberJoined, MemberLeft
from bot.heavy.spec import ComputeFunction, DeliverFunction, HeavySpec
from bot.hooks import HookPoint, Listener, P
from bot.scheduling.jobs import JobFunction, JobSpec
from bot.timeline import DueSource
from bot.uow import Database

if TYPE_CHECKING:
    from bot.context import Context, Services
    from bot.outbox import Draft
    from bot.templates import TemplateRenderer

CommandHandler = Callable[["Context", Invocation], Awaitable[None]]
# A matcher sees the message and its capability's config section (None if it has none).
MatchFunction = Callable[[IncomingMessage, Any], Any | None]
MatchHandler = Callable[["Context", Any], Awaitable[None]]
EventHandler = Callable[["Context", MemberJoined | MemberLeft], Awaitable[None]]
_Membership = TypeVar("_Membership", MemberJoined, MemberLeft)
MembershipHandler = Callable[["Context", _Membership], Awaitable[None]]  # a handler of one of the two
# A section of the moderators' digest: (template, parameters) to render in the reader's
# language, or None when there is nothing to report.
DigestSection = Callable[["Context"], Awaitable[tuple[str, dict[str, Any]] | None]]
# Built by the composition root, once the database and services exist.
DueSourceFactory = Callable[[Database, "Services"], DueSource]
# Looks at a private message the bot is about to write and returns it, amended or not (a notice the
# first time the bot writes to a member), or None to withhold it (the member opted out of unsolicited
# messages), in the transaction that writes it.
PrivateNote = Callable[["Context", "Draft"], Awaitable["Draft | None"]]
# Work a capability does in the background when the bot starts (e.g. loading a dictionary), so the
# first message that needs it does not wait; the bot serves messages meanwhile.
StartHook = Callable[[AsyncEngine, "Services"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What `kocbot export NAME` was asked for; each export reads the parts it needs."""

    argument: str | None = None  # e.g. a version
    format: str | None = None
    statuses: tuple[str, ...] = ()
    timezone: str = "UTC"  # the community's (bot.timezone): times in exports are local
    renderer: TemplateRenderer | None = None  # for words people read (headings): the operator's templates
    locale: str | None = None  # the community's language


# An export reads the database and returns the text (or, for .xlsx, the bytes) to write; ValueError: the
# request was wrong.
ExportFunction = Callable[[AsyncConnection, ExportRequest], Awaitable[str | bytes]]


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What `kocbot report NAME ARGUMENT --out DIR` was asked for."""

    argument: str  # e.g. a campaign's number, or a month "2026-12"
    out: Path  # the folder to write into (it exists)


# A report reads the database and writes its files (text, CSV, PNG charts) into `out`; it returns
# their paths. ValueError: the argument was wrong (the message says how).
ReportFunction = Callable[[AsyncConnection, "Services", ReportRequest], Awaitable[list[Path]]]


class Where(StrEnum):
    ANYWHERE = "anywhere"
    ROOM = "room"
    DM = "dm"

    def allows(self, message: IncomingMessage) -> bool:
        if self is Where.ANYWHERE:
            return True
        return message.is_direct == (self is Where.DM)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str  # one or more words: "ping", "mod add"
    handler: CommandHandler
    capability: str
    aliases: tuple[str, ...] = ()
    role: Role = Role.MEMBER
    where: Where = Where.ANYWHERE
    # Staff commands answer their caller privately, even when typed in a group: members see only
    # what the command posts for them on purpose (a thank-you, a resolution notice), never the
    # machinery. True for a staff command whose answer is itself meant for the room.
    answers_in_room: bool = False

    @property
    def key(self) -> str:
        """The command's entry in its capability's commands.toml."""
        return self.name.replace(" ", "_")

    @property
    def audited(self) -> bool:
        return self.role >= Role.MODERATOR

    @property
    def answers_privately(self) -> bool:
        return self.role >= Role.MODERATOR and not self.answers_in_room

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class MatcherSpec:
    """A cheap, pure match on a message (no database), then a handler for the typed match."""

    name: str
    match: MatchFunction
    handler: MatchHandler
    capability: str
    where: Where = Where.ROOM


@dataclass(frozen=True, slots=True)
class EventHandlerSpec:
    event_type: type
    handler: EventHandler
    capability: str


def _any_text(message: IncomingMessage, section: Any) -> str:
    return message.text


class HandlerRegistry:
    """What one capability adds to the bot; the app is built from a list of these."""

    def __init__(
        self, capability: str, *, config_section: type[BaseModel] | None = None, topic: Iterable[str] = ()
    ) -> None:
        self.capability = capability
        self.config_section = config_section
        # What `/help NAME` accepts for this capability's commands, in every language ("feedback",
        # "反馈"); its words are in the locale's commands.toml, `[topic]`.
        self.topic = (*topic, capability) if capability not in topic else tuple(topic)
        self.commands: list[CommandSpec] = []
        self.matchers: list[MatcherSpec] = []
        self.fallbacks: list[MatcherSpec] = []  # for messages nothing else took
        self.overhearers: list[MatcherSpec] = []  # see messages whoever takes them (listening)
        self.event_handlers: list[EventHandlerSpec] = []
        self.conversations: list[ConversationSpec] = []
        self.due_sources: list[DueSourceFactory] = []
        self.exports: dict[str, ExportFunction] = {}  # `kocbot export NAME`
        self.reports: dict[str, ReportFunction] = {}  # `kocbot report NAME ARGUMENT --out DIR`
        self.jobs: list[JobSpec] = []
        self.heavy_work: list[HeavySpec] = []
        self.digest_sections: list[tuple[str, DigestSection]] = []
        self.start_hooks: list[StartHook] = []
        self.listeners: list[tuple[HookPoint[Any], Listener[Any]]] = []  # hooks of other capabilities
        self.private_notes: list[PrivateNote] = []

    def command(
        self,
        name: str,
        *,
        aliases: Iterable[str] = (),
        role: Role = Role.MEMBER,
        where: Where = Where.ANYWHERE,
        answers_in_room: bool = False,
    ) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            spec = CommandSpec(name, handler, self.capability, tuple(aliases), role, where, answers_in_room)
            self.commands.append(spec)
            return handler

        return register

    def matcher(
        self, name: str, match: MatchFunction, *, where: Where = Where.ROOM
    ) -> Callable[[MatchHandler], MatchHandler]:
        def register(handler: MatchHandler) -> MatchHandler:
            self.matchers.append(MatcherSpec(name, match, handler, self.capability, where))
            return handler

        return register

    def overhear(
        self, name: str, match: MatchFunction, *, where: Where = Where.ROOM
    ) -> Callable[[MatchHandler], MatchHandler]:
        """Like `matcher`, but never taking the message from anyone: its handler runs as well as the
        handler of the matcher that took it (or alone). For capabilities that only notice and record;
        commands and conversation steps are never overheard."""

        def register(handler: MatchHandler) -> MatchHandler:
            self.overhearers.append(MatcherSpec(name, match, handler, self.capability, where))
            return handler

        return register

    def fallback(self, name: str, *, where: Where = Where.DM) -> Callable[[MatchHandler], MatchHandler]:
        """Handle the messages no conversation, command or matcher took (the handler gets the text)."""

        def register(handler: MatchHandler) -> MatchHandler:
            self.fallbacks.append(MatcherSpec(name, _any_text, handler, self.capability, where))
            return handler

        return register

    def add_conversation(self, spec: ConversationSpec) -> ConversationSpec:
        """Declare a multi-step private conversation; start it with `ctx.start_conversation`."""
        self.conversations.append(spec)
        return spec

    def export(self, name: str) -> Callable[[ExportFunction], ExportFunction]:
        """Offer `kocbot export NAME`: the function's text goes to stdout or --out."""

        def register(function: ExportFunction) -> ExportFunction:
            self.exports[name] = function
            return function

        return register

    def report(self, name: str) -> Callable[[ReportFunction], ReportFunction]:
        """Offer `kocbot report NAME ARGUMENT --out DIR`: the function writes its files there."""

        def register(function: ReportFunction) -> ReportFunction:
            self.reports[name] = function
            return function

        return register

    def add_due_source(self, factory: DueSourceFactory) -> DueSourceFactory:
        """Declare due work (reminders, follow-ups) the app runs in real or travelled time."""
        self.due_sources.append(factory)
        return factory

    def scheduled_job(
        self,
        name: str,
        *,
        cron: str,
        enabled: bool = True,
        report_missed: bool = True,
        grace_minutes: int | None = None,
        prepare: ComputeFunction | None = None,
        prepare_in_process: bool = True,
    ) -> Callable[[JobFunction], JobFunction]:
        """Declare a built-in recurring job (`[scheduler.jobs.NAME]` switches or retimes it). The
        function is module-level and async, takes a `JobRun`, and is called at most once per
        scheduled time, in the transaction that records the run; `run.run_time` is None when
        every due run was missed while the bot was down (the scheduler tells the moderators, unless
        `report_missed` is False: for digests the next run supersedes). `grace_minutes` replaces
        `scheduler.misfire_grace_minutes` for a job that is still welcome much later (a monthly roll).
        Heavy work goes in `prepare` (see `heavy`): computed first, on a read connection, away from the
        event loop and the write lock; its result is then `run.prepared` in the short transaction."""

        def register(function: JobFunction) -> JobFunction:
            self.jobs.append(
                JobSpec(
                    name,
                    function,
                    cron,
                    enabled,
                    self.capability,
                    report_missed,
                    grace_minutes,
                    prepare,
                    prepare_in_process,
                )
            )
            return function

        return register

    def heavy(
        self,
        name: str,
        *,
        compute: ComputeFunction,
        deliver: DeliverFunction,
        in_process: bool = True,
        private: bool = True,
        acknowledge: str | None = "core/heavy_working",
        timeout_seconds: float | None = None,
    ) -> HeavySpec:
        """Declare heavy work (a report, a chart) that handlers hand off with `ctx.hand_off(name, **params)`.
        `compute(work)` reads through `work.db` and returns a picklable result, in a worker process
        (`in_process`: pure-Python CPU work) or the heavy-work thread (I/O, numpy, matplotlib);
        `deliver(ctx, result)` then writes the reply. `private`: apologies and the `acknowledge` note
        (said when the result takes long) go privately to the asker."""
        spec = HeavySpec(name, compute, deliver, self.capability, in_process, private, acknowledge, timeout_seconds)
        self.heavy_work.append(spec)
        return spec

    def digest_section(self, name: str) -> Callable[[DigestSection], DigestSection]:
        """Contribute to the moderators' weekly digest (overdue feedback, open threads, ...)."""

        def register(section: DigestSection) -> DigestSection:
            self.digest_sections.append((name, section))
            return section

        return register

    def listen(self, point: HookPoint[P], listener: Listener[P]) -> None:
        """Run `listener` whenever another capability emits `point` (see bot.hooks), in apps built
        with this capability only."""
        self.listeners.append((point, listener))

    def private_note(self, note: PrivateNote) -> PrivateNote:
        """Let `note` amend every private message a handler or job writes (e.g. a notice in the first
        one), or withhold it (an unsolicited message to a member who opted out)."""
        self.private_notes.append(note)
        return note

    def on_start(self, hook: StartHook) -> StartHook:
        """Run `hook` in the background each time the bot starts; a failure is logged, never fatal."""
        self.start_hooks.append(hook)
        return hook

    def on(
        self, event_type: type[_Membership]
    ) -> Callable[[MembershipHandler[_Membership]], MembershipHandler[_Membership]]:
        def register(handler: MembershipHandler[_Membership]) -> MembershipHandler[_Membership]:
            # Stored as taking either event: Router.handlers_for hands it only events of `event_type`.
            self.event_handlers.append(EventHandlerSpec(event_type, cast(EventHandler, handler), self.capability))
            return handler

        return register
