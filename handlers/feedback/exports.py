"""`kocbot export feedback` (CSV or JSON) and `kocbot export credits VERSION` (Markdown for release notes)."""

from __future__ import annotations

import csv
import io
import json
import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.registry import ExportRequest
from bot.templates import TemplateRenderer
from handlers.feedback.items import Item, items_where
from handlers.feedback.rules import parse_status
from handlers.feedback.tables import items
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
    "reporter_id",
    "created_at",
)


def _record(item: Item) -> dict[str, object]:
    values = {column: getattr(item, column) for column in COLUMNS}
    return {
        **values,
        "id": item.short_id,
        "kind": item.kind.value,
        "status": item.status.value,
        "created_at": item.created_at.isoformat(),
    }


async def export_feedback(conn: AsyncConnection, request: ExportRequest) -> str:
    """Every item (or those in the given statuses), oldest first, as CSV or JSON."""
    statuses = [parse_status(s) for s in request.statuses]
    if None in statuses:
        raise ValueError(f"unknown status in {list(request.statuses)}")
    where = [items.c.status.in_([s.value for s in statuses if s])] if statuses else []
    records = [_record(item) for item in await items_where(conn, *where)]
    if request.format == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if request.format not in (None, "csv"):
        raise ValueError(f"feedback exports as csv or json, not {request.format}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


async def export_credits(conn: AsyncConnection, request: ExportRequest) -> str:
    """The thank-you list of a release as Markdown."""
    if not request.argument:
        raise ValueError("say which version: kocbot export credits v2.3")
    version = request.argument
    names, shipped = await credited_names(conn, version), await shipped_in(conn, version)
    renderer = request.renderer or TemplateRenderer()
    return (
        renderer.render("feedback/credits_markdown", request.locale, version=version, names=names, items=shipped) + "\n"
    )
