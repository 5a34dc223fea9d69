"""Members and communities: one identity per platform id, kept in a small write-through cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import CoreSettings
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import Role
from bot.events import Contact
from bot.uow import UnitOfWork

CACHE_SECONDS = 300.0
# The longest a cached member may outlive a change made by another process (see bot.member_changes).
STALE_LIMIT_SECONDS = 1.0
CHANNEL = "kocbot_members"  # PostgreSQL's notifications of changed members (bot.member_changes listens)


async def announce_member_change(conn: AsyncConnection, platform_id: str) -> None:
    """Tell the other processes, on commit, that this member changed (PostgreSQL; SQLite has one process)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_notify(CHANNEL, platform_id)))


@dataclass(frozen=True, slots=True)
class MemberRef:
    id: int
    platform_id: str
    name: str
    role: Role
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class CommunityRef:
    id: int
    platform_id: str
    name: str
    locale: str
    timezone: str


class Directory:
    """Finds or creates members and communities; the hot path mostly hits the cache.

    Cache entries are only added after the transaction that created or read them commits
    (`UnitOfWork.after_commit`, in order), so a rolled-back batch never leaves a phantom id behind.

    A fact another process may change (the role) is announced with `changed`: this process forgets
    the member at once, and on PostgreSQL every other process does when it is told
    (`bot.member_changes`). While other processes can change members (`watch`), cached members are
    used only for `STALE_LIMIT_SECONDS` after the listener last confirmed that nothing older is
    missing (`confirm`); otherwise (SQLite: one process only) they are used until they expire.
    """

    def __init__(self, settings: CoreSettings, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._monotonic = monotonic
        self._members: dict[str, tuple[MemberRef, float]] = {}
        self._communities: dict[str, CommunityRef] = {}
        self._memberships: set[tuple[int, int]] = set()
        self._admins = frozenset(settings.permissions.admins)
        self._moderators = frozenset(settings.permissions.moderators)
        # Bumped by every invalidation: a read made before one is not cached after its commit.
        self._epoch = 0
        # None: no other process changes members. Else the monotonic time until which the cache is trusted.
        self._trusted_until: float | None = None

    def config_role(self, platform_id: str) -> Role:
        if platform_id in self._admins:
            return Role.ADMIN
        if platform_id in self._moderators:
            return Role.MODERATOR
        return Role.MEMBER

    def is_config_staff(self, platform_id: str) -> bool:
        return self.config_role(platform_id) > Role.MEMBER

    def forget(self, platform_id: str) -> None:
        self._epoch += 1
        self._members.pop(platform_id, None)

    def forget_all(self) -> None:
        self._epoch += 1
        self._members.clear()

    def watch(self) -> None:
        """Other processes may change members from now on: trust the cache only once confirmed."""
        self._trusted_until = 0.0

    def confirm(self, asked_at: float) -> None:
        """Every change committed before the monotonic time `asked_at` has been forgotten."""
        self._trusted_until = asked_at + STALE_LIMIT_SECONDS

    def distrust(self) -> None:
        """Changes may be missed (the listener lost its connection): no cached member until confirmed."""
        if self._trusted_until is not None:
            self._trusted_until = 0.0

    def cached_member(self, platform_id: str) -> MemberRef | None:
        entry = self._members.get(platform_id)
        if entry is None:
            return None
        now = self._monotonic()
        trusted = self._trusted_until
        return entry[0] if entry[1] > now and (trusted is None or trusted > now) else None

    def _effective(self, ref: MemberRef) -> MemberRef:
        return replace(ref, role=max(ref.role, self.config_role(ref.platform_id)))

    async def ensure_member(self, uow: UnitOfWork, contact: Contact, now: datetime) -> MemberRef:
        cached = self.cached_member(contact.id)
        if cached is not None and (cached.name == contact.name or not contact.name):
            return cached
        table = schema.members
        stmt = insert_for(uow.conn, table).values(
            platform_id=contact.id,
            display_name=contact.name,
            role=Role.MEMBER.label,
            stage=schema.Stage.MEMBER.value,
            created_at=now,
        )
        # A changed nickname updates the label; the id keeps the history.
        set_ = {"display_name": contact.name} if contact.name else {"platform_id": contact.id}
        stmt = stmt.on_conflict_do_update(index_elements=["platform_id"], set_=set_).returning(
            table.c.id, table.c.display_name, table.c.role, table.c.locale
        )
        epoch = self._epoch
        row = (await uow.conn.execute(stmt)).one()
        ref = self._effective(MemberRef(row.id, contact.id, row.display_name, Role.parse(row.role), row.locale))
        uow.after_commit(lambda: self._cache_member(ref, epoch))
        return ref

    async def ensure_community(self, uow: UnitOfWork, room_id: str, room_name: str, now: datetime) -> CommunityRef:
        cached = self._communities.get(room_id)
        if cached is not None:
            return cached
        table = schema.communities
        configured = self._settings.community(room_id)
        name = (configured.name if configured else "") or room_name
        # The account serving the room: the config's, else whichever process saw it first (this one, if new).
        account = configured.account if configured and configured.account else None
        stmt = insert_for(uow.conn, table).values(
            platform_id=room_id, name=name, created_at=now, account=account or self._settings.bot.account
        )
        recorded = account or func.coalesce(table.c.account, self._settings.bot.account)
        stmt = stmt.on_conflict_do_update(index_elements=["platform_id"], set_={"name": name, "account": recorded})
        stmt = stmt.returning(table.c.id)
        community_id = (await uow.conn.execute(stmt)).scalar_one()
        ref = CommunityRef(
            id=community_id,
            platform_id=room_id,
            name=name,
            locale=(configured.locale if configured and configured.locale else self._settings.bot.locale),
            timezone=(configured.timezone if configured and configured.timezone else self._settings.bot.timezone),
        )
        uow.after_commit(lambda: self._communities.__setitem__(room_id, ref))
        return ref

    async def ensure_membership(
        self, uow: UnitOfWork, community: CommunityRef, member: MemberRef, now: datetime
    ) -> None:
        key = (community.id, member.id)
        if key in self._memberships:
            return
        stmt = (
            insert_for(uow.conn, schema.memberships)
            .values(community_id=community.id, member_id=member.id, joined_at=now)
            .on_conflict_do_nothing(index_elements=["community_id", "member_id"])
        )
        await uow.conn.execute(stmt)
        uow.after_commit(lambda: self._memberships.add(key))

    async def record_join(self, uow: UnitOfWork, community: CommunityRef, member: MemberRef, now: datetime) -> None:
        table = schema.memberships
        await self._arrive(uow, member, now)
        stmt = insert_for(uow.conn, table).values(
            community_id=community.id, member_id=member.id, joined_at=now, join_seen=True
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["community_id", "member_id"], set_={"joined_at": now, "left_at": None, "join_seen": True}
        )
        await uow.conn.execute(stmt)
        key = (community.id, member.id)
        uow.after_commit(lambda: self._memberships.add(key))

    @staticmethod
    async def _arrive(uow: UnitOfWork, member: MemberRef, now: datetime) -> None:
        """A reported join of someone the bot knows in no group: they arrive now (see members.arrived_at).
        A rejoin, or the first join seen of someone who was already in a group, changes nothing."""
        members, memberships = schema.members, schema.memberships
        known = exists().where(memberships.c.member_id == member.id)
        await uow.conn.execute(
            update(members)
            .where(members.c.id == member.id, members.c.arrived_at.is_(None), ~known)
            .values(arrived_at=now)
        )

    async def record_leave(self, uow: UnitOfWork, community: CommunityRef, member: MemberRef, now: datetime) -> None:
        # A member the bot never saw join or speak still leaves a record (joined_at: first seen).
        table = schema.memberships
        stmt = insert_for(uow.conn, table).values(
            community_id=community.id, member_id=member.id, joined_at=now, left_at=now
        )
        await uow.conn.execute(
            stmt.on_conflict_do_update(index_elements=["community_id", "member_id"], set_={"left_at": now})
        )
        key = (community.id, member.id)
        uow.after_commit(lambda: self._memberships.discard(key))

    @staticmethod
    async def has_left(conn: AsyncConnection, community: CommunityRef, member: MemberRef) -> bool:
        """Whether the member's last word from the room was that they left it."""
        table = schema.memberships
        stmt = select(table.c.left_at).where(table.c.community_id == community.id, table.c.member_id == member.id)
        return (await conn.execute(stmt)).scalar_one_or_none() is not None

    def _cache_member(self, ref: MemberRef, epoch: int) -> None:
        if epoch == self._epoch:  # else it may have changed since it was read: the next message reads again
            self._members[ref.platform_id] = (ref, self._monotonic() + CACHE_SECONDS)

    async def find_member(self, conn: AsyncConnection, platform_id: str) -> MemberRef | None:
        return await self._find(conn, schema.members.c.platform_id == platform_id)

    async def find_member_by_id(self, conn: AsyncConnection, member_id: int) -> MemberRef | None:
        return await self._find(conn, schema.members.c.id == member_id)

    async def member_by_id(self, conn: AsyncConnection, member_id: int) -> MemberRef:
        """A member a foreign key points to, so always there; a LookupError says the database is broken."""
        found = await self.find_member_by_id(conn, member_id)
        if found is None:
            raise LookupError(f"member {member_id} is not in the members table")
        return found

    async def _find(self, conn: AsyncConnection, condition: Any) -> MemberRef | None:
        table = schema.members
        row = (
            await conn.execute(
                select(table.c.id, table.c.platform_id, table.c.display_name, table.c.role, table.c.locale).where(
                    condition
                )
            )
        ).one_or_none()
        if row is None:
            return None
        return self._effective(MemberRef(row.id, row.platform_id, row.display_name, Role.parse(row.role), row.locale))

    async def set_role(self, uow: UnitOfWork, member: MemberRef, role: Role) -> None:
        table = schema.members
        await uow.conn.execute(update(table).where(table.c.id == member.id).values(role=role.label))
        await self.changed(uow, member.platform_id)

    async def changed(self, uow: UnitOfWork, platform_id: str) -> None:
        """A cached fact of this member changes in `uow`: every process forgets the member once it commits."""
        self.forget(platform_id)
        uow.after_commit(lambda: self.forget(platform_id))
        await announce_member_change(uow.conn, platform_id)

    async def stored_role(self, conn: AsyncConnection, member: MemberRef) -> Role:
        table = schema.members
        label = (await conn.execute(select(table.c.role).where(table.c.id == member.id))).scalar_one()
        return Role.parse(label)

    async def staff(self, conn: AsyncConnection) -> list[MemberRef]:
        """Moderators and admins, from the database and from the config, admins first."""
        table = schema.members
        staff_labels = (Role.MODERATOR.label, Role.ADMIN.label)
        configured = sorted(self._admins | self._moderators)
        rows = (
            await conn.execute(
                select(table.c.id, table.c.platform_id, table.c.display_name, table.c.role, table.c.locale).where(
                    table.c.role.in_(staff_labels) | table.c.platform_id.in_(configured)
                )
            )
        ).all()
        found = {
            r.platform_id: self._effective(MemberRef(r.id, r.platform_id, r.display_name, Role.parse(r.role), r.locale))
            for r in rows
        }
        for platform_id in configured:  # staff named in the config who have not spoken yet
            found.setdefault(platform_id, MemberRef(0, platform_id, platform_id, self.config_role(platform_id)))
        return sorted(found.values(), key=lambda m: (-m.role, m.name))
