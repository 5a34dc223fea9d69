"""Everything the bot holds about one member, as plain JSON-ready data (other members by display name only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from handlers.campaigns.tables import awards, campaigns
from handlers.feedback.rules import short_id
from handlers.feedback.tables import history, items, people
from handlers.journeys.tables import journey_runs
from handlers.koc.tables import agreements, koc_events, promises, title_terms
from handlers.koc.tables import koc_exits as exits
from handlers.koc.tables import koc_records as records
from handlers.outreach.tables import consent, consent_events, welcomes
from handlers.privacy.tables import notices, requests
from handlers.recognition.tables import ledger, thanks, title_events
from handlers.threads.tables import events as issue_events
from handlers.threads.tables import people as issue_people
from handlers.threads.tables import threads

KINDS = (
    "profile",
    "rooms",
    "messages",
    "messages_to_you",
    "thanks_given",
    "thanks_received",
    "points",
    "titles",
    "feedback",
    "threads",
    "koc",
    "campaign_awards",
    "outreach_received",
    "consent",
    "withheld",
)
_NAMES = schema.members.alias("named")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(found: Sequence[Any]) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in found]


async def _all(conn: AsyncConnection, stmt: Select[Any]) -> list[dict[str, Any]]:
    return _rows((await conn.execute(stmt)).all())


def _name_of(column: Any) -> Any:
    """Another member's display name, never their id."""
    return select(_NAMES.c.display_name).where(_NAMES.c.id == column).scalar_subquery()


