"""A parsed segment compiled to one SQL query over members; names (rooms, titles, campaigns) resolved here."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import CoreSettings
from bot.db import schema
from bot.db.schema import Role
from bot.talk import community_message
from handlers.campaigns.tables import campaign_rooms, campaigns
from handlers.feedback.tables import Role as FeedbackRole
from handlers.feedback.tables import history as feedback_history
from handlers.feedback.tables import people as feedback_people
from handlers.koc.tables import koc_records
from handlers.outreach.segment_parse import Atom, Both, Either, Node, Not, SegmentProblem, parse
from handlers.outreach.tables import consent
from handlers.recognition.stats import revoked_ids
from handlers.recognition.tables import ledger, thanks, title_events
from handlers.threads.tables import Part
from handlers.threads.tables import people as issue_people

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_PY_COMPARE: dict[str, Callable[[int, int], bool]] = _COMPARE  # the same functions, on numbers
_ADOPTED = ("adopted", "shipped")
members = schema.members
_STAFF = (Role.MODERATOR.label, Role.ADMIN.label)


_COUNTS = frozenset({"thanks_received", "thanks_given", "points", "feedback", "adopted", "plus_one", "thread"})


def _counts(node: Node) -> bool:
    """Whether `node` has a count (a grouped scan of thanks, feedback, points...) anywhere in it."""
    if isinstance(node, Not):
        return _counts(node.inner)
    if isinstance(node, Both | Either):
        return any(_counts(p) for p in node.parts)
    return node.field.key in _COUNTS


@dataclass(frozen=True, slots=True)
class Compiler:
    """Turns a tree into a WHERE clause on `members` at `now`, looking names up on `conn`.

    `among`: the members the rest of an AND already narrows to (a room, a stage...). A count inside
    that AND then groups only their rows, not every member's: "in room 3 and thanked twice" groups
    room 3's thank-yous. It changes no answer (whoever is outside `among` fails the AND anyway)."""

    conn: AsyncConnection
    now: datetime
    among: Select[Any] | None = None

    async def clause(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Not):
            return not_(await self.clause(node.inner))
        if isinstance(node, Both):
            return await self._both(node)
        if isinstance(node, Either):
            return or_(*[await self.clause(p) for p in node.parts])
        return await self.atom(node)

    async def _both(self, node: Both) -> ColumnElement[bool]:
        plain = [await self.clause(p) for p in node.parts if not _counts(p)]
        counted = [p for p in node.parts if _counts(p)]
        inner = self
        if plain and counted:
            narrowed = select(members.c.id).where(*plain).correlate(None)
            if self.among is not None:
                narrowed = narrowed.where(members.c.id.in_(self.among))
            inner = Compiler(self.conn, self.now, narrowed)
        return and_(*plain, *[await inner.clause(p) for p in counted])

    def _narrow(self, rows: Select[Any], column: Any) -> Select[Any]:
        return rows if self.among is None else rows.where(column.in_(self.among))

    async def atom(self, atom: Atom) -> ColumnElement[bool]:
        build = getattr(self, f"_{atom.field.key}")
        clause: ColumnElement[bool] = await build(atom)
        return clause

    def _since(self, atom: Atom) -> datetime | None:
        return None if atom.period_days is None else self.now - timedelta(days=atom.period_days)

    # Choices and names.

    async def _stage(self, atom: Atom) -> ColumnElement[bool]:
        return _compare(atom.op, members.c.stage, atom.value)

    async def _domain(self, atom: Atom) -> ColumnElement[bool]:
        domain = select(koc_records.c.member_id).where(koc_records.c.domain == atom.value)
        return _in(members.c.id, domain, atom.op == "=")

    async def _room(self, atom: Atom) -> ColumnElement[bool]:
        rooms = schema.communities
        found = (
            (
                await self.conn.execute(
                    select(rooms.c.id).where(or_(rooms.c.name == atom.value, rooms.c.platform_id == atom.value))
                )
            )
            .scalars()
            .all()
        )
        if not found:
            names = (await self.conn.execute(select(rooms.c.name).order_by(rooms.c.name))).scalars().all()
            raise SegmentProblem(
                "unknown_value", field=atom.field, value=atom.value, allowed=list(names), allowed_en=list(names)
            )
        table = schema.memberships
        inside = select(table.c.member_id).where(table.c.community_id.in_(found), table.c.left_at.is_(None))
        return _in(members.c.id, inside, atom.op == "=")

    async def _title(self, atom: Atom) -> ColumnElement[bool]:
        known = set((await self.conn.execute(select(title_events.c.title).distinct())).scalars())
        if atom.value not in known:
            raise SegmentProblem(
                "unknown_value", field=atom.field, value=atom.value, allowed=sorted(known), allowed_en=sorted(known)
            )
        latest = select(func.max(title_events.c.id)).where(title_events.c.title == atom.value)
        latest = latest.group_by(title_events.c.member_id)
        held = select(title_events.c.member_id).where(title_events.c.id.in_(latest), title_events.c.granted.is_(True))
        return _in(members.c.id, held, atom.op == "=")

    async def _campaign(self, atom: Atom) -> ColumnElement[bool]:
        wanted = atom.value.lstrip("#＃")
        condition = campaigns.c.id == int(wanted) if wanted.isdigit() else campaigns.c.name == atom.value
        row = (
            await self.conn.execute(select(campaigns.c.id, campaigns.c.starts_at, campaigns.c.ends_at).where(condition))
        ).first()
        if row is None:
            names = (await self.conn.execute(select(campaigns.c.name).order_by(campaigns.c.id))).scalars().all()
            raise SegmentProblem(
                "unknown_value", field=atom.field, value=atom.value, allowed=list(names), allowed_en=list(names)
            )
        log = schema.messages
        rooms = select(campaign_rooms.c.community_id).where(campaign_rooms.c.campaign_id == row.id)
        posted = select(log.c.member_id).where(  # talk in its rooms (bot.talk): a command there is no taking part
            log.c.community_id.in_(rooms),
            log.c.received_at >= row.starts_at,
            log.c.received_at < row.ends_at,
            community_message(log),
        )
        return _in(members.c.id, posted, atom.op == "=")

    # Ages in days.

    async def _joined(self, atom: Atom) -> ColumnElement[bool]:
        # A join the platform reported: members first seen talking have no arrival and are not newcomers.
        return and_(members.c.arrived_at.is_not(None), self._age(members.c.arrived_at, atom))

    async def _silent(self, atom: Atom) -> ColumnElement[bool]:
        """Days since the member last wrote (anywhere the bot reads), counted from when the bot first
        saw them if they never have: 沉默>=14 is "nothing in the last 14 days, known for 14 days"."""
        moment = self.now - timedelta(days=int(atom.value))
        strict = atom.op in (">", "<=")  # "more than N days": nothing at or after the moment either
        log = schema.messages
        spoke = select(log.c.member_id).where(log.c.received_at >= moment if strict else log.c.received_at > moment)
        known = members.c.created_at < moment if strict else members.c.created_at <= moment
        quiet = and_(known, members.c.id.not_in(spoke))
        return quiet if atom.op in (">=", ">") else not_(quiet)

    def _age(self, column: Any, atom: Atom) -> ColumnElement[bool]:
        """`column` is more (or less) than N days ago: age >= N means the time is at or before now - N."""
        moment = self.now - timedelta(days=int(atom.value))
        flipped = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}[atom.op]
        return _compare(flipped, column, moment)

    # Counts.

    async def _thanks_received(self, atom: Atom) -> ColumnElement[bool]:
        return self._thanks("receiver_id", atom)

    async def _thanks_given(self, atom: Atom) -> ColumnElement[bool]:
        return self._thanks("giver_id", atom)

    def _thanks(self, side: str, atom: Atom) -> ColumnElement[bool]:
        """Thank-yous that count now (counted, not revoked), as recognition.stats counts them, in one
        grouped scan rather than its union (the revoked are few: left out by id)."""
        since, column = self._since(atom), thanks.c[side]
        # Grouped on the column: the covering index (member, counted, created_at) gives the rows in
        # member order, or, narrowed to a room's members, by seeking each of them.
        member = column.label("member_id")
        rows = select(member).where(thanks.c.counted == true())
        if since is not None:
            rows = rows.where(thanks.c.created_at >= since)
        # The cheap tests first: SQLite tries them in this order, and the revoked are looked up last.
        rows = self._narrow(rows, column).where(column.is_not(None), thanks.c.id.not_in(revoked_ids()))
        return _counted(rows.group_by(member), func.count(), atom)

    async def _points(self, atom: Atom) -> ColumnElement[bool]:
        rows = self._narrow(select(ledger.c.member_id), ledger.c.member_id)
        return _counted(rows.group_by(ledger.c.member_id), func.sum(ledger.c.amount), atom)

    async def _feedback(self, atom: Atom) -> ColumnElement[bool]:
        return self._people(FeedbackRole.REPORTER, atom)

    async def _plus_one(self, atom: Atom) -> ColumnElement[bool]:
        if atom.item:
            on_item = select(feedback_people.c.member_id).where(
                feedback_people.c.role == FeedbackRole.PLUS_ONE.value, feedback_people.c.item_id == int(atom.value)
            )
            return _in(members.c.id, on_item, atom.op == "=")
        return self._people(FeedbackRole.PLUS_ONE, atom)

    def _people(self, role: FeedbackRole, atom: Atom) -> ColumnElement[bool]:
        table, since = feedback_people, self._since(atom)
        rows = select(table.c.member_id).where(table.c.role == role.value)
        if since is not None:
            rows = rows.where(table.c.created_at >= since)
        # One row per member and item (a unique key): count(*) is the number of items, from the index.
        return _counted(self._narrow(rows, table.c.member_id).group_by(table.c.member_id), func.count(), atom)

    async def _adopted(self, atom: Atom) -> ColumnElement[bool]:
        people, history, since = feedback_people, feedback_history, self._since(atom)
        moved = select(history.c.item_id).where(history.c.to_status.in_(_ADOPTED))
        if since is not None:
            moved = moved.where(history.c.created_at >= since)
        rows = select(people.c.member_id).where(
            people.c.role == FeedbackRole.REPORTER.value, people.c.item_id.in_(moved)
        )
        rows = self._narrow(rows, people.c.member_id)
        return _counted(rows.group_by(people.c.member_id), func.count(func.distinct(people.c.item_id)), atom)

    async def _thread(self, atom: Atom) -> ColumnElement[bool]:
        table, since = issue_people, self._since(atom)
        rows = select(table.c.member_id).where(table.c.part == Part.REPORTER.value)
        if atom.item:
            return _in(members.c.id, rows.where(table.c.thread_id == int(atom.value)), atom.op == "=")
        if since is not None:
            rows = rows.where(table.c.added_at >= since)
        return _counted(self._narrow(rows, table.c.member_id).group_by(table.c.member_id), func.count(), atom)


