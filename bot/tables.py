"""Tables written for operators: CSV that Excel and WPS open with Chinese intact, and .xlsx.

Excel and WPS read a CSV file without a byte-order mark in the system's code page (GBK on a
Chinese Windows), which garbles every Chinese character: the CSV starts with a UTF-8 BOM. The
same table as an .xlsx (openpyxl) needs no guessing at all.

An operator reads a table in the community's language: its headings come from a locale template,
one a line, and enumerated values (a status, a kind) from the label macros the chat replies use.
A JSON export is for programs and keeps the English keys and the raw values.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.templates import TemplateRenderer

BOM = "\ufeff"
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name
TIME_FORMAT = "%Y-%m-%d %H:%M"
FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True, slots=True)
class Table:
    """Named columns and rows of plain values (str, int, float; None is an empty cell)."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    sheet: str = "export"  # the .xlsx sheet's name

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class Words:
    """How a table reads in a language: a heading for each column, labels for the values of some, and
    the name of its .xlsx sheet (none: the table's own)."""

    headings: tuple[str, ...]
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> raw value -> label
    sheet: str | None = None


def words_from(
    renderer: TemplateRenderer,
    name: str,
    locale: str | None,
    count: int,
    values: dict[str, dict[str, str]] | None = None,
    **params: Any,
) -> Words:
    """A table's words from its columns template (`feedback/export_columns`): the first line names the
    .xlsx sheet, then one heading a line for each of the `count` columns; ValueError: an operator's own
    template that gives another number of headings."""
    lines = [line.strip() for line in renderer.render(name, locale, **params).splitlines() if line.strip()]
    if len(lines) != count + 1:
        raise ValueError(f"template {name} gives {len(lines) - 1} column headings after its sheet name, not {count}")
    return Words(tuple(lines[1:]), values or {}, lines[0])


def translated(table: Table, words: Words) -> Table:
    """The same table in a language: its headings, and each labelled column's values as labels
    (a value without a label is kept as it is)."""
    if len(words.headings) != len(table.columns):
        raise ValueError(f"{len(words.headings)} headings for the {len(table.columns)} columns of {table.sheet}")
    labelled = [(table.columns.index(c), labels) for c, labels in words.values.items() if c in table.columns]
    rows = [list(row) for row in table.rows]
    for row in rows:
        for index, labels in labelled:
            row[index] = labels.get(row[index], row[index]) if isinstance(row[index], str) else row[index]
    return Table(words.headings, rows, words.sheet or table.sheet)


def local_time(at: datetime | None, zone: tzinfo) -> str:
    """A moment as the community reads it, in its time zone (empty: none)."""
    return at.astimezone(zone).strftime(TIME_FORMAT) if at is not None else ""


def to_csv(table: Table) -> str:
    """CSV text that starts with a BOM (write it as UTF-8: Excel and WPS then read it as UTF-8)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return out.getvalue()


def to_xlsx(*tables: Table) -> bytes:
    """The tables as an .xlsx workbook, a sheet each, their heading rows frozen."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(_SHEET_UNSAFE.sub(" ", table.sheet)[:31])  # Excel's rules for a sheet's name
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def to_json(table: Table) -> str:
    return json.dumps(table.records(), ensure_ascii=False, indent=2) + "\n"


def written(
    table: Table, form: str | None, allowed: Sequence[str] = ("csv", "xlsx"), words: Words | None = None
) -> str | bytes:
    """The table in the asked format (default: the first allowed), a spreadsheet in `words` (JSON keeps
    the English keys and raw values); ValueError: a format it does not come in."""
    chosen = form or allowed[0]
    if chosen not in allowed:
        raise ValueError(f"{table.sheet} exports as {' or '.join(allowed)}, not {form}")
    if chosen == "json":
        return to_json(table)
    read = translated(table, words) if words is not None else table
    return to_xlsx(read) if chosen == "xlsx" else to_csv(read)