async def collect(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    """The member's data by kind (see KINDS)."""
    data: dict[str, Any] = {}
    for kind in KINDS:
        data[kind] = await _GATHER[kind](conn, member_id)
    return data


async def _profile(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    m = schema.members.c
    stmt = select(
        m.platform_id.label("wechat_id"),
        m.display_name,
        m.role,
        m.stage,
        m.source,
        m.locale,
        m.created_at.label("first_seen"),
        m.last_seen_at.label("last_seen"),
        m.arrived_at,
    ).where(m.id == member_id)
    return (await _all(conn, stmt))[0]


async def _rooms(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    ms, c = schema.memberships.c, schema.communities.c
    stmt = (
        select(c.name.label("room"), ms.joined_at, ms.left_at)
        .join_from(schema.memberships, schema.communities, c.id == ms.community_id)
        .where(ms.member_id == member_id)
        .order_by(ms.joined_at)
    )
    return await _all(conn, stmt)


def _room_name(column: Any) -> Any:
    c = schema.communities.c
    return select(c.name).where(c.id == column).scalar_subquery()


async def _messages(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    m = schema.messages.c
    stmt = (
        select(m.received_at.label("at"), _room_name(m.community_id).label("room"), m.kind, m.text)
        .where(m.member_id == member_id)
        .order_by(m.received_at, m.id)
    )
    return await _all(conn, stmt)


async def _messages_to_you(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    """Messages others wrote in reply to this member (quoting them): by the writer's display name."""
    m = schema.messages.c
    stmt = (
        select(
            m.received_at.label("at"),
            _room_name(m.community_id).label("room"),
            _name_of(m.member_id).label("from"),
            m.text,
        )
        .where(m.quote_member_id == member_id, m.member_id != member_id)
        .order_by(m.received_at, m.id)
    )
    return await _all(conn, stmt)


async def _thanks_given(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    t = thanks.c
    stmt = (
        select(t.created_at.label("at"), _name_of(t.receiver_id).label("to"), t.reason, t.month, t.counted, t.why_not)
        .where(t.giver_id == member_id)
        .order_by(t.id)
    )
    return await _all(conn, stmt)


async def _thanks_received(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    t = thanks.c
    stmt = (
        select(t.created_at.label("at"), _name_of(t.giver_id).label("from"), t.reason, t.month, t.counted)
        .where(t.receiver_id == member_id)
        .order_by(t.id)
    )
    return await _all(conn, stmt)


async def _points(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    p = ledger.c
    stmt = select(p.created_at.label("at"), p.amount, p.reason, p.source, p.month).where(p.member_id == member_id)
    return await _all(conn, stmt.order_by(p.id))


async def _titles(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    t = title_events.c
    stmt = select(t.created_at.label("at"), t.title, t.granted, t.source).where(t.member_id == member_id)
    return await _all(conn, stmt.order_by(t.id))


async def _feedback(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    """Items the member submitted or +1'd: their own texts, the item's status and its history (no staff names)."""
    i, p = items.c, people.c
    stmt = (
        select(
            i.id,
            i.kind,
            i.status,
            i.title,
            i.scenario,
            i.steps,
            i.expected,
            i.product,
            i.version,
            p.role.label("your_part"),
            p.details.label("your_words"),
            i.created_at,
        )
        .join_from(people, items, i.id == p.item_id)
        .where(p.member_id == member_id)
        .order_by(i.id, p.id)
    )
    found = await _all(conn, stmt)
    for item in found:
        mine = item["your_part"] == "reporter"
        item["ref"] = short_id(item.pop("id"))
        if not mine:  # another member's texts: only what the item is about
            for field in ("scenario", "steps", "expected", "product"):
                item.pop(field)
        h = history.c
        steps = select(h.created_at.label("at"), h.what, h.from_status, h.to_status).where(
            h.item_id == _item_id(item["ref"])
        )
        item["history"] = await _all(conn, steps.order_by(h.id))
    return found


def _item_id(ref: str) -> int:
    return int(ref.rsplit("-", 1)[1])


async def _threads(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    t, p = threads.c, issue_people.c
    stmt = (
        select(
            t.id.label("thread"),
            t.title,
            t.status,
            p.part.label("your_part"),
            p.added_at,
            p.answer,
            p.answer_text.label("your_answer"),
            t.resolution_text.label("outcome"),
        )
        .join_from(issue_people, threads, t.id == p.thread_id)
        .where(p.member_id == member_id)
        .order_by(t.id)
    )
    return await _all(conn, stmt)


async def _koc(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    r, e, pr, tt, a, x = records.c, koc_events.c, promises.c, title_terms.c, agreements.c, exits.c
    return {
        "record": await _all(conn, select(r.domain, r.since, r.invited_at).where(r.member_id == member_id)),
        "stage_changes": await _all(
            conn, select(e.at, e.kind, e.from_stage, e.to_stage).where(e.member_id == member_id).order_by(e.id)
        ),
        "promises": await _all(
            conn, select(pr.text, pr.due, pr.status, pr.created_at, pr.settled_at).where(pr.member_id == member_id)
        ),
        "title_terms": await _all(
            conn, select(tt.title, tt.starts, tt.ends, tt.status).where(tt.member_id == member_id)
        ),
        "agreements": await _all(
            conn,
            select(
                a.deliverables,
                a.cadence,
                a.content_ownership,
                a.payments,
                a.deliverable_dates,
                a.starts,
                a.ends,
                a.status,
            ).where(a.member_id == member_id),
        ),
        "exits": await _all(conn, select(x.opened_at, x.completed_at, x.contribution).where(x.member_id == member_id)),
    }


async def _campaign_awards(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    w, c = awards.c, campaigns.c
    stmt = (
        select(c.name.label("campaign"), w.period, w.rank, w.measure, w.value, w.points, w.title, w.awarded_at)
        .join_from(awards, campaigns, c.id == w.campaign_id)
        .where(w.member_id == member_id)
    )
    return await _all(conn, stmt)


async def _outreach_received(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    o, w = schema.outbox.c, welcomes.c
    platform_id = (
        await conn.execute(select(schema.members.c.platform_id).where(schema.members.c.id == member_id))
    ).scalar_one()
    private = (
        select(o.created_at.label("at"), o.kind, o.template, o.status, o.text)
        .where(o.contact_platform_id == platform_id, o.kind != "reply", o.image_data.is_(None))
        .order_by(o.id)
    )
    welcomed = select(_room_name(w.community_id).label("room"), w.welcomed_at).where(w.member_id == member_id)
    j = journey_runs.c
    journeys = select(j.journey, j.trigger, j.entered_at, j.status, j.end_reason, j.ended_at).where(
        j.member_id == member_id
    )
    return {
        "private_messages": await _all(conn, private),
        "welcomes": await _all(conn, welcomed),
        "journeys": await _all(conn, journeys.order_by(j.id)),
    }


async def _consent(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    n, q = notices.c, requests.c
    told = (await conn.execute(select(n.noticed_at).where(n.member_id == member_id))).scalar()
    asked = select(q.kind, q.status, q.requested_at, q.due_at, q.done_at).where(q.member_id == member_id)
    c, e = consent.c, consent_events.c
    state = select(c.opted_out, c.changed_at, c.words).where(c.member_id == member_id)
    changes = select(e.opted_out, e.at, e.words).where(e.member_id == member_id).order_by(e.id)
    return {
        "privacy_notice_at": _plain(told),
        "requests": await _all(conn, asked.order_by(q.id)),
        "outreach_opt_out": (await _all(conn, state))[:1],  # empty: never opted out nor back in
        "outreach_opt_out_changes": await _all(conn, changes),
    }


async def _withheld(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    """What is kept about the member but not in the copy: staff's internal notes, named with the reason."""
    e, x, ie, ip = koc_events.c, exits.c, issue_events.c, issue_people.c
    counts = {
        "koc_notes": select(e.id).where(e.member_id == member_id, e.reason.is_not(None), e.reason != ""),
        "koc_exit_notes": select(x.id).where(x.member_id == member_id, x.reason.is_not(None), x.reason != ""),
        "thread_internal_notes": select(ie.id).where(
            ie.thread_id.in_(select(ip.thread_id).where(ip.member_id == member_id)),
            or_(ie.kind == "note", ie.kind == "support"),
        ),
    }
    withheld = []
    for kind, stmt in counts.items():
        found = len((await conn.execute(stmt)).all())
        if found:
            withheld.append({"kind": kind, "count": found})
    return withheld


_GATHER: Mapping[str, Any] = {
    "profile": _profile,
    "rooms": _rooms,
    "messages": _messages,
    "messages_to_you": _messages_to_you,
    "thanks_given": _thanks_given,
    "thanks_received": _thanks_received,
    "points": _points,
    "titles": _titles,
    "feedback": _feedback,
    "threads": _threads,
    "koc": _koc,
    "campaign_awards": _campaign_awards,
    "outreach_received": _outreach_received,
    "consent": _consent,
    "withheld": _withheld,
}
