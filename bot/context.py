"""What a handler gets: the event, who sent it, the transaction, and the one way to answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.audit import AuditRecord
from bot.clock import month_of
from bot.db.schema import Delivery, OutgoingKind
from bot.events import Contact, Event, Image, IncomingMessage
from bot.heavy import requests as heavy_requests
from bot.members import CommunityRef, MemberRef
from bot.outbox import Draft

_LOGGER = logging.getLogger(__name__)

# The core reads in layers (tests/test_layers.py): what a capability declares (registry, router,
# conversations, hooks, jobs, heavy work) names `Context` in its handlers' signatures, so `Services`
# names those parts, which the composition root puts in it, for type checking only.
if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import CoreSettings
    from bot.conversations import Conversation, ConversationStore
    from bot.followups import FollowUps
    from bot.heavy.requests import HeavyRequest
    from bot.heavy.spec import HeavySpec
    from bot.hooks import HookPoint, Hooks, P
    from bot.members import Directory
    from bot.registry import DigestSection, PrivateNote
    from bot.router import Router
    from bot.templates import TemplateRenderer
    from bot.uow import UnitOfWork
    from bot.workers import WorkerPool


@dataclass(slots=True)
class Signals:
    """Notifications to parts built later than the services (the app subscribes to them)."""

    schedule_changed: list[Callable[[], None]] = field(default_factory=list)
    handed_off: list[Callable[[HeavyRequest], None]] = field(default_factory=list)

    def notify_schedule_changed(self) -> None:
        """A job was scheduled or cancelled: the due loop should look again now, not later."""
        for callback in self.schedule_changed:
            callback()

    def notify_handed_off(self, request: HeavyRequest) -> None:
        """A request for heavy work was committed: start on it."""
        for callback in self.handed_off:
            callback(request)


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived collaborators, chosen once by the composition root."""

    settings: CoreSettings
    clock: Clock
    renderer: TemplateRenderer
    directory: Directory
    router: Router
    conversations: ConversationStore
    workers: WorkerPool  # processes for user templates: a hard time limit, off the event loop
    followups: FollowUps  # work finished after an event's transaction (`ctx.later`)
    hooks: Hooks  # the listeners of the capabilities the app was built with (bot.hooks)
    digest_sections: tuple[tuple[str, DigestSection], ...] = ()  # the moderators' digest, in order
    signals: Signals = field(default_factory=Signals)

    @property
    def zone(self) -> ZoneInfo:
        """The bot's time zone (bot.timezone), in which days, months and schedules are counted."""
        return ZoneInfo(self.settings.bot.timezone)

    heavy_work: Mapping[str, HeavySpec] = field(default_factory=dict)  # what handlers may hand off, by name
    private_notes: tuple[PrivateNote, ...] = ()  # amend private messages on their way to the outbox