def _compare(op: str, left: Any, right: Any) -> ColumnElement[bool]:
    found: ColumnElement[bool] = _COMPARE[op](left, right)
    return found


def _in(column: Any, rows: Select[Any], inside: bool) -> ColumnElement[bool]:
    found: ColumnElement[bool] = column.in_(rows) if inside else column.not_in(rows)
    return found


def _counted(grouped: Select[Any], total: Any, atom: Atom) -> ColumnElement[bool]:
    """Members whose `total` compares as asked. Members with no rows count 0: when 0 satisfies the
    comparison ("反馈<1"), it is the members whose total does not fail it."""
    compare, number = _COMPARE[atom.op], int(atom.value)
    if _PY_COMPARE[atom.op](0, number):
        return members.c.id.not_in(grouped.having(not_(compare(total, number))))
    return members.c.id.in_(grouped.having(compare(total, number)))


def opted_in() -> ColumnElement[bool]:
    """Everyone but the members who opted out: always part of a segment."""
    return members.c.id.not_in(select(consent.c.member_id).where(consent.c.opted_out.is_(True)))


def not_staff(settings: CoreSettings) -> ColumnElement[bool]:
    """The brand does not reach out to its own moderators: staff by role, stored or configured."""
    configured = sorted(set(settings.permissions.admins) | set(settings.permissions.moderators))
    return and_(members.c.role.not_in(_STAFF), members.c.platform_id.not_in(configured))


async def segment_query(conn: AsyncConnection, expression: str, now: datetime, settings: CoreSettings) -> Select[Any]:
    """The members in the segment `expression` at `now`, by id (id, platform_id, display_name, locale):
    never staff, never those who opted out; raises SegmentProblem."""
    where = await Compiler(conn, now).clause(parse(expression))
    return (
        select(members.c.id, members.c.platform_id, members.c.display_name, members.c.locale)
        .where(where, opted_in(), not_staff(settings))
        .order_by(members.c.id)
    )


async def count_and_first(
    conn: AsyncConnection, expression: str, now: datetime, settings: CoreSettings, first: int = 10
) -> tuple[int, list[Any]]:
    """How many members the segment has and the first `first` of them, in one query (the count is a
    window over the whole segment, taken before the limit)."""
    query = await segment_query(conn, expression, now, settings)
    if first <= 0:
        total = await conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))
        return int(total.scalar_one()), []
    found = list((await conn.execute(query.add_columns(func.count().over().label("total")).limit(first))).all())
    return (int(found[0].total) if found else 0), found
