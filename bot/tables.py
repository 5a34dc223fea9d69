"""Tables written for operators: CSV that Excel and WPS open with Chinese intact, and .xlsx.

Excel and WPS read a CSV file without a byte-order mark in the system's code page (GBK on a
Chinese Windows), which garbles every Chinese character: the CSV starts with a UTF-8 BOM. The
same table as an .xlsx (openpyxl) needs no guessing at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

BOM = "\ufeff"
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
        sheet = book.create_sheet(table.sheet[:31])  # Excel's limit for a sheet name
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


def written(table: Table, form: str | None, allowed: Sequence[str] = ("csv", "xlsx")) -> str | bytes:
    """The table in the asked format (default: the first allowed); ValueError: a format it does not come in."""
    chosen = form or allowed[0]
    if chosen not in allowed:
        raise ValueError(f"{table.sheet} exports as {' or '.join(allowed)}, not {form}")
    if chosen == "xlsx":
        return to_xlsx(table)
    return to_json(table) if chosen == "json" else to_csv(table)