class Context:
    """One event's view of the bot. Replies are written to the outbox in this transaction."""

    def __init__(
        self,
        services: Services,
        uow: UnitOfWork,
        event: Event | None,
        actor: MemberRef,
        community: CommunityRef | None,
        message_row_id: int | None = None,
        *,
        isolated: bool = True,
        answering: bool | None = None,
    ) -> None:
        self.services = services
        self.uow = uow
        self.event = event
        self.actor = actor
        self.community = community
        self.message_row_id = message_row_id
        self.audit_record: AuditRecord | None = None
        self.isolated = isolated  # False: no savepoint per handler (see bot.dispatch._guarded)
        self.conversation: Conversation | None = None  # set for a conversation's steps
        # Staff work happens in private: set for a staff command, so that its answers (and its
        # usage and error replies) go to the caller's private chat even when typed in a group.
        self.answers_privately = False
        self.deferred = False  # a follow-up finishes this event's work (see `later`)
        # Answers a member's message (its replies are never held back): the event's, or a request's
        # answered later (heavy work, see bot.heavy), which has no event.
        self.answering = isinstance(event, IncomingMessage) if answering is None else answering

    @property
    def db(self) -> AsyncConnection:
        return self.uow.conn

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def settings(self) -> CoreSettings:
        return self.services.settings

    # Time as handlers count it: days and months in the bot's time zone (agreements, briefs, reports),
    # a room's own zone for the times that room reads.

    @property
    def zone(self) -> ZoneInfo:
        """The bot's time zone (bot.timezone)."""
        return self.services.zone

    @property
    def room_zone(self) -> ZoneInfo:
        """The time zone of this event: its room's, or the bot's in private."""
        return ZoneInfo(self.community.timezone) if self.community is not None else self.zone

    @property
    def today(self) -> date:
        """Today in the bot's time zone."""
        return self.local(self.now).date()

    def local(self, when: datetime) -> datetime:
        """`when` in the bot's time zone (for templates, weeks and calendar days)."""
        return when.astimezone(self.zone)

    def month_of(self, when: datetime | None = None) -> str:
        """The month ("YYYY-MM") `when`, by default now, falls in, in the bot's time zone."""
        return month_of(self.now if when is None else when, self.zone)

    def day_start(self, day: date) -> datetime:
        """Midnight at the start of `day` in the bot's time zone."""
        return datetime.combine(day, time(), tzinfo=self.zone)

    @property
    def locale(self) -> str:
        """The language of this conversation: the room's, or the member's in private."""
        if self.community is not None:
            return self.community.locale
        return self.services.renderer.locale_or_default(self.actor.locale)

    def render(self, template: str, locale: str | None = None, /, **params: Any) -> str:
        return self.services.renderer.render(template, locale or self.locale, **params)

    async def reply(self, template: str, /, *, mention_sender: bool = True, **params: Any) -> None:
        """Answer in the conversation the event came from (in a room, addressed to the sender)."""
        if self.community is not None and self.answers_privately:
            # In the member's own language if they chose one, else the language they wrote in.
            own = self.actor.locale
            locale = self.services.renderer.locale_or_default(own) if own else self.locale
            text = self.render(template, locale, **params)
            draft = Draft(text, template, locale, contact_id=self.actor.platform_id, in_reply_to=self.message_row_id)
            await self._enqueue(draft)
            return
        text = self.render(template, **params)
        if self.community is None:
            await self._enqueue(
                Draft(text, template, self.locale, contact_id=self.actor.platform_id, in_reply_to=self.message_row_id)
            )
            return
        mentions: tuple[str, ...] = ()
        if mention_sender:
            text = f"@{self.actor.name} {text}"
            mentions = (self.actor.platform_id,)
        await self._enqueue(
            Draft(
                text,
                template,
                self.locale,
                room_id=self.community.platform_id,
                mentions=mentions,
                in_reply_to=self.message_row_id,
            )
        )

    async def reply_privately(self, template: str, /, **params: Any) -> None:
        """Answer the sender in a direct message, wherever they asked."""
        await self.dm(self.actor, template, **params)

    async def dm(
        self,
        member: MemberRef,
        template: str,
        /,
        *,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        urgent: bool = False,
        image: Image | None = None,
        message_kind: OutgoingKind = OutgoingKind.UNSOLICITED,
        **params: Any,
    ) -> bool:
        """A private message. To the sender of the message being handled it is a reply; to anyone
        else it is the bot's own initiative (routine: held in quiet hours, counted against the
        member's contact budget), unless `urgent`, and of `message_kind`: unsolicited unless the
        caller says it is transactional (not `kind`: templates use that name). With `image`, the message is that picture and the rendered
        template its caption (shown by the console, kept in the logs). False when it was withheld
        (an unsolicited message to a member who opted out: see PrivateNote)."""
        locale = self.services.renderer.locale_or_default(member.locale)
        text = self.render(template, locale, **params)
        replying = self.answering and member.id == self.actor.id
        return await self._enqueue(
            Draft(
                text,
                template,
                locale,
                contact_id=member.platform_id,
                dedupe_key=dedupe_key,
                not_before=not_before,
                delivery=self._delivery(replying, urgent),
                image=image,
                kind=OutgoingKind.REPLY if replying else message_kind,
            )
        )

    async def post(
        self,
        community: CommunityRef,
        template: str,
        /,
        *,
        mentions: tuple[str, ...] = (),
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        urgent: bool = False,
        image: Image | None = None,
        message_kind: OutgoingKind = OutgoingKind.UNSOLICITED,
        addressee: MemberRef | None = None,
        **params: Any,
    ) -> None:
        """A public message in a community, in that community's language. In the room of the
        message being handled it is a reply; elsewhere it is routine (held in quiet hours) unless `urgent`,
        and of `message_kind` (unsolicited unless the caller says it is transactional).
        With `image`, the message is that picture and the rendered template its caption. A post meant
        for one member alone (`addressee`: a welcome) is not written if they have left the room, and is
        withdrawn if they leave before it goes out."""
        if addressee is not None and await self.services.directory.has_left(self.db, community, addressee):
            _LOGGER.info("%s to %s is dropped: they left %s", template, addressee.platform_id, community.platform_id)
            return
        text = self.render(template, community.locale, **params)
        replying = (
            self.answering
            and self.community is not None
            and community.platform_id == self.community.platform_id
            and not_before is None
        )
        await self._enqueue(
            Draft(
                text,
                template,
                community.locale,
                room_id=community.platform_id,
                mentions=mentions,
                dedupe_key=dedupe_key,
                not_before=not_before,
                delivery=self._delivery(replying, urgent),
                image=image,
                kind=OutgoingKind.REPLY if replying else message_kind,
                addressee=addressee.platform_id if addressee is not None else None,
            )
        )

    @staticmethod
    def _delivery(replying: bool, urgent: bool) -> Delivery:
        if replying:
            return Delivery.REPLY
        return Delivery.URGENT if urgent else Delivery.ROUTINE

    async def member(self, contact: Contact) -> MemberRef:
        """The member record of a contact in this event (sender, mentions and quote are all stored)."""
        directory = self.services.directory
        found = directory.cached_member(contact.id) or await directory.find_member(self.db, contact.id)
        if found is None:
            found = await directory.ensure_member(self.uow, contact, self.now)
        return found

    async def start_conversation(self, name: str, state: str, **data: Any) -> None:
        """Open (or restart) the actor's private conversation `name` in `state`."""
        await self.services.conversations.save(self.uow, self.actor.id, name, state, data)

    async def hand_off(self, work: str, /, **params: Any) -> None:
        """Have the heavy work `work` (declared with `registry.heavy`) done outside this transaction and
        off the event loop. The request is recorded with this message; its answer is written in a
        transaction of its own when the result is ready. `params` are stored as JSON."""
        if work not in self.services.heavy_work:
            raise KeyError(f"no heavy work is declared as {work!r}")
        request = await heavy_requests.record(
            self.db,
            work,
            params,
            account=self.settings.bot.account,
            actor_id=self.actor.id,
            community_id=self.community.id if self.community else None,
            message_id=self.message_row_id,
            now=self.now,
        )
        self.uow.after_commit(lambda: self.services.signals.notify_handed_off(request))

    def note_audit(self, *, target: MemberRef | None = None, **details: Any) -> None:
        """Add the target and details to this command's audit entry."""
        if self.audit_record is None:
            return
        if target is not None:
            self.audit_record.target_id = target.id
        self.audit_record.details.update(details)

    async def emit(self, point: HookPoint[P], payload: P) -> None:
        """Tell the capabilities that listen to `point` (in this transaction, as this event's handler)."""
        for listener in self.services.hooks.listeners(point):
            await listener(self, payload)

    def later(
        self, work: Callable[[], Awaitable[Any]], then: Callable[[Context, Any], Awaitable[None]], name: str
    ) -> None:
        """Finish this event's work after its transaction (see bot.followups): `work()` runs outside any
        transaction, then `then(ctx, result)` in one of its own, answering as this handler would.
        Nothing starts if this transaction rolls back."""
        self.deferred = True
        followups = self.services.followups
        self.uow.after_commit(lambda: followups.start(self, work, then, name))

    @property
    def message(self) -> IncomingMessage:
        if not isinstance(self.event, IncomingMessage):
            raise TypeError("this handler was not called for a message")
        return self.event

    async def _enqueue(self, draft: Draft) -> bool:
        """Write `draft` to the outbox (with this transaction); False when a capability withheld it."""
        if draft.contact_id is not None:
            for note in self.services.private_notes:
                amended = await note(self, draft)
                if amended is None:
                    return False
                draft = amended
        self.uow.send(draft)
        return True
