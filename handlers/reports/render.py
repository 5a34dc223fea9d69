"""The month's report made readable: its text in a language, three PNG charts, and CSV tables."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path

from bot import charts
from bot.events import Image
from bot.tables import Table, Words, to_csv, to_xlsx, translated, words_from
from bot.templates import TemplateRenderer
from handlers.reports.figures import MonthFigures

_LOGGER = logging.getLogger(__name__)


def report_text(renderer: TemplateRenderer, locale: str, figures: MonthFigures) -> str:
    as_of = figures.window.as_of.astimezone(figures.window.zone)
    return renderer.render("reports/monthly", locale, r=figures, as_of=as_of)


def _labels(renderer: TemplateRenderer, locale: str, chart: str, figures: MonthFigures) -> list[str]:
    """A chart's words, one per line of its template: title, y label, empty label, then each series."""
    return renderer.render(f"reports/chart_{chart}", locale, month=figures.month).splitlines()


def image_name(figures: MonthFigures, chart: str) -> str:
    return f"monthly-{figures.month}-{chart}.png"


async def report_charts(renderer: TemplateRenderer, locale: str, figures: MonthFigures) -> list[tuple[str, Image]]:
    """(title, picture) of each chart, drawn in a worker thread one after the other; none without the
    `charts` extra (the report is then its text alone)."""
    drawn = []
    for chart, draw in (("activity", _activity), ("contributions", _contributions), ("daily", _daily)):
        title, *words = _labels(renderer, locale, chart, figures)
        png = await draw(figures, locale, title, *words)
        if png is not None:
            drawn.append((title, Image(image_name(figures, chart), png)))
    return drawn


async def _activity(
    figures: MonthFigures, locale: str, title: str, y_label: str, empty: str, messages: str, active: str
) -> bytes | None:
    """Per community: messages and the members who wrote them."""
    rooms = figures.communities
    return await charts.render(
        charts.bars,
        title,
        [c.name for c in rooms],
        {messages: [c.messages for c in rooms], active: [c.active for c in rooms]},
        y_label=y_label,
        empty_label=empty,
    )


async def _contributions(
    figures: MonthFigures, locale: str, title: str, y_label: str, empty: str, thanked: str, feedback: str, threads: str
) -> bytes | None:
    """Per community: thank-yous, feedback items and issue threads."""
    rooms = figures.communities
    return await charts.render(
        charts.bars,
        title,
        [c.name for c in rooms],
        {
            thanked: [c.thanks for c in rooms],
            feedback: [c.feedback for c in rooms],
            threads: [c.threads for c in rooms],
        },
        y_label=y_label,
        empty_label=empty,
    )


async def _daily(
    figures: MonthFigures, locale: str, title: str, y_label: str, empty: str, messages: str, active: str
) -> bytes | None:
    """Day by day, every community together: messages and the members who wrote them."""
    zone = figures.window.zone
    days = [datetime.combine(d.day, time(), zone) for d in figures.days]
    lines = [
        charts.Line(messages, list(zip(days, [d.messages for d in figures.days], strict=True))),
        charts.Line(active, list(zip(days, [d.active for d in figures.days], strict=True))),
    ]
    return await charts.render(
        charts.timeline,
        title,
        lines if figures.messages else [],
        zone=zone,
        y_label=y_label,
        empty_label=empty,
        bucket=timedelta(days=1),  # each day a bar over its whole day
        locale=locale,
    )


def _local(figures: MonthFigures, when: datetime | None) -> str:
    return when.astimezone(figures.window.zone).strftime("%Y-%m-%d %H:%M") if when else ""


def _hours(start: datetime, finish: datetime | None) -> str:
    return f"{(finish - start).total_seconds() / 3600:.1f}" if finish else ""


