"""What heavy work is: the spec a capability declares, and what its computation gets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    from bot.config import CoreSettings
    from bot.context import Context
    from bot.templates import TemplateRenderer


@dataclass(frozen=True, slots=True)
class Work:
    """What a computation gets: its parameters, the moment it stands for, and a connection of its own
    that only reads (never the pipeline's writer: it holds no lock while the work runs)."""

    db: AsyncConnection
    settings: CoreSettings
    renderer: TemplateRenderer
    params: Mapping[str, Any]
    now: datetime  # when it was asked for (a request) or the run's time (a scheduled job)


# Module-level and async (a worker process finds it by name); returns a picklable result.
ComputeFunction = Callable[[Work], Awaitable[Any]]
# Writes the reply from the result, in a unit of work of its own that answers the asking message.
DeliverFunction = Callable[["Context", Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class HeavySpec:
    """A piece of heavy work a capability offers to its handlers (`ctx.hand_off(name, ...)`)."""

    name: str
    compute: ComputeFunction
    deliver: DeliverFunction
    capability: str
    # A worker process: for pure-Python CPU work, which in a thread would hold the GIL against the chat.
    in_process: bool = True
    private: bool = True  # apologies and the "working on it" note go privately to the asker
    acknowledge: str | None = "core/heavy_working"  # said when the result takes long; None: never
    timeout_seconds: float | None = None  # None: heavy.timeout_seconds


class HeavyTimeout(Exception):
    """The work took longer than its bound and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"stopped after {seconds:g} s")
        self.seconds = seconds


class HeavyFailed(Exception):
    """The work raised (or its worker died); `detail` is the traceback, for the log only."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail.strip().splitlines()[-1] if detail.strip() else "failed")
        self.detail = detail
