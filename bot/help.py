"""Help topics: each capability's commands under the names `/help NAME` accepts, in every language."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot import spelling
from bot.db.schema import Role
from bot.registry import CommandSpec, HandlerRegistry

MEMBERS = "members"  # the topic of every command members may use, whatever its capability
MEMBER_NAMES = ("members", "member", "成员", "群友")
# A private /help lists its commands outright up to this many (a member's: 16, with opting out and the data rights;
# a test build adds a few); more go by topic.
MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class Topic:
    key: str  # the capability (or MEMBERS)
    declared: tuple[str, ...]  # lower case, as the registry declares them
    words: tuple[str, ...]  # the first words of its commands (`fb`, `问题`) that no other capability uses
    commands: tuple[CommandSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.declared, *self.words)

    def visible(self, role: Role) -> list[CommandSpec]:
        return [spec for spec in self.commands if spec.role <= role]


class HelpTopics:
    """The topics, found by any of their names (`反馈`, `feedback`, `fb`), in registry order."""

    def __init__(self, registries: Sequence[HandlerRegistry]) -> None:
        commands = [spec for r in registries for spec in r.commands]
        members = Topic(MEMBERS, MEMBER_NAMES, (), tuple(s for s in commands if s.role is Role.MEMBER))
        self.topics = (members, *(_topic(r, _shared_words(registries)) for r in registries if r.commands))
        # A name a capability declares wins over another's command word; else the earlier topic.
        self._by_name = {name: topic for topic in reversed(self.topics) for name in topic.names}
        self._by_name |= {name: topic for topic in reversed(self.topics) for name in topic.declared}

    def visible(self, role: Role) -> list[Topic]:
        """The topics with a command `role` may use (members' topic first)."""
        return [t for t in self.topics if t.visible(role)]

    def find(self, word: str, role: Role) -> Topic | None:
        topic = self._by_name.get(word.strip().lower())
        return topic if topic is not None and topic.visible(role) else None

    def suggest(self, word: str, role: Role) -> str | None:
        """The closest name of a topic `role` may see (await `spelling.ready()` first)."""
        return spelling.closest(word, [name for t in self.visible(role) for name in t.names])


def _command_words(registry: HandlerRegistry) -> set[str]:
    return {name.split()[0].lower() for spec in registry.commands for name in spec.names}


def _shared_words(registries: Sequence[HandlerRegistry]) -> set[str]:
    """First words of commands in more than one capability (`活动 奖励`, `活动 创建`): no topic's own."""
    counts = Counter(word for r in registries for word in _command_words(r))
    return {word for word, count in counts.items() if count > 1}


def _topic(registry: HandlerRegistry, shared: set[str]) -> Topic:
    declared = tuple(name.lower() for name in registry.topic)
    words = sorted(_command_words(registry) - shared - set(declared))
    return Topic(registry.capability, declared, tuple(words), tuple(registry.commands))
