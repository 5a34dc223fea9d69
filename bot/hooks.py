"""Hooks between capabilities, declared: one capability names a moment, others listen in their registry.

A capability that announces something (feedback: "an item shipped") defines a `HookPoint` and calls
`ctx.emit(point, payload)`; a capability that cares (threads: "prompt to resolve the linked thread")
declares `registry.listen(point, listener)`. The composition root collects the listeners of the
registries the app is built from into one `Hooks`, so an app built without a capability never runs
its listeners, and nothing is registered at import time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from bot.context import Context

P = TypeVar("P")
Listener = Callable[["Context", P], Awaitable[None]]


@dataclass(frozen=True, slots=True, eq=False)
class HookPoint(Generic[P]):
    """A moment a capability announces, with the payload its listeners get (compared by identity)."""

    name: str  # e.g. "feedback.item_shipped", for logs and docs


@dataclass(frozen=True, slots=True)
class Hooks:
    """Every listener of the app's capabilities, by hook point, in the order the registries were given."""

    by_point: Mapping[HookPoint[Any], tuple[Listener[Any], ...]]

    @classmethod
    def collect(cls, declared: Iterable[tuple[HookPoint[Any], Listener[Any]]]) -> Hooks:
        by_point: dict[HookPoint[Any], tuple[Listener[Any], ...]] = {}
        for point, listener in declared:
            by_point[point] = (*by_point.get(point, ()), listener)
        return cls(by_point)

    def listeners(self, point: HookPoint[P]) -> tuple[Listener[P], ...]:
        return self.by_point.get(point, ())


NO_HOOKS = Hooks({})