def csv_tables(figures: MonthFigures) -> dict[str, tuple[Sequence[str], list[Sequence[object]]]]:
    """Each table of the report: its file's last name, header and rows."""

    def at(when: datetime | None) -> str:
        return _local(figures, when)

    return {
        "communities": (
            ("community", "members", "joined", "left", "messages", "active_members", "thanks", "feedback", "threads"),
            [
                (c.name, c.members, c.joined, c.left, c.messages, c.active, c.thanks, c.feedback, c.threads)
                for c in figures.communities
            ],
        ),
        "daily": (
            ("day", "messages", "active_members"),
            [(d.day.isoformat(), d.messages, d.active) for d in figures.days],
        ),
        "helpers": (
            ("rank", "member", "thanks"),
            [(n, h.name, h.thanks) for n, h in enumerate(figures.helpers, start=1)],
        ),
        "feedback": (
            (
                "item",
                "kind",
                "community",
                "received",
                "first_response",
                "hours_to_first_response",
                "adopted",
                "shipped",
            ),
            [
                (
                    f"FB-{f.id}",
                    f.kind,
                    f.community,
                    at(f.received_at),
                    at(f.first_response_at),
                    _hours(f.received_at, f.first_response_at),
                    at(f.adopted_at),
                    at(f.shipped_at),
                )
                for f in figures.feedback
            ],
        ),
        "threads": (
            ("thread", "title", "rooms", "opened", "resolved", "hours_to_resolution"),
            [
                (
                    f"#{t.id}",
                    t.title,
                    "; ".join(t.rooms),
                    at(t.opened_at),
                    at(t.resolved_at),
                    _hours(t.opened_at, t.resolved_at),
                )
                for t in figures.threads
            ],
        ),
        "koc": (
            ("at", "member", "change", "from_stage", "to_stage"),
            [(at(k.at), k.name, k.kind, k.from_stage or "", k.to_stage) for k in figures.koc_changes],
        ),
    }


# The columns whose values are labels the chat already names: (column, macros template, macro).
_LABELLED = (
    ("kind", "feedback/macros", "kind_label"),
    ("change", "koc/macros", "event_label"),
    ("from_stage", "koc/macros", "stage_label"),
    ("to_stage", "koc/macros", "stage_label"),
)


def table_words(
    renderer: TemplateRenderer, locale: str, name: str, header: Sequence[str], rows: list[Sequence[object]]
) -> Words:
    """A table of the report in `locale`: its sheet's name and headings from `reports/table_columns`,
    feedback kinds and KOC changes and stages as the chat names them."""
    values: dict[str, dict[str, str]] = {}
    for column, macros, macro in _LABELLED:
        if column in header:
            index = list(header).index(column)
            found = {str(row[index]) for row in rows if row[index]}
            values[column] = renderer.labels(macros, macro, locale, found)
    return words_from(renderer, "reports/table_columns", locale, len(header), values, table=name)


async def write_files(renderer: TemplateRenderer, locale: str, figures: MonthFigures, out: Path) -> list[Path]:
    """The report's text, its charts and its tables in `out`, every name starting `monthly-2026-12`."""
    stem = f"monthly-{figures.month}"
    text = out / f"{stem}.txt"
    text.write_text(report_text(renderer, locale, figures) + "\n", encoding="utf-8")
    written = [text]
    for _, image in await report_charts(renderer, locale, figures):
        path = out / image.name
        path.write_bytes(image.data)
        written.append(path)
    tables = {  # the file's name stays as documented; the sheet's is in the language
        name: translated(Table(tuple(header), rows, name), table_words(renderer, locale, name, header, rows))
        for name, (header, rows) in csv_tables(figures).items()
    }
    for name, table in tables.items():
        path = out / f"{stem}-{name}.csv"
        path.write_text(to_csv(table), encoding="utf-8", newline="")
        written.append(path)
    book = out / f"{stem}.xlsx"  # every table, a sheet each
    book.write_bytes(to_xlsx(*tables.values()))
    written.append(book)
    _LOGGER.info("monthly report %s written to %s (%d files)", figures.month, out, len(written))
    return written
