"""`kocbot export feedback` (CSV, .xlsx or JSON) and `kocbot export credits VERSION` (Markdown for release notes,
or a CSV or .xlsx table of who is credited for what)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.registry import ExportRequest
from bot.tables import Table, Words, local_time, words_from, written
from bot.templates import TemplateRenderer
from handlers.feedback.items import Item, items_where
from handlers.feedback.rules import parse_status, short_id
from handlers.feedback.tables import Kind, Role, Status, history, items, people
from handlers.feedback.views import credited_names, shipped_in

_LOGGER = logging.getLogger(__name__)
COLUMNS = (
    "id",
    "kind",
    "status",
    "title",
    "scenario",
    "steps",
    "expected",
    "product",
    "department",
    "version",
    "duplicate_of",
    "reporter",
    "plus_ones",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class _People:
    names: dict[int, str]  # member id -> name
    plus_ones: dict[int, int]  # item id -> +1s


async def _people(conn: AsyncConnection) -> _People:
    m = schema.members
    names = {
        row.id: row.display_name or row.platform_id
        for row in await conn.execute(select(m.c.id, m.c.display_name, m.c.platform_id))
    }
    counted = select(people.c.item_id, func.count()).where(people.c.role == Role.PLUS_ONE.value)
    plus_ones: dict[int, int] = dict((await conn.execute(counted.group_by(people.c.item_id))).all())
    return _People(names, plus_ones)


def _row(item: Item, who: _People, zone: ZoneInfo) -> tuple[object, ...]:
    """What an operator reads: FB numbers and names, not internal ids; the community's time."""
    return (
        item.short_id,
        item.kind.value,
        item.status.value,
        item.title,
        item.scenario,
        item.steps,
        item.expected,
        item.product,
        item.department,
        item.version,
        short_id(item.duplicate_of) if item.duplicate_of else None,
        who.names.get(item.reporter_id, ""),
        who.plus_ones.get(item.id, 0),
        local_time(item.created_at, zone),
    )


async def export_feedback(conn: AsyncConnection, request: ExportRequest) -> str | bytes:
    """Every item (or those in the given statuses), oldest first, as CSV, .xlsx or JSON."""
    statuses = [parse_status(s) for s in request.statuses]
    if None in statuses:
        raise ValueError(f"unknown status in {list(request.statuses)}")
    where = [items.c.status.in_([s.value for s in statuses if s])] if statuses else []
    who, zone = await _people(conn), ZoneInfo(request.timezone)
    rows: list[Sequence[object]] = [_row(item, who, zone) for item in await items_where(conn, *where)]
    words = feedback_words(request.renderer or TemplateRenderer(), request.locale)
    return written(Table(COLUMNS, rows, "feedback"), request.format, ("csv", "xlsx", "json"), words)


def feedback_words(renderer: TemplateRenderer, locale: str | None) -> Words:
    """The feedback table in the community's language: headings from `feedback/export_columns`, kinds and
    statuses as the chat names them (`feedback/macros`)."""
    return words_from(
        renderer,
        "feedback/export_columns",
        locale,
        len(COLUMNS),
        {
            "kind": renderer.labels("feedback/macros", "kind_label", locale, [k.value for k in Kind]),
            "status": renderer.labels("feedback/macros", "status_label", locale, [s.value for s in Status]),
        },
    )


CREDITS_FORMATS = ("markdown", "csv", "xlsx")


async def export_credits(conn: AsyncConnection, request: ExportRequest) -> str | bytes:
    """The thank-you list of a release: Markdown for the release notes (the default), or a table of who
    is credited for which item, as CSV (with a BOM) or .xlsx, headed in the community's language."""
    if not request.argument:
        raise ValueError("say which version: kocbot export credits v2.3")
    version, form = request.argument, "markdown" if request.format in (None, "md") else request.format
    if form not in CREDITS_FORMATS:
        raise ValueError(f"credits exports as {', '.join(CREDITS_FORMATS)}, not {request.format}")
    renderer = request.renderer or TemplateRenderer()
    if form != "markdown":
        return written(await credits_table(conn, request, renderer, version), form, ("csv", "xlsx"))
    names, shipped = await credited_names(conn, version), await shipped_in(conn, version)
    return (
        renderer.render("feedback/credits_markdown", request.locale, version=version, names=names, items=shipped) + "\n"
    )


async def credits_table(
    conn: AsyncConnection, request: ExportRequest, renderer: TemplateRenderer, version: str
) -> Table:
    """One row per credited member and item shipped in `version` (merged items' reporters too): their name,
    the FB number, its title, when it shipped in the community's time; headings from `feedback/credits_columns`."""
    shipped = (
        select(history.c.item_id, func.max(history.c.created_at).label("at"))
        .where(history.c.to_status == Status.SHIPPED.value)
        .group_by(history.c.item_id)
        .subquery()
    )
    rows = await conn.execute(
        select(people.c.member_id, items.c.id, items.c.title, shipped.c.at)
        .join(items, items.c.id == people.c.item_id)
        .outerjoin(shipped, shipped.c.item_id == items.c.id)
        .where(
            items.c.status == Status.SHIPPED.value,
            items.c.version == version,
            people.c.role == Role.REPORTER.value,
        )
        .order_by(items.c.id, people.c.id)
    )
    who, zone = await _people(conn), ZoneInfo(request.timezone)
    table = [(who.names.get(r.member_id, ""), short_id(r.id), r.title, local_time(r.at, zone)) for r in rows]
    words = words_from(renderer, "feedback/credits_columns", request.locale, 4, version=version)
    return Table(words.headings, table, words.sheet or "credits")
