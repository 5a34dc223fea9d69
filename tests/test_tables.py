"""Tables for operators (bot.tables): a spreadsheet reads in the community's language, JSON stays for programs."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from bot.tables import Table, Words, translated, words_from, written
from bot.templates import TemplateRenderer

TABLE = Table(("id", "status", "plus_ones", "note"), [("FB-1", "shipped", 2, None), ("FB-2", "retired", 0, "x")], "t")
WORDS = Words(("编号", "状态", "+1 人数", "备注"), {"status": {"shipped": "已上线"}})


def test_a_translated_table_has_the_headings_and_labels_and_keeps_the_rest() -> None:
    read = translated(TABLE, WORDS)
    assert read.columns == ("编号", "状态", "+1 人数", "备注")
    # a value without a label (an old status) is kept as stored; numbers and empty cells untouched
    assert read.rows == [["FB-1", "已上线", 2, None], ["FB-2", "retired", 0, "x"]]
    assert TABLE.rows[0][1] == "shipped"  # the table itself is not changed


def test_csv_and_xlsx_read_in_the_language_json_keeps_keys_and_raw_values() -> None:
    text = written(TABLE, "csv", ("csv", "xlsx", "json"), WORDS)
    assert isinstance(text, str)
    assert text.splitlines()[:2] == ["\ufeff编号,状态,+1 人数,备注", "FB-1,已上线,2,"]
    book = written(TABLE, "xlsx", ("csv", "xlsx", "json"), WORDS)
    assert isinstance(book, bytes)
    rows = list(openpyxl.load_workbook(io.BytesIO(book))["t"].iter_rows(values_only=True))  # no sheet name: its own
    assert rows[:2] == [("编号", "状态", "+1 人数", "备注"), ("FB-1", "已上线", 2, None)]
    made = written(TABLE, "json", ("csv", "xlsx", "json"), WORDS)
    assert isinstance(made, str)
    assert json.loads(made)[0] == {"id": "FB-1", "status": "shipped", "plus_ones": 2, "note": None}


def test_headings_must_match_the_columns() -> None:
    with pytest.raises(ValueError, match="3 headings for the 4 columns of t"):
        translated(TABLE, Words(("a", "b", "c")))
    renderer = TemplateRenderer()
    words = words_from(renderer, "feedback/credits_columns", "en", 4, {"x": {}}, version="v1")
    assert words == Words(("Member", "Item", "Title", "Shipped at"), {"x": {}}, "Credits")
    with pytest.raises(
        ValueError, match="feedback/credits_columns gives 4 column headings after its sheet name, not 5"
    ):
        words_from(renderer, "feedback/credits_columns", "zh_CN", 5, version="v1")


def test_a_sheet_is_named_in_the_language_and_as_excel_allows() -> None:
    words = Words(("编号", "状态", "+1 人数", "备注"), sheet="反馈/建议: 2026年[12月]")
    book = written(TABLE, "xlsx", words=words)
    assert isinstance(book, bytes)
    assert openpyxl.load_workbook(io.BytesIO(book)).sheetnames == ["反馈 建议  2026年 12月 "]


def test_labels_are_the_chats_own() -> None:
    renderer = TemplateRenderer()
    assert renderer.labels("feedback/macros", "status_label", "zh_CN", ["shipped", "under_review"]) == {
        "shipped": "已上线",
        "under_review": "评估中",
    }
    assert renderer.labels("feedback/macros", "status_label", "en", ["under_review"]) == {
        "under_review": "under review"
    }
    assert renderer.labels("koc/macros", "stage_label", None, ["alumni"]) == {"alumni": "名人堂"}  # the default
