"""Each member's own values for a moderator's template, for many members at once.

One query per kind of value a template uses (points, titles, feedback items, threads, campaigns),
whatever the number of members: a 10,000-member send reads its values in a handful of queries. The
members are passed as one JSON (SQLite) or array (PostgreSQL) parameter, not 10,000 of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Integer, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.sandbox.engine import View
from bot.templates import TemplateRenderer
from handlers.campaigns.tables import campaign_rooms, campaigns
from handlers.feedback.rules import short_id
from handlers.feedback.tables import Role as FeedbackRole
from handlers.feedback.tables import items as feedback_items
from handlers.feedback.tables import people as feedback_people
from handlers.outreach.sandbox import item_view, member_view
from handlers.recognition.ledger import titles_of
from handlers.recognition.tables import ledger
from handlers.threads.tables import people as issue_people
from handlers.threads.tables import threads

MAX_ITEMS = 10  # feedback items and threads each member's template sees: the latest

# A status's name in a language: (kind "feedback" or "thread", status, locale) -> words.
StatusNames = Callable[[str, str, str], str]


@dataclass
class MemberValues:
    """What the template uses of each member, read in bulk; `view` builds one member's `member`."""

    points: dict[int, int] = field(default_factory=dict)
    titles: dict[int, tuple[str, ...]] = field(default_factory=dict)
    feedback: dict[int, list[Any]] = field(default_factory=dict)
    threads: dict[int, list[Any]] = field(default_factory=dict)
    campaigns: dict[int, list[Any]] = field(default_factory=dict)

    def view(self, member_id: int, name: str, locale: str, status_names: StatusNames) -> View:
        def items(kind: str, rows: list[Any]) -> tuple[View, ...]:
            return tuple(item_view(r.number, r.title, r.status, status_names(kind, r.status, locale)) for r in rows)

        own = self.campaigns.get(member_id, [])
        return member_view(
            name,
            self.points.get(member_id, 0),
            self.titles.get(member_id, ()),
            feedback=items("feedback", self.feedback.get(member_id, [])),
            threads=items("thread", self.threads.get(member_id, [])),
            campaigns=tuple(View.of(c.name, name=c.name, messages=int(c.messages)) for c in own),
            campaign_messages=sum(int(c.messages) for c in own),
        )


def status_namer(renderer: TemplateRenderer) -> StatusNames:
    """Status names in each language, from the locale templates, each rendered once."""
    cache: dict[tuple[str, str, str], str] = {}

    def name(kind: str, status: str, locale: str) -> str:
        key = (kind, status, locale)
        if key not in cache:
            cache[key] = renderer.render("outreach/status_name", locale, kind=kind, status=status)
        return cache[key]

    return name


async def member_values(conn: AsyncConnection, ids: list[int], fields: Iterable[str]) -> MemberValues:
    """The values of `fields` (member fields a template uses) for the members `ids`."""
    wanted, values = set(fields), MemberValues()
    if not ids:
        return values
    if "points" in wanted:
        values.points = await _points(conn, ids)
    if "titles" in wanted:
        values.titles = await titles_of(conn, ids)
    if "feedback" in wanted:
        values.feedback = await _feedback(conn, ids)
    if "threads" in wanted:
        values.threads = await _threads(conn, ids)
    if {"campaigns", "campaign_messages"} & wanted:
        values.campaigns = await _campaigns(conn, ids)
    return values


def among(conn: AsyncConnection, column: Any, ids: list[int]) -> Any:
    """`column IN ids` with a single parameter, however many ids."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer())))
    listed = func.json_each(bindparam("ids", ids, type_=JSON())).table_valued("value")
    return column.in_(select(listed.c.value))


async def _points(conn: AsyncConnection, ids: list[int]) -> dict[int, int]:
    stmt = select(ledger.c.member_id, func.sum(ledger.c.amount)).where(among(conn, ledger.c.member_id, ids))
    return {m: int(n) for m, n in (await conn.execute(stmt.group_by(ledger.c.member_id))).all()}


def _latest(rows: Iterable[Any]) -> dict[int, list[Any]]:
    by_member: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if len(by_member[row.member_id]) < MAX_ITEMS:
            by_member[row.member_id].append(row)
    return dict(by_member)


@dataclass(frozen=True, slots=True)
class _Item:
    member_id: int
    number: str
    title: str
    status: str


async def _feedback(conn: AsyncConnection, ids: list[int]) -> dict[int, list[Any]]:
    """The items each member reported (merged reporters too), the latest first; +1s are not theirs."""
    p, i = feedback_people, feedback_items
    stmt = (
        select(p.c.member_id, i.c.id, i.c.title, i.c.status)
        .join(i, i.c.id == p.c.item_id)
        .where(among(conn, p.c.member_id, ids), p.c.role == FeedbackRole.REPORTER.value)
        .order_by(p.c.member_id, i.c.id.desc())
    )
    rows = (await conn.execute(stmt)).all()
    return _latest(_Item(r.member_id, short_id(r.id), r.title, r.status) for r in rows)


async def _threads(conn: AsyncConnection, ids: list[int]) -> dict[int, list[Any]]:
    """The threads each member reported or follows, the latest first."""
    p, t = issue_people, threads
    stmt = (
        select(p.c.member_id, t.c.id, t.c.title, t.c.status)
        .join(t, t.c.id == p.c.thread_id)
        .where(among(conn, p.c.member_id, ids))
        .order_by(p.c.member_id, t.c.id.desc())
    )
    rows = (await conn.execute(stmt)).all()
    return _latest(_Item(r.member_id, f"#{r.id}", r.title, r.status) for r in rows)


async def _campaigns(conn: AsyncConnection, ids: list[int]) -> dict[int, list[Any]]:
    """The campaigns each member took part in (wrote in its rooms during it) and how many messages,
    as segments count participation; oldest campaign first."""
    log, c, rooms = schema.messages, campaigns, campaign_rooms
    stmt = (
        select(log.c.member_id, c.c.id, c.c.name, func.count().label("messages"))
        .select_from(log.join(rooms, rooms.c.community_id == log.c.community_id).join(c, c.c.id == rooms.c.campaign_id))
        .where(among(conn, log.c.member_id, ids), log.c.received_at >= c.c.starts_at, log.c.received_at < c.c.ends_at)
        .group_by(log.c.member_id, c.c.id, c.c.name)
        .order_by(log.c.member_id, c.c.id)
    )
    by_member: dict[int, list[Any]] = defaultdict(list)
    for row in (await conn.execute(stmt)).all():
        by_member[row.member_id].append(row)
    return dict(by_member)
