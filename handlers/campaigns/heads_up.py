"""When a KOC's heads-up can arrive, and what the KOCs and the moderator are told when it cannot or no longer applies.

A heads-up is transactional: the contact budget never holds it, but quiet hours (the bot's time zone,
as for every private message) do. One that could only arrive when its clue is already public (the
drop in the KOC's first room to see it) is not sent: its "please keep it to yourself until it
drops" would be false. The moderator who scheduled the clue is told who missed it; a KOC who did get
a heads-up for a clue that is then cancelled or not posted is told so, and so is one whose rooms were
left out while the clue dropped elsewhere (its template failed there, or its waiting posts were withdrawn).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import Context
from bot.db import schema
from bot.db.schema import OutboxStatus, OutgoingKind
from bot.delivery import QuietHours
from bot.members import MemberRef
from handlers.campaigns import store
from handlers.campaigns.store import CampaignView, Room
from handlers.campaigns.tables import clues

_LOGGER = logging.getLogger(__name__)


class Timing:
    """Quiet hours as they bear on a clue: when a private message sent now arrives, when a room sees the clue."""

    def __init__(self, ctx: Context) -> None:
        self._quiet = QuietHours.parse(ctx.settings.delivery.quiet_hours)
        self._bot_zone = ctx.zone

    def _after_quiet(self, when: datetime, zone: ZoneInfo) -> datetime:
        released = self._quiet.release(when, zone) if self._quiet else None
        return released or when

    def arrival(self, sent_at: datetime) -> datetime:
        """When a private heads-up written at `sent_at` goes out (after the quiet hours it falls in)."""
        return self._after_quiet(sent_at, self._bot_zone)

    def drop(self, run_at: datetime, rooms: Iterable[Room]) -> datetime:
        """When the clue first becomes public in one of `rooms` (each waits out its own quiet hours)."""
        return min(
            self._after_quiet(run_at, ZoneInfo(room.timezone) if room.timezone else self._bot_zone) for room in rooms
        )

    def in_time(self, sent_at: datetime, run_at: datetime, rooms: Iterable[Room]) -> bool:
        return self.arrival(sent_at) < self.drop(run_at, rooms)


async def tell_missed(
    ctx: Context, campaign: CampaignView, clue_id: int, run_at: datetime, missed: list[MemberRef]
) -> None:
    """The moderator who scheduled the clue (else every moderator) learns whose heads-up could not arrive in time."""
    creator = (await ctx.db.execute(select(clues.c.created_by).where(clues.c.id == clue_id))).scalar_one_or_none()
    found = await ctx.services.directory.find_member_by_id(ctx.db, creator) if creator else None
    readers = [found] if found is not None else await ctx.services.directory.staff(ctx.db)
    for reader in readers:
        await ctx.dm(
            reader,
            "campaigns/heads_up_missed",
            message_kind=OutgoingKind.TRANSACTIONAL,
            dedupe_key=f"campaign:{campaign.id}:headsup-missed:{clue_id}:{reader.platform_id}",
            id=campaign.id,
            clue=clue_id,
            at=run_at.astimezone(campaign.zone),
            timezone=campaign.timezone,
            names=[m.name for m in missed],
            arrival=Timing(ctx).arrival(ctx.now).astimezone(campaign.zone),
            quiet_hours=ctx.settings.delivery.quiet_hours,
        )
    _LOGGER.info("campaign #%d: %d KOCs cannot have clue #%d's heads-up in time", campaign.id, len(missed), clue_id)


async def written_to(ctx: Context, prefix: str) -> frozenset[str]:
    """The contacts that have a heads-up (dedupe keys starting with `prefix`) in the outbox, whatever its state."""
    outbox = schema.outbox
    found = await ctx.db.execute(select(outbox.c.contact_platform_id).where(outbox.c.dedupe_key.startswith(prefix)))
    return frozenset(found.scalars())


async def told_members(ctx: Context, prefix: str) -> list[MemberRef]:
    """The members whose heads-up (dedupe keys starting with `prefix`) has gone out: it cannot be taken back."""
    outbox = schema.outbox
    contacts = (
        await ctx.db.execute(
            select(outbox.c.contact_platform_id)
            .where(
                outbox.c.dedupe_key.startswith(prefix),
                outbox.c.part == 1,
                outbox.c.status.in_((OutboxStatus.SENT.value, OutboxStatus.SENDING.value)),
            )
            .order_by(outbox.c.id)
        )
    ).scalars()
    found = [await ctx.services.directory.find_member(ctx.db, contact) for contact in dict.fromkeys(contacts)]
    return [member for member in found if member is not None]


def heads_up_off_key(campaign_id: int, clue_id: int) -> str:
    """The dedupe-key prefix of the news that a clue is off (the member's platform id follows)."""
    return f"campaign:{campaign_id}:headsup-off:{clue_id}:"


@dataclass(frozen=True, slots=True)
class RoomsOff:
    """Rooms a clue will not drop in after all (community ids) while it drops in others, and each KOC's
    rooms among the campaign's (member id -> rooms): who of those told must hear of it, and of which rooms."""

    off: frozenset[int]
    audience: dict[int, list[Room]]

    def of(self, member_id: int) -> tuple[list[str], bool]:
        """The member's rooms that will not see the clue, and whether another of theirs will."""
        theirs = self.audience.get(member_id, [])
        off = [room.label for room in theirs if room.community_id in self.off]
        return off, len(off) < len(theirs)


async def tell_called_off(
    ctx: Context,
    campaign_id: int,
    clue_id: int,
    run_at: datetime,
    prefix: str,
    *,
    cancelled: bool,
    where: RoomsOff | None = None,
) -> int:
    """Each KOC who had this clue's heads-up learns it will not drop (cancelled, or not posted), or, with
    `where`, each whose rooms include one it will not drop in learns which; how many were told."""
    campaign = await store.load(ctx.db, campaign_id)
    told = 0
    for member in await told_members(ctx, prefix):
        rooms, elsewhere = where.of(member.id) if where is not None else ([], False)
        if where is not None and not rooms:
            continue  # the clue drops in every room of theirs, as the heads-up said
        await ctx.dm(
            member,
            "campaigns/heads_up_off",
            message_kind=OutgoingKind.TRANSACTIONAL,
            dedupe_key=heads_up_off_key(campaign_id, clue_id) + member.platform_id,
            name=member.name,
            campaign=campaign.name if campaign else "",
            at=run_at.astimezone(campaign.zone) if campaign else run_at,
            cancelled=cancelled,
            rooms=rooms,
            elsewhere=elsewhere,
        )
        told += 1
    return told
