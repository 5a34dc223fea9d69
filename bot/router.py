"""Routing: slash-commands by name (English and Chinese aliases), then matchers in declared order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import spelling
from bot.commands import Invocation, ParsedCommand, parse_command
from bot.conversations import Active, ConversationSpec, StepHandler
from bot.db.schema import Role
from bot.events import IncomingMessage, MessageKind
from bot.help import HelpTopics
from bot.registry import CommandSpec, EventHandlerSpec, HandlerRegistry, MatcherSpec

MAX_COMMAND_WORDS = 3


@dataclass(frozen=True, slots=True)
class CommandRoute:
    spec: CommandSpec
    invocation: Invocation

    @property
    def name(self) -> str:
        return f"/{self.spec.name}"


@dataclass(frozen=True, slots=True)
class UnknownCommandRoute:
    parsed: ParsedCommand
    group: tuple[CommandSpec, ...]  # "/mod" alone: the commands that start with it

    @property
    def name(self) -> str:
        return "/?"


@dataclass(frozen=True, slots=True)
class MatcherRoute:
    spec: MatcherSpec
    match: Any

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class ConversationRoute:
    """The member's next message in an open conversation, or one of its fallback commands."""

    spec: ConversationSpec
    active: Active
    handler: StepHandler
    text: str

    @property
    def name(self) -> str:
        return f"conversation {self.spec.name}:{self.active.state}"


@dataclass(frozen=True, slots=True)
class FailedRoute:
    """Routing itself failed (a matcher raised, a conversation could not be read): the message is
    still logged, and its sender gets the apology."""

    @property
    def name(self) -> str:
        return "!error"


Route = CommandRoute | UnknownCommandRoute | MatcherRoute | ConversationRoute | FailedRoute


class Router:
    def __init__(self, registries: Sequence[HandlerRegistry], sections: Mapping[str, Any] | None = None) -> None:
        self.registries = tuple(registries)
        self._sections = dict(sections or {})  # each capability's config section, for its matchers
        self.commands = tuple(spec for r in registries for spec in r.commands)
        self.matchers = tuple(spec for r in registries for spec in r.matchers)
        self.fallbacks = tuple(spec for r in registries for spec in r.fallbacks)
        self.event_handlers = tuple(spec for r in registries for spec in r.event_handlers)
        self.conversations = {
            spec.name: spec.configured(self._sections.get(spec.capability))
            for r in registries
            for spec in r.conversations
        }
        self.topics = HelpTopics(self.registries)
        self._by_name: dict[tuple[str, ...], CommandSpec] = {}
        for spec in self.commands:
            for name in spec.names:
                key = tuple(name.lower().split())
                if key in self._by_name:
                    raise ValueError(f"command name {name!r} is registered twice")
                self._by_name[key] = spec

    @staticmethod
    def routable(message: IncomingMessage) -> bool:
        """Text from someone else: pictures, files and the bot's own echoes are only logged."""
        return message.kind is MessageKind.TEXT and not message.from_self

    def route(self, message: IncomingMessage, active: Active | None = None) -> Route | None:
        """An open conversation's step or fallback first (private messages only), then a
        command, then the matchers in declared order, then a fallback for what none of them took."""
        if not self.routable(message):
            return None
        parsed = parse_command(message)
        if active is not None and message.is_direct:
            step = self._conversation_step(active, parsed, message)
            if step is not None:
                return step
        if parsed is not None:
            return self._resolve(parsed, message)
        return self._matched(message)

    def _matched(self, message: IncomingMessage) -> MatcherRoute | None:
        for spec in (*self.matchers, *self.fallbacks):
            if spec.where.allows(message):
                match = spec.match(message, self._sections.get(spec.capability))
                if match is not None:
                    return MatcherRoute(spec, match)
        return None

    def _conversation_step(
        self, active: Active, parsed: ParsedCommand | None, message: IncomingMessage
    ) -> ConversationRoute | None:
        spec = self.conversations.get(active.name)
        if spec is None or active.state not in spec.steps:
            return None
        if parsed is None:
            return ConversationRoute(spec, active, spec.steps[active.state], message.text.strip())
        fallback = spec.fallbacks.get(parsed.words[0].lower())
        if fallback is None:
            return None  # other commands (/help...) work as usual; the conversation waits
        return ConversationRoute(spec, active, fallback, parsed.rest_after(1))

    def _resolve(self, parsed: ParsedCommand, message: IncomingMessage) -> Route:
        words = tuple(w.lower() for w in parsed.words)
        for count in range(min(MAX_COMMAND_WORDS, len(words)), 0, -1):
            spec = self._by_name.get(words[:count])
            if spec is not None:
                invocation = Invocation(
                    name=spec.name,
                    args=parsed.words[count:],
                    text=parsed.raw_rest_after(count),
                    mentions=message.mentions,
                    quote_sender=message.quote.sender if message.quote else None,
                )
                return CommandRoute(spec, invocation)
        group = tuple(s for s in self.commands if any(n.lower().split()[0] == words[0] for n in s.names))
        return UnknownCommandRoute(parsed, group)

    def visible_commands(self, role: Role) -> list[CommandSpec]:
        return [spec for spec in self.commands if spec.role <= role]

    def suggest(self, parsed: ParsedCommand, role: Role) -> str | None:
        """The closest command the caller may use, by characters or by sound (`/帮主` -> 帮助), or
        None. Await `bot.spelling.ready()` first, or Chinese typos are compared by characters only."""
        names = [name for spec in self.visible_commands(role) for name in spec.names]
        for count in (2, 1):
            close = spelling.closest(" ".join(parsed.words[:count]), names)
            if close:
                return close
        return None

    def handlers_for(self, event: object) -> list[EventHandlerSpec]:
        return [spec for spec in self.event_handlers if isinstance(event, spec.event_type)]
