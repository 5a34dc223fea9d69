"""The console's actions are the bot's own commands: typed by the console instead of the moderator, routed,
checked, audited and answered exactly as in chat (one implementation of every action).

An action is a private command from the signed-in moderator: the router parses it, the dispatcher checks
the role, runs the handler in a savepoint and writes the audit entry under the moderator's name; members
are told, rewarded and credited by the handler as from chat. Only the answers to the moderator differ:
they are shown in the page instead of being sent to WeChat.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.audit import Outcome
from bot.context import Context, Services
from bot.dispatch import dispatch_route
from bot.events import Contact, IncomingMessage
from bot.members import MemberRef
from bot.outbox import Draft
from bot.router import CommandRoute
from bot.uow import Database, UnitOfWork

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class ActionResult:
    """What the moderator would have read in chat, and how the command ended (as audited)."""

    command: str
    outcome: Outcome
    replies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


class ConsoleContext(Context):
    """A command's context whose answers to the moderator stay in the page; everything else goes out as usual."""

    def __init__(self, services: Services, uow: UnitOfWork, message: IncomingMessage, actor: MemberRef) -> None:
        super().__init__(services, uow, message, actor, None)
        self.replies: list[str] = []

    async def _enqueue(self, draft: Draft) -> bool:
        answer = draft.contact_id == self.actor.platform_id and draft.room_id is None
        if answer and draft.not_before is None and draft.dedupe_key is None:
            self.replies.append(draft.text)
            return True
        # As usual: through the capabilities' private notes (an opt-out withholds an unsolicited one).
        return await super()._enqueue(draft)


class Actions:
    """Runs commands for signed-in moderators, each in a transaction of its own."""

    def __init__(self, database: Database, services: Services, on_committed: Callable[[], None]) -> None:
        self._database = database
        self._services = services
        self._on_committed = on_committed  # the bot's sender: new outbox rows to send now

    async def run(self, moderator: MemberRef, command: str, locale: str) -> ActionResult:
        """`command` as a moderator would type it (e.g. "/fb status FB-3 acknowledged"), answered in `locale`."""
        actor = replace(moderator, locale=locale)
        message = IncomingMessage(f"web-{uuid.uuid4().hex}", Contact(actor.platform_id, actor.name), command)
        route = self._services.router.route(message)
        if not isinstance(route, CommandRoute):
            raise ValueError(f"not a command: {command!r}")
        async with UnitOfWork(self._database, self._services.clock) as uow:
            ctx = ConsoleContext(self._services, uow, message, actor)
            await dispatch_route(ctx, route)
            await uow.commit()
        self._on_committed()
        outcome = ctx.audit_record.outcome if ctx.audit_record is not None else Outcome.OK
        _LOGGER.info("console: %s ran %r: %s", moderator.platform_id, command.split("\n")[0][:80], outcome.value)
        return ActionResult(command, outcome, ctx.replies)
