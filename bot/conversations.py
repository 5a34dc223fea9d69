"""Multi-step private conversations: declared state machines whose state lives in a database row."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db import schema
from bot.db.dialect import insert_for

if TYPE_CHECKING:
    from bot.context import Context
    from bot.uow import UnitOfWork

_LOGGER = logging.getLogger(__name__)
_TABLE = schema.conversations

StepHandler = Callable[["Context", str], Awaitable[None]]
NoticeHandler = Callable[["Context"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ConversationSpec:
    """A conversation as PTB's ConversationHandler has it: states, fallbacks, a timeout.

    `steps` maps each state to the handler of the member's next private message in it;
    `fallbacks` maps command words (e.g. "cancel", "取消") to handlers that work in any
    state. `on_remind` runs `remind_before` the timeout, `on_timeout` when it passes;
    `configure` may set them from the capability's config section when the app is built.
    """

    name: str
    capability: str
    steps: Mapping[str, StepHandler]
    fallbacks: Mapping[str, StepHandler] = field(default_factory=dict)
    timeout: timedelta = timedelta(hours=24)
    remind_before: timedelta | None = None
    on_remind: NoticeHandler | None = None
    on_timeout: NoticeHandler | None = None
    # Given its capability's config section: the spec with configured values (e.g. its timeout).
    configure: Callable[[Any], ConversationSpec] | None = None

    def configured(self, section: Any) -> ConversationSpec:
        return self.configure(section) if self.configure is not None and section is not None else self


@dataclass(frozen=True, slots=True)
class Active:
    """A member's open conversation, as stored."""

    member_id: int
    name: str
    state: str
    data: dict[str, Any]
    expires_at: datetime
    reminded: bool = False


class Conversation:
    """The handle a step handler gets as `ctx.conversation`: read the state, move it, end it."""

    def __init__(self, store: ConversationStore, uow: UnitOfWork, spec: ConversationSpec, active: Active) -> None:
        self._store, self._uow, self.spec, self._active = store, uow, spec, active

    @property
    def state(self) -> str:
        return self._active.state

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._active.data)

    @property
    def expires_at(self) -> datetime:
        return self._active.expires_at

    async def move(self, state: str, **updates: Any) -> None:
        """Go to `state`, adding `updates` to the stored data; the timeout starts again."""
        data = {**self._active.data, **updates}
        self._active = await self._store.save(self._uow, self._active.member_id, self.spec.name, state, data)

    async def end(self) -> None:
        await self._store.delete(self._uow, self._active.member_id)


class ConversationStore:
    """Reads and writes the `conversations` table; knows which members have one open."""

    def __init__(self, specs: Mapping[str, ConversationSpec], now: Callable[[], datetime]) -> None:
        self.specs = dict(specs)
        self._now = now
        self._open: set[int] = set()

    async def load(self, engine: AsyncEngine) -> None:
        """At start: who has an open conversation (they survive restarts)."""
        async with engine.connect() as conn:
            self._open = set((await conn.execute(select(_TABLE.c.member_id))).scalars())

    def may_have(self, member_id: int) -> bool:
        return member_id in self._open

    async def get(self, conn: AsyncConnection, member_id: int) -> Active | None:
        row = (await conn.execute(select(_TABLE).where(_TABLE.c.member_id == member_id))).one_or_none()
        if row is None or row.expires_at <= self._now() or row.name not in self.specs:
            return None
        return _active(row)

    async def save(self, uow: UnitOfWork, member_id: int, name: str, state: str, data: dict[str, Any]) -> Active:
        spec = self.specs[name]
        if state not in spec.steps:
            raise ValueError(f"conversation {name!r} has no state {state!r}")
        now = self._now()
        values = {
            "name": name,
            "state": state,
            "data": data,
            "updated_at": now,
            "expires_at": now + spec.timeout,
            "reminded_at": None,
        }
        stmt = insert_for(uow.conn, _TABLE).values(member_id=member_id, started_at=now, **values)
        await uow.conn.execute(stmt.on_conflict_do_update(index_elements=["member_id"], set_=values))
        uow.after_commit(lambda: self._open.add(member_id))
        return Active(member_id, name, state, data, now + spec.timeout)

    async def delete(self, uow: UnitOfWork, member_id: int) -> None:
        await uow.conn.execute(delete(_TABLE).where(_TABLE.c.member_id == member_id))
        uow.after_commit(lambda: self._open.discard(member_id))

    async def mark_reminded(self, uow: UnitOfWork, member_id: int) -> None:
        await uow.conn.execute(update(_TABLE).where(_TABLE.c.member_id == member_id).values(reminded_at=self._now()))

    async def all_open(self, engine: AsyncEngine) -> list[Active]:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(_TABLE).order_by(_TABLE.c.expires_at))).all()
        return [_active(row) for row in rows if row.name in self.specs]

    def notice_due_at(self, active: Active) -> tuple[datetime, bool]:
        """When this conversation next needs attention, and whether that is its reminder."""
        spec = self.specs[active.name]
        if spec.remind_before and spec.on_remind and not active.reminded:
            return active.expires_at - spec.remind_before, True
        return active.expires_at, False


def _active(row: Any) -> Active:
    return Active(row.member_id, row.name, row.state, dict(row.data or {}), row.expires_at, row.reminded_at is not None)
